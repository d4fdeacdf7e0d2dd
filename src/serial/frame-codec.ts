/**
 * Frames to bytes and back (PROTOCOL.md, "Frame layout" and "Payloads"). Pure functions; the streaming
 * part (finding delimiters in a byte stream) is frame-decoder.ts. Parsing validates every length against
 * the frame type, so a CRC-valid frame with a wrong layout is reported as `payload`, never half-read.
 */
import { cobsEncode } from './cobs.js';
import { crc32 } from './crc32.js';
import {
  AUDIO_MAX_CHUNK,
  CRC_SIZE,
  DEPTH_MAX_PIXELS,
  ERROR_TEXT_MAX,
  FRAME_TYPE,
  HEADER_SIZE,
  IMU_MAX_BATCH,
  MAX_PAYLOAD,
  MAX_SENSORS,
  NAME_MAX,
  PROTOCOL_VERSION,
  SENSOR_DESC_SIZE,
  SENSOR_KIND,
  type BadFrameReason,
  type Frame,
  type SensorDescriptor,
  type SensorKindName,
} from './protocol.js';

export type ParseResult = { ok: true; frame: Frame } | { ok: false; reason: BadFrameReason };

const TWO_32 = 4294967296;
const KIND_BY_CODE = new Map<number, SensorKindName>(Object.entries(SENSOR_KIND).map(([k, v]) => [v, k as SensorKindName]));
const latin1 = new TextDecoder('latin1');

function u64(view: DataView, offset: number): number {
  return view.getUint32(offset, true) + view.getUint32(offset + 4, true) * TWO_32;
}

function bad(reason: BadFrameReason): ParseResult {
  return { ok: false, reason };
}

