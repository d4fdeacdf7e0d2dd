/**
 * Front-to-back scan of a ROS 1 bag without its index (format 2.0, wiki.ros.org/Bags/Format/2.0):
 * records are <int32 header_len><header: int32 len + "name=value" fields><int32 data_len><data>.
 * Chunks (op 0x05) hold connection (0x07) and message (0x02) records, optionally bz2/lz4-compressed.
 * Messages of one chunk are yielded in time order; chunks in file order (rosbag writes them in time order).
 * The first record that runs past the end of the file or does not parse ends the scan with its offset.
 */
import type { FileHandle } from 'node:fs/promises';
import { errorMessage } from '../core/errors.js';
import type { BagRecord } from './records.js';
import { Ros1MessageParser, type Ros1Connection, type Ros1Decompress } from './ros1-parser.js';

const MAGIC = '#ROSBAG V2.0\n';
const OP_MESSAGE = 0x02;
const OP_CHUNK = 0x05;
const OP_CONNECTION = 0x07;

type Fields = Map<string, Uint8Array>;

function parseFields(buf: Uint8Array): Fields {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Fields = new Map();
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = view.getUint32(at, true);
    at += 4;
    if (at + len > buf.length) throw new Error(`header field of ${len} bytes runs past the header`);
    const field = buf.subarray(at, at + len);
    const eq = field.indexOf(0x3d);
    if (eq < 0) throw new Error('header field without "="');
    out.set(new TextDecoder().decode(field.subarray(0, eq)), field.subarray(eq + 1));
    at += len;
  }
  return out;
}

function u32(fields: Fields, name: string): number {
  const v = fields.get(name);
  if (v === undefined || v.length < 4) throw new Error(`record without ${name}`);
  return new DataView(v.buffer, v.byteOffset, 4).getUint32(0, true);
}

function text(fields: Fields, name: string): string {
  const v = fields.get(name);
  return v === undefined ? '' : new TextDecoder().decode(v);
}

interface RawRecord {
  op: number;
  fields: Fields;
  data: Uint8Array;
}

/** Records inside a decompressed chunk. */
function* chunkRecords(buf: Uint8Array): Generator<RawRecord> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = 0;
  while (at + 4 <= buf.length) {
    const headerLen = view.getUint32(at, true);
    const dataLenAt = at + 4 + headerLen;
    if (dataLenAt + 4 > buf.length) throw new Error(`chunk record at ${at} runs past the chunk`);
    const dataLen = view.getUint32(dataLenAt, true);
    if (dataLenAt + 4 + dataLen > buf.length) throw new Error(`chunk record data at ${at} runs past the chunk`);
    const fields = parseFields(buf.subarray(at + 4, dataLenAt));
    const op = fields.get('op')?.[0] ?? -1;
    yield { op, fields, data: buf.subarray(dataLenAt + 4, dataLenAt + 4 + dataLen) };
    at = dataLenAt + 4 + dataLen;
  }
}

function connectionOf(rec: RawRecord): Ros1Connection {
  const conn = parseFields(rec.data);
  return { conn: u32(rec.fields, 'conn'), topic: text(rec.fields, 'topic'), type: text(conn, 'type'), messageDefinition: text(conn, 'message_definition') };
}

async function readAt(handle: FileHandle, offset: number, length: number): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(length);
  const { bytesRead } = await handle.read(out, 0, length, offset);
  return bytesRead === length ? out : undefined;
}

export async function* scanRos1Bag(handle: FileHandle, size: number, decompress: Ros1Decompress): AsyncGenerator<BagRecord> {
  const magic = await readAt(handle, 0, MAGIC.length);
  if (magic === undefined || new TextDecoder().decode(magic) !== MAGIC) {
    yield { kind: 'damage', offset: 0, reason: `not a ROS 1 bag v2.0 (expected "${MAGIC.trim()}")` };
    return;
  }
  const connections = new Map<number, Ros1Connection>();
  const parser = new Ros1MessageParser();
  let at = MAGIC.length;
  while (at < size) {
    const start = at;
    const damage = (reason: string): BagRecord => ({ kind: 'damage', offset: start, reason });
    const lenBuf = await readAt(handle, at, 4);
    if (lenBuf === undefined) return yield damage(`truncated: record header length cut off at byte ${start} (file is ${size} bytes)`);
    const headerLen = new DataView(lenBuf.buffer).getUint32(0, true);
    const header = await readAt(handle, at + 4, headerLen + 4);
    if (header === undefined) return yield damage(`truncated: record header at byte ${start} runs past the end (file is ${size} bytes)`);
    const dataLen = new DataView(header.buffer).getUint32(headerLen, true);
    if (at + 8 + headerLen + dataLen > size) {
      return yield damage(`truncated: record at byte ${start} needs ${8 + headerLen + dataLen} bytes, only ${size - start} left`);
    }
    let fields: Fields;
    try {
      fields = parseFields(header.subarray(0, headerLen));
    } catch (err) {
      return yield damage(`corrupt record header at byte ${start}: ${errorMessage(err)}`);
    }
    const op = fields.get('op')?.[0] ?? -1;
    at += 8 + headerLen + dataLen;
    if (op !== OP_CHUNK) continue; // bag header, index data, chunk info, index-section connections
    const compressed = await readAt(handle, start + 8 + headerLen, dataLen);
    if (compressed === undefined) return yield damage(`truncated chunk at byte ${start}`);
    const messages: Array<{ conn: number; time: bigint; data: Uint8Array }> = [];
    try {
      const compression = text(fields, 'compression');
      const plainSize = u32(fields, 'size');
      let plain: Uint8Array;
      if (compression === 'none') plain = compressed;
      else {
        const fn = decompress[compression];
        if (fn === undefined) return yield damage(`chunk at byte ${start}: unsupported compression ${compression}`);
        plain = fn(compressed, plainSize);
      }
      for (const rec of chunkRecords(plain)) {
        if (rec.op === OP_CONNECTION) {
          const c = connectionOf(rec);
          connections.set(c.conn, c);
        } else if (rec.op === OP_MESSAGE) {
          const t = rec.fields.get('time');
          if (t === undefined || t.length < 8) throw new Error('message record without time');
          const tv = new DataView(t.buffer, t.byteOffset, 8);
          const time = BigInt(tv.getUint32(0, true)) * 1_000_000_000n + BigInt(tv.getUint32(4, true));
          messages.push({ conn: u32(rec.fields, 'conn'), time, data: rec.data });
        }
      }
    } catch (err) {
      return yield damage(`corrupt chunk at byte ${start}: ${errorMessage(err)}`);
    }
    messages.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    for (const m of messages) {
      const conn = connections.get(m.conn);
      if (conn === undefined) {
        yield { kind: 'undecodable', topic: `(connection ${m.conn})`, type: '', logTime: m.time, reason: 'message before its connection record' };
      } else {
        yield parser.record(conn, m.time, m.data);
      }
    }
  }
}
