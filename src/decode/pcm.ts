/**
 * Interleaved PCM bytes -> mono float in [-1, 1]. Sample formats use GStreamer/audio_common names:
 * S8, U8, S16LE, S16BE, U16LE, U16BE, S24LE, S24BE (packed 3 bytes), S32LE, S32BE, F32LE, F32BE, F64LE,
 * F64BE. Channels are averaged (the models take mono).
 */
import { bad } from './fields.js';

export interface PcmFormat {
  kind: 'S' | 'U' | 'F';
  bits: 8 | 16 | 24 | 32 | 64;
  littleEndian: boolean;
}

export function parseSampleFormat(name: string): PcmFormat {
  const m = /^([SUF])(8|16|24|32|64)(LE|BE)?$/.exec(name.trim().toUpperCase());
  if (m === null) return bad(`sample_format "${name}": expected S8, U8, S16LE, S16BE, S24LE, S32LE, F32LE, F64LE or similar`);
  const kind = m[1] as PcmFormat['kind'];
  const bits = Number(m[2]) as PcmFormat['bits'];
  if (bits > 8 && m[3] === undefined) bad(`sample_format "${name}": a ${bits}-bit format needs LE or BE`);
  if (kind === 'F' ? bits !== 32 && bits !== 64 : bits === 64) bad(`sample_format "${name}" does not exist`);
  return { kind, bits, littleEndian: m[3] !== 'BE' };
}

export function pcmToMono(data: Uint8Array, format: PcmFormat, channels: number): Float32Array {
  if (!Number.isInteger(channels) || channels < 1) bad(`channels ${channels}: expected a positive integer`);
  const width = format.bits / 8;
  const frame = width * channels;
  if (data.length % frame !== 0) bad(`${data.length} bytes is not a whole number of ${channels}-channel ${format.kind}${format.bits} frames (${frame} bytes each)`);
  const frames = data.length / frame;
  const out = new Float32Array(frames);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = format.littleEndian;
  const full = 2 ** (format.bits - 1);
  const read = (at: number): number => {
    switch (format.kind) {
      case 'F':
        return format.bits === 32 ? view.getFloat32(at, le) : view.getFloat64(at, le);
      case 'S':
        switch (format.bits) {
          case 8:
            return view.getInt8(at) / full;
          case 16:
            return view.getInt16(at, le) / full;
          case 24: {
            const b0 = view.getUint8(at), b1 = view.getUint8(at + 1), b2 = view.getUint8(at + 2);
            const u = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
            return ((u << 8) >> 8) / full;
          }
          default:
            return view.getInt32(at, le) / full;
        }
      case 'U':
        switch (format.bits) {
          case 8:
            return (view.getUint8(at) - full) / full;
          case 16:
            return (view.getUint16(at, le) - full) / full;
          case 24: {
            const b0 = view.getUint8(at), b1 = view.getUint8(at + 1), b2 = view.getUint8(at + 2);
            const u = le ? b0 | (b1 << 8) | (b2 << 16) : b2 | (b1 << 8) | (b0 << 16);
            return (u - full) / full;
          }
          default:
            return (view.getUint32(at, le) - full) / full;
        }
    }
  };
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(f * frame + c * width);
    out[f] = sum / channels;
  }
  return out;
}

/** Interleaved numeric samples (already typed) -> mono float, dividing by `full` (1 for float data). */
export function interleavedToMono(values: ArrayLike<number>, channels: number, full: number, offset = 0): Float32Array {
  if (!Number.isInteger(channels) || channels < 1) bad(`channels ${channels}: expected a positive integer`);
  if (values.length % channels !== 0) bad(`${values.length} samples is not a whole number of ${channels}-channel frames`);
  const frames = values.length / channels;
  const out = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += (values[f * channels + c]! - offset) / full;
    out[f] = sum / channels;
  }
  return out;
}