/** Parses one un-COBSed frame `raw[0, len)`. The result never aliases `raw` (it may be a reused buffer). */
export function parseRawFrame(raw: Uint8Array, len: number): ParseResult {
  if (len < HEADER_SIZE + CRC_SIZE) return bad('short');
  if (len > HEADER_SIZE + MAX_PAYLOAD + CRC_SIZE) return bad('tooLong');
  const view = new DataView(raw.buffer, raw.byteOffset, len);
  const want = view.getUint32(len - CRC_SIZE, true);
  if (crc32(raw.subarray(0, len - CRC_SIZE)) !== want) return bad('crc');
  if (raw[0] !== PROTOCOL_VERSION) return bad('version');
  const type = raw[1]!;
  const stream = raw[2]!;
  const seq = view.getUint16(4, true);
  const tUs = u64(view, 6);
  const p = HEADER_SIZE;
  const n = len - HEADER_SIZE - CRC_SIZE;
  switch (type) {
    case FRAME_TYPE.imu: {
      const count = raw[p]!;
      if (n < 2 || count === 0 || count > IMU_MAX_BATCH || n !== 2 + count * 14) return bad('payload');
      const dtUs = new Uint16Array(count);
      const values = new Int16Array(count * 6);
      for (let i = 0, q = p + 2; i < count; i++, q += 14) {
        dtUs[i] = view.getUint16(q, true);
        for (let c = 0; c < 6; c++) values[i * 6 + c] = view.getInt16(q + 2 + 2 * c, true);
      }
      return { ok: true, frame: { type: 'imu', stream, seq, tUs, dtUs, raw: values } };
    }
    case FRAME_TYPE.audio: {
      if (n < 6) return bad('payload');
      const count = view.getUint16(p + 4, true);
      if (count === 0 || count > AUDIO_MAX_CHUNK || n !== 6 + count * 2) return bad('payload');
      const pcm = new Int16Array(count);
      for (let i = 0, q = p + 6; i < count; i++, q += 2) pcm[i] = view.getInt16(q, true);
      return { ok: true, frame: { type: 'audio', stream, seq, tUs, firstIndex: view.getUint32(p, true), pcm } };
    }
    case FRAME_TYPE.depth: {
      if (n < 2) return bad('payload');
      const width = raw[p]!;
      const height = raw[p + 1]!;
      const pixels = width * height;
      if (pixels === 0 || pixels > DEPTH_MAX_PIXELS || n !== 2 + pixels * 2) return bad('payload');
      const mm = new Uint16Array(pixels);
      for (let i = 0, q = p + 2; i < pixels; i++, q += 2) mm[i] = view.getUint16(q, true);
      return { ok: true, frame: { type: 'depth', stream, seq, tUs, width, height, mm } };
    }
    case FRAME_TYPE.hello: {
      if (n < 13) return bad('payload');
      const count = raw[p + 3]!;
      const nameLen = raw[p + 12]!;
      if (nameLen > NAME_MAX || count > MAX_SENSORS || n !== 13 + nameLen + count * SENSOR_DESC_SIZE) return bad('payload');
      const sensors: SensorDescriptor[] = [];
      for (let i = 0, d = p + 13 + nameLen; i < count; i++, d += SENSOR_DESC_SIZE) {
        const kind = KIND_BY_CODE.get(raw[d + 1]!);
        if (kind === undefined) return bad('payload');
        sensors.push({
          stream: raw[d]!,
          kind,
          paramA: view.getUint16(d + 2, true),
          paramB: view.getUint16(d + 4, true),
          batch: view.getUint16(d + 6, true),
          rateMhz: view.getUint32(d + 8, true),
          scaleA: view.getFloat32(d + 12, true),
          scaleB: view.getFloat32(d + 16, true),
        });
      }
      return {
        ok: true,
        frame: {
          type: 'hello',
          stream,
          seq,
          tUs,
          fw: [raw[p]!, raw[p + 1]!, raw[p + 2]!],
          deviceUid: view.getUint32(p + 4, true),
          bootId: view.getUint32(p + 8, true),
          name: latin1.decode(raw.subarray(p + 13, p + 13 + nameLen)),
          sensors,
        },
      };
    }
    case FRAME_TYPE.helloRequest:
      return n === 0 ? { ok: true, frame: { type: 'helloRequest', stream, seq, tUs } } : bad('payload');
    case FRAME_TYPE.heartbeat:
      if (n !== 8) return bad('payload');
      return {
        ok: true,
        frame: {
          type: 'heartbeat',
          stream,
          seq,
          tUs,
          txDroppedFrames: view.getUint32(p, true),
          txHighWater: view.getUint16(p + 4, true),
          status: raw[p + 6]!,
        },
      };
    case FRAME_TYPE.syncRequest:
      if (n !== 12) return bad('payload');
      return { ok: true, frame: { type: 'syncRequest', stream, seq, tUs, id: view.getUint32(p, true), hostT1: view.getBigUint64(p + 4, true) } };
    case FRAME_TYPE.syncReply:
      if (n !== 28) return bad('payload');
      return {
        ok: true,
        frame: {
          type: 'syncReply',
          stream,
          seq,
          tUs,
          id: view.getUint32(p, true),
          hostT1: view.getBigUint64(p + 4, true),
          devRxUs: u64(view, p + 12),
          devTxUs: u64(view, p + 20),
        },
      };
    case FRAME_TYPE.error: {
      const textLen = raw[p + 3]!;
      if (n < 4 || textLen > ERROR_TEXT_MAX || n !== 4 + textLen) return bad('payload');
      return {
        ok: true,
        frame: {
          type: 'error',
          stream,
          seq,
          tUs,
          code: view.getUint16(p, true),
          errorStream: raw[p + 2]!,
          text: latin1.decode(raw.subarray(p + 4, p + 4 + textLen)),
        },
      };
    }
    default:
      return bad('unknownType');
  }
}

