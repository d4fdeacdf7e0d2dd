/**
 * The MCAP Chunk record's layout (MCAP spec, "Chunk", opcode 0x06): opcode u8, record length u64, then
 * message start time u64, message end time u64, uncompressed size u64, uncompressed CRC u32, compression
 * (u32 length + UTF-8), records length u64, records. All little-endian.
 */
import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { McapTypes } from '@mcap/core';

const CHUNK_OPCODE = 0x06;

interface ChunkHeader {
  messageStartTime: bigint;
  messageEndTime: bigint;
  uncompressedSize: number;
  uncompressedCrc: number;
  compression: string;
  recordsOffset: number;
  recordsLength: number;
}

function parseChunkHeader(bytes: Uint8Array): ChunkHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 49 || view.getUint8(0) !== CHUNK_OPCODE) throw new Error('not a chunk record');
  const recordLength = view.getBigUint64(1, true);
  const compressionLength = view.getUint32(37, true);
  const recordsOffset = 41 + compressionLength + 8;
  if (recordsOffset > bytes.byteLength) throw new Error('chunk header runs past the record');
  const recordsLength = view.getBigUint64(41 + compressionLength, true);
  if (BigInt(recordsOffset - 9) + recordsLength > recordLength || recordsOffset + Number(recordsLength) > bytes.byteLength) {
    throw new Error(`chunk records (${recordsLength} bytes) run past the record`);
  }
  return {
    messageStartTime: view.getBigUint64(9, true),
    messageEndTime: view.getBigUint64(17, true),
    uncompressedSize: Number(view.getBigUint64(25, true)),
    uncompressedCrc: view.getUint32(33, true),
    compression: new TextDecoder().decode(bytes.subarray(41, 41 + compressionLength)),
    recordsOffset,
    recordsLength: Number(recordsLength),
  };
}

/** The chunk as an uncompressed chunk record holding `records`, CRC 0 (MCAP: "not computed"). */
function uncompressedChunk(header: ChunkHeader, records: Uint8Array): Uint8Array {
  const out = new Uint8Array(49 + records.byteLength);
  const view = new DataView(out.buffer);
  view.setUint8(0, CHUNK_OPCODE);
  view.setBigUint64(1, BigInt(40 + records.byteLength), true);
  view.setBigUint64(9, header.messageStartTime, true);
  view.setBigUint64(17, header.messageEndTime, true);
  view.setBigUint64(25, BigInt(records.byteLength), true);
  view.setUint32(33, 0, true);
  view.setUint32(37, 0, true);
  view.setBigUint64(41, BigInt(records.byteLength), true);
  out.set(records, 49);
  return out;
}

/**
 * A chunk record as read from the file, decompressed and CRC-checked, rewritten as an uncompressed chunk
 * (CRC 0: checked here). Throws with the reason on a bad record, compression or CRC.
 */
export function rewriteChunk(raw: Uint8Array, handlers: McapTypes.DecompressHandlers): Uint8Array {
  const header = parseChunkHeader(raw);
  let records = raw.subarray(header.recordsOffset, header.recordsOffset + header.recordsLength);
  if (header.compression !== '' && records.byteLength > 0) {
    const decompress = handlers[header.compression];
    if (decompress === undefined) throw new Error(`unsupported compression ${header.compression}`);
    records = decompress(records, BigInt(header.uncompressedSize));
  }
  if (header.uncompressedCrc !== 0) {
    const crc = crc32(records);
    if (crc !== header.uncompressedCrc) throw new Error(`Incorrect chunk CRC ${crc} (expected ${header.uncompressedCrc})`);
  }
  return uncompressedChunk(header, records);
}

/**
 * Reads the chunk record at `offset` into a buffer of its own and rewrites it (rewriteChunk). Its own
 * buffer: FileHandleReadable reuses one buffer for every read, and these reads may overlap the reader's.
 */
export async function readChunk(handle: FileHandle, offset: number, length: number, handlers: McapTypes.DecompressHandlers): Promise<Uint8Array> {
  const raw = new Uint8Array(length);
  const { bytesRead } = await handle.read(raw, 0, length, offset);
  if (bytesRead !== length) throw new Error(`the file ends ${bytesRead} bytes into the ${length}-byte chunk`);
  return rewriteChunk(raw, handlers);
}
