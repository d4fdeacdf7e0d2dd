/**
 * Streams the messages of a ROS 1 bag (v2.0; uncompressed, bz2 or lz4 chunks) in time order.
 *
 * An intact bag is read through its index with @foxglove/rosbag's forward iterator (one chunk at a time).
 * A bag whose index is missing or unreadable (recording killed, truncated copy) is scanned front to back
 * (ros1-scan.ts) up to the first damaged record, whose byte offset is reported. Deserialisation happens
 * here, per message, so one bad message becomes an `undecodable` record instead of ending the replay.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { Bag } from '@foxglove/rosbag';
import { loadDecompressHandlers } from '@mcap/support';
import { errorMessage } from '../core/errors.js';
import type { BagRecord } from './records.js';
import { Ros1MessageParser, type Ros1Decompress } from './ros1-parser.js';
import { scanRos1Bag } from './ros1-scan.js';

export async function ros1Decompressors(): Promise<Ros1Decompress> {
  const h = await loadDecompressHandlers();
  return {
    bz2: (buffer, size) => h['bz2']!(buffer, BigInt(size)),
    lz4: (buffer, size) => h['lz4']!(buffer, BigInt(size)),
  };
}

function fileLike(handle: FileHandle, size: number): { read(offset: number, length: number): Promise<Uint8Array>; size(): number } {
  return {
    async read(offset, length) {
      const out = new Uint8Array(length);
      const { bytesRead } = await handle.read(out, 0, length, offset);
      if (bytesRead < length) throw new Error(`short read at byte ${offset}: ${bytesRead} of ${length} bytes`);
      return out;
    },
    size: () => size,
  };
}

export async function* readRos1Bag(path: string): AsyncGenerator<BagRecord> {
  const decompress = await ros1Decompressors();
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bag = new Bag(fileLike(handle, size), { decompress, parse: false });
    let indexed = true;
    try {
      await bag.open();
      if (bag.chunkInfos.length === 0 && size > 4096) indexed = false;
    } catch {
      indexed = false;
    }
    if (!indexed) {
      yield* scanRos1Bag(handle, size, decompress);
      return;
    }
    if (bag.chunkInfos.length === 0) return;
    const parser = new Ros1MessageParser();
    let lastTime = -1n;
    try {
      for await (const event of bag.messageIterator()) {
        const conn = bag.connections.get(event.connectionId);
        lastTime = BigInt(event.timestamp.sec) * 1_000_000_000n + BigInt(event.timestamp.nsec);
        if (conn === undefined) {
          yield { kind: 'undecodable', topic: event.topic, type: '', logTime: lastTime, reason: `unknown connection ${event.connectionId}` };
          continue;
        }
        yield parser.record(
          { conn: conn.conn, topic: conn.topic, type: conn.type ?? '', messageDefinition: conn.messageDefinition },
          lastTime,
          event.data,
        );
      }
    } catch (err) {
      const toNs = (t: { sec: number; nsec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
      const chunk = bag.chunkInfos.find((c) => toNs(c.endTime) > lastTime) ?? bag.chunkInfos[bag.chunkInfos.length - 1];
      yield { kind: 'damage', offset: chunk?.chunkPosition ?? 0, reason: `corrupt chunk: ${errorMessage(err)}` };
    }
  } finally {
    await handle.close();
  }
}