/** Writes a frame's payload (little-endian, PROTOCOL.md layouts). Throws RangeError on out-of-range fields. */
function encodePayload(frame: Frame): Uint8Array {
  switch (frame.type) {
    case 'hello': {
      const name = Buffer.from(frame.name, 'latin1');
      if (name.length > NAME_MAX || frame.sensors.length > MAX_SENSORS) throw new RangeError('hello: name or sensor list too long');
      const out = new Uint8Array(13 + name.length + frame.sensors.length * SENSOR_DESC_SIZE);
      const v = new DataView(out.buffer);
      out.set(frame.fw, 0);
      out[3] = frame.sensors.length;
      v.setUint32(4, frame.deviceUid, true);
      v.setUint32(8, frame.bootId, true);
      out[12] = name.length;
      out.set(name, 13);
      frame.sensors.forEach((s, i) => {
        const d = 13 + name.length + i * SENSOR_DESC_SIZE;
        out[d] = s.stream;
        out[d + 1] = SENSOR_KIND[s.kind];
        v.setUint16(d + 2, s.paramA, true);
        v.setUint16(d + 4, s.paramB, true);
        v.setUint16(d + 6, s.batch, true);
        v.setUint32(d + 8, s.rateMhz, true);
        v.setFloat32(d + 12, s.scaleA, true);
        v.setFloat32(d + 16, s.scaleB, true);
      });
      return out;
    }
    case 'helloRequest':
      return new Uint8Array(0);
    case 'heartbeat': {
      const out = new Uint8Array(8);
      const v = new DataView(out.buffer);
      v.setUint32(0, frame.txDroppedFrames, true);
      v.setUint16(4, frame.txHighWater, true);
      out[6] = frame.status;
      return out;
    }
    case 'syncRequest': {
      const out = new Uint8Array(12);
      const v = new DataView(out.buffer);
      v.setUint32(0, frame.id, true);
      v.setBigUint64(4, frame.hostT1, true);
      return out;
    }
    case 'syncReply': {
      const out = new Uint8Array(28);
      const v = new DataView(out.buffer);
      v.setUint32(0, frame.id, true);
      v.setBigUint64(4, frame.hostT1, true);
      v.setBigUint64(12, BigInt(frame.devRxUs), true);
      v.setBigUint64(20, BigInt(frame.devTxUs), true);
      return out;
    }
    case 'error': {
      const text = Buffer.from(frame.text, 'latin1');
      if (text.length > ERROR_TEXT_MAX) throw new RangeError('error: text too long');
      const out = new Uint8Array(4 + text.length);
      new DataView(out.buffer).setUint16(0, frame.code, true);
      out[2] = frame.errorStream;
      out[3] = text.length;
      out.set(text, 4);
      return out;
    }
    case 'imu': {
      const count = frame.dtUs.length;
      if (count === 0 || count > IMU_MAX_BATCH || frame.raw.length !== count * 6) throw new RangeError(`imu: ${count} samples`);
      const out = new Uint8Array(2 + count * 14);
      const v = new DataView(out.buffer);
      out[0] = count;
      for (let i = 0, q = 2; i < count; i++, q += 14) {
        v.setUint16(q, frame.dtUs[i]!, true);
        for (let c = 0; c < 6; c++) v.setInt16(q + 2 + 2 * c, frame.raw[i * 6 + c]!, true);
      }
      return out;
    }
    case 'audio': {
      const count = frame.pcm.length;
      if (count === 0 || count > AUDIO_MAX_CHUNK) throw new RangeError(`audio: ${count} samples`);
      const out = new Uint8Array(6 + count * 2);
      const v = new DataView(out.buffer);
      v.setUint32(0, frame.firstIndex, true);
      v.setUint16(4, count, true);
      for (let i = 0; i < count; i++) v.setInt16(6 + 2 * i, frame.pcm[i]!, true);
      return out;
    }
    case 'depth': {
      const pixels = frame.width * frame.height;
      if (pixels === 0 || pixels > DEPTH_MAX_PIXELS || frame.mm.length !== pixels) throw new RangeError(`depth: ${pixels} pixels`);
      const out = new Uint8Array(2 + pixels * 2);
      const v = new DataView(out.buffer);
      out[0] = frame.width;
      out[1] = frame.height;
      for (let i = 0; i < pixels; i++) v.setUint16(2 + 2 * i, frame.mm[i]!, true);
      return out;
    }
  }
}

/** Header + payload + CRC, without COBS: what the CRC covers and what parseRawFrame reads. */
function rawFrame(frame: Frame, options: { version?: number; typeCode?: number } = {}): Uint8Array {
  const { version = PROTOCOL_VERSION, typeCode = FRAME_TYPE[frame.type] } = options;
  const payload = encodePayload(frame);
  if (payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const out = new Uint8Array(HEADER_SIZE + payload.length + CRC_SIZE);
  const v = new DataView(out.buffer);
  out[0] = version;
  out[1] = typeCode;
  out[2] = frame.stream;
  out[3] = 0;
  v.setUint16(4, frame.seq, true);
  v.setBigUint64(6, BigInt(frame.tUs), true);
  out.set(payload, HEADER_SIZE);
  v.setUint32(HEADER_SIZE + payload.length, crc32(out.subarray(0, HEADER_SIZE + payload.length)), true);
  return out;
}

/** The bytes on the wire: COBS-encoded frame with its 0x00 delimiter. */
export function encodeFrame(frame: Frame): Uint8Array {
  return cobsEncode(rawFrame(frame));
}
