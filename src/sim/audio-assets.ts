/**
 * The real recordings the simulator mixes in (assets/audio, 16 kHz mono 16-bit WAV, licences beside
 * them). Loaded once per process; a missing asset is an IO error naming the file, since a scene without
 * its dog or its speech would silently change the data.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SensebindError } from '../core/errors.js';

export const ASSET_NAMES = ['dog_bark_1', 'dog_bark_2', 'speech_1', 'speech_2', 'bg_dishes', 'bg_tap'] as const;
export type AssetName = (typeof ASSET_NAMES)[number];

/** assets/audio relative to this module: the same from src/sim (vitest) and dist/sim (CLI). */
const ASSET_DIR = fileURLToPath(new URL('../../assets/audio/', import.meta.url));

const cache = new Map<AssetName, Float32Array>();

/** Parses a PCM 16-bit mono WAV at 16 kHz into floats in [-1, 1]. */
function parsePcm16Wav(bytes: Uint8Array, source: string): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (o: number) => String.fromCharCode(...bytes.subarray(o, o + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') {
    throw new SensebindError('INPUT', `${source}: not a RIFF/WAVE file`);
  }
  let offset = 12;
  let format: { channels: number; rate: number; bits: number } | undefined;
  while (offset + 8 <= bytes.length) {
    const id = tag(offset);
    const size = view.getUint32(offset + 4, true);
    const body = offset + 8;
    if (id === 'fmt ') {
      format = { channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === 'data') {
      if (format === undefined || format.channels !== 1 || format.rate !== 16000 || format.bits !== 16) {
        throw new SensebindError('INPUT', `${source}: expected 16 kHz mono 16-bit PCM, found ${JSON.stringify(format)}`);
      }
      const n = Math.floor(Math.min(size, bytes.length - body) / 2);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(body + 2 * i, true) / 32768;
      return out;
    }
    offset = body + size + (size % 2);
  }
  throw new SensebindError('INPUT', `${source}: no data chunk`);
}

export function loadAsset(name: AssetName): Float32Array {
  let samples = cache.get(name);
  if (samples === undefined) {
    const path = `${ASSET_DIR}${name}.wav`;
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      throw new SensebindError('IO', `simulator audio asset ${path} is missing: ${(err as Error).message}`);
    }
    samples = parsePcm16Wav(bytes, path);
    cache.set(name, samples);
  }
  return samples;
}
