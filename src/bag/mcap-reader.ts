/**
 * Streams the messages of an MCAP file (rosbag2 cdr, or ros1 encoding) in log-time order.
 *
 * An intact file is read through its index (McapIndexedReader): chunk by chunk, in log-time order, never
 * the whole file in memory; each chunk is decompressed and CRC-checked by PrefetchingReadable
 * (chunk-prefetch.ts), a few chunks ahead in a worker thread where the machine has cores to spare. A file without a usable summary (a recorder killed mid-write, a truncated
 * copy) is read front to back with McapStreamReader in file order (rosbag2 writes in receive order) up to
 * the first incomplete or corrupt record, whose byte offset is reported as damage.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { McapIndexedReader, McapStreamReader, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { errorMessage } from '../core/errors.js';
import { PrefetchingReadable } from './chunk-prefetch.js';
import { buildDecoder, type Decode } from './message-decoder.js';
import type { BagRecord } from './records.js';

export interface McapReadOptions {
  /** Bytes read per step when streaming a damaged file. @default 1 MiB */
  readSize?: number;
}

type Channel = McapTypes.TypedMcapRecords['Channel'];
type Schema = McapTypes.TypedMcapRecords['Schema'];

class ChannelDecoders {
  #decoders = new Map<number, { type: string; decode: Decode | string }>();
  constructor(
    private readonly channels: ReadonlyMap<number, Channel>,
    private readonly schemas: ReadonlyMap<number, Schema>,
  ) {}

  record(message: McapTypes.TypedMcapRecords['Message']): BagRecord {
    const channel = this.channels.get(message.channelId);
    if (channel === undefined) {
      return { kind: 'undecodable', topic: `(channel ${message.channelId})`, type: '', logTime: message.logTime, reason: 'message on an undeclared channel' };
    }
    let entry = this.#decoders.get(channel.id);
    if (entry === undefined) {
      const schema = this.schemas.get(channel.schemaId);
      const type = schema?.name ?? '';
      const decode =
        schema === undefined
          ? `channel ${channel.topic} has no schema (id ${channel.schemaId})`
          : buildDecoder(schema.name, schema.encoding, new TextDecoder().decode(schema.data), channel.messageEncoding);
      entry = { type, decode };
      this.#decoders.set(channel.id, entry);
    }
    const decode = entry.decode;
    const { data } = message;
    return {
      kind: 'message',
      topic: channel.topic,
      type: entry.type,
      logTime: message.logTime,
      decode: () => {
        if (typeof decode === 'string') throw new Error(decode);
        try {
          return decode(data);
        } catch (err) {
          throw new Error(`deserialisation failed: ${errorMessage(err)}`);
        }
      },
    };
  }
}

export async function* readMcap(path: string, options: McapReadOptions = {}): AsyncGenerator<BagRecord> {
  const decompressHandlers = await loadDecompressHandlers();
  const handle = await open(path, 'r');
  const readable = new PrefetchingReadable(handle, path, decompressHandlers);
  try {
    let indexed: McapIndexedReader | undefined;
    try {
      indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers });
    } catch {
      indexed = undefined; // no usable summary: stream it
    }
    if (indexed !== undefined && indexed.chunkIndexes.length > 0) {
      readable.setChunks(indexed.chunkIndexes);
      yield* readIndexed(indexed);
    } else {
      yield* readStreaming(handle, options.readSize ?? 1024 * 1024, decompressHandlers);
    }
  } finally {
    readable.close();
    await handle.close();
  }
}

async function* readIndexed(reader: McapIndexedReader): AsyncGenerator<BagRecord> {
  const decoders = new ChannelDecoders(reader.channelsById, reader.schemasById);
  // The chunk being read when a corrupt chunk throws: its offset is where the damage starts.
  const chunks = [...reader.chunkIndexes].sort((a, b) => (a.messageStartTime < b.messageStartTime ? -1 : 1));
  let lastTime = -1n;
  try {
    // Chunk CRCs are checked as PrefetchingReadable decompresses each chunk.
    for await (const message of reader.readMessages({ validateCrcs: false })) {
      lastTime = message.logTime;
      yield decoders.record(message);
    }
  } catch (err) {
    const next = chunks.find((c) => c.messageEndTime > lastTime) ?? chunks[chunks.length - 1];
    yield { kind: 'damage', offset: Number(next?.chunkStartOffset ?? 0n), reason: `corrupt chunk: ${errorMessage(err)}` };
  }
}

async function* readStreaming(handle: FileHandle, readSize: number, decompressHandlers: McapTypes.DecompressHandlers): AsyncGenerator<BagRecord> {
  const reader = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  const channels = new Map<number, Channel>();
  const schemas = new Map<number, Schema>();
  const decoders = new ChannelDecoders(channels, schemas);
  const buffer = new Uint8Array(readSize);
  let fed = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, readSize, fed);
    if (bytesRead === 0) break;
    reader.append(buffer.slice(0, bytesRead));
    fed += bytesRead;
    for (;;) {
      let record: McapTypes.TypedMcapRecord | undefined;
      try {
        record = reader.nextRecord();
      } catch (err) {
        yield { kind: 'damage', offset: fed - reader.bytesRemaining(), reason: `corrupt record: ${errorMessage(err)}` };
        return;
      }
      if (record === undefined) break;
      switch (record.type) {
        case 'Schema':
          schemas.set(record.id, record);
          break;
        case 'Channel':
          channels.set(record.id, record);
          break;
        case 'Message':
          yield decoders.record(record);
          break;
        default:
          break;
      }
    }
    if (reader.done()) return;
  }
  if (!reader.done()) {
    const offset = fed - reader.bytesRemaining();
    yield { kind: 'damage', offset, reason: `truncated: the file ends inside a record at byte ${offset} (file is ${fed} bytes)` };
  }
}
