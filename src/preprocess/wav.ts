/**
 * WAV (RIFF/RIFX-free, little-endian) reader: PCM 8/16/24/32-bit integer, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE,
 * any rate, any channel count. Scaling matches torchaudio.load(normalize=True): int16 / 2^15, int32 / 2^31,
 * int24 / 2^23, uint8 (x - 128) / 128. Errors name the file and what was wrong.
 */
import { readFile } from 'node:fs/promises';
import { SensebindError, errorMessage } from '../core/errors.js';

export interface WavAudio {
  rate: number;
  /** One Float32Array per channel, all the same length. */
  channels: Float32Array[];
}

const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;

function fail(path: string, problem: string): never {
  throw new SensebindError('INPUT', `${path}: ${problem}`);
}

function parseWav(bytes: Uint8Array, path: string): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ascii = (o: number) => String.fromCharCode(bytes[o]!, bytes[o + 1]!, bytes[o + 2]!, bytes[o + 3]!);
  if (bytes.length < 12 || ascii(0) !== 'RIFF' || ascii(8) !== 'WAVE') {
    fail(path, `not a WAV file (expected a RIFF/WAVE header, found ${JSON.stringify(bytes.length >= 4 ? ascii(0) : '')})`);
  }
  let fmt: { format: number; channels: number; rate: number; bits: number; blockAlign: number } | undefined;
  let data: Uint8Array | undefined;
  let off = 12;
  while (off + 8 <= bytes.length) {
    const id = ascii(off);
    const declared = view.getUint32(off + 4, true);
    const body = off + 8;
    if (id === 'fmt ') {
      if (declared < 16 || body + 16 > bytes.length) fail(path, `fmt chunk is ${declared} bytes, expected at least 16`);
      let format = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const rate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (format === EXTENSIBLE) {
        if (declared < 40 || body + 26 > bytes.length) fail(path, 'WAVE_FORMAT_EXTENSIBLE fmt chunk is too short');
        format = view.getUint16(body + 24, true); // first two bytes of the sub-format GUID
      }
      fmt = { format, channels, rate, bits, blockAlign };
    } else if (id === 'data') {
      // Streaming writers leave the size at 0 or 0xFFFFFFFF: then the data runs to the end of the file.
      if (declared === 0 || declared === 0xffffffff) {
        data = bytes.subarray(body);
      } else {
        if (body + declared > bytes.length) {
          fail(path, `truncated: the data chunk declares ${declared} bytes but only ${bytes.length - body} follow`);
        }
        data = bytes.subarray(body, body + declared);
      }
      break;
    }
    off = body + declared + (declared & 1);
  }
  if (fmt === undefined) fail(path, 'no fmt chunk before the audio data');
  if (data === undefined) fail(path, 'no data chunk (truncated or not audio)');
  const { format, channels, rate, bits } = fmt;
  if (channels < 1) fail(path, 'fmt declares 0 channels');
  if (rate < 1) fail(path, 'fmt declares a sample rate of 0 Hz');
  const supported = (format === PCM && [8, 16, 24, 32].includes(bits)) || (format === FLOAT && (bits === 32 || bits === 64));
  if (!supported) {
    fail(path, `unsupported sample format (format tag ${format}, ${bits} bits); expected PCM 8/16/24/32-bit or IEEE float 32/64-bit`);
  }
  const bytesPer = bits / 8;
  const frame = bytesPer * channels;
  const frames = Math.floor(data.length / frame);
  if (frames === 0) fail(path, 'empty: the data chunk holds no samples');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let c = 0; c < channels; c++) {
    const ch = out[c]!;
    let p = c * bytesPer;
    for (let i = 0; i < frames; i++, p += frame) {
      let v: number;
      if (format === FLOAT) v = bits === 32 ? dv.getFloat32(p, true) : dv.getFloat64(p, true);
      else if (bits === 16) v = dv.getInt16(p, true) / 32768;
      else if (bits === 8) v = (dv.getUint8(p) - 128) / 128;
      else if (bits === 24) v = ((dv.getUint8(p) | (dv.getUint8(p + 1) << 8) | (dv.getInt8(p + 2) << 16)) / 8388608);
      else v = dv.getInt32(p, true) / 2147483648;
      ch[i] = v;
    }
  }
  return { rate, channels: out };
}

export async function readWav(path: string): Promise<WavAudio> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SensebindError('INPUT', `${path}: cannot read (${code === 'ENOENT' ? 'file not found' : errorMessage(err)})`);
  }
  return parseWav(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), path);
}
