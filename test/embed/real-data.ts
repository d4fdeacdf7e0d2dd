// Live windows built from real recordings (test/data, or the shared data folder where it is here), the way
// the windowing stage would hand them over.
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { AudioWindow, DepthSample, FrameWindow, ImuWindow, ThermalSample, VisionSample } from '../../src/core/types.js';
import { readGreyImage } from '../../src/preprocess/image-file.js';
import { resampleImu } from '../../src/preprocess/index.js';
import { readWav } from '../../src/preprocess/wav.js';

import { dataFile, mustData } from '../helpers/data.js';

/** A recording by its path in the data folder's layout (bundled copy first). */
export const data = (rel: string): string => mustData(rel);

const DOG = 'audio/esc10/dog_bark__1-100032-A.wav';

/** An ESC-10 clip by file name where the shared folder is here, else the bundled dog bark. */
export function escClip(name: string): { path: string; bundled: boolean } {
  const p = dataFile(`audio/esc10/${name}`);
  return p !== undefined ? { path: p, bundled: false } : { path: mustData(DOG), bundled: true };
}

let frameCache: Promise<string[]> | undefined;

/**
 * At least 10 real grey camera frames: EuRoC cam0 where the shared folder is here; else quadrants of the
 * bundled colour frames (rtabmap, TUM) converted to grey PNGs in a temp folder.
 */
export function cameraFrames(): Promise<string[]> {
  frameCache ??= (async () => {
    const euroc = dataFile('camera_imu/euroc_v1_01_micro/mav0/cam0/data');
    if (euroc !== undefined) return (await readdir(euroc)).sort().map((f) => join(euroc, f));
    const dir = await mkdtemp(join(tmpdir(), 'sensebind-frames-'));
    const out: string[] = [];
    for (const src of ['depth/rtabmap/rgb/17.jpg', 'depth/rtabmap/rgb/154.jpg', 'depth/tum/TUM_color.png']) {
      for (const [left, top] of [[0, 0], [320, 0], [0, 240], [320, 240]] as const) {
        const path = join(dir, `${out.length.toString().padStart(2, '0')}.png`);
        await sharp(mustData(src)).extract({ left, top, width: 320, height: 240 }).toColourspace('b-w').png().toFile(path);
        out.push(path);
      }
    }
    return out;
  })();
  return frameCache;
}

export async function visionWindow(path: string): Promise<FrameWindow<VisionSample>> {
  const { data, info } = await sharp(await readFile(path)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { kind: 'frame', sample: { modality: 'vision', sensorId: path, stamp: 0n, width: info.width, height: info.height, rgb: new Uint8Array(data) } };
}

/** A 16-bit PNG in millimetres (RTAB-Map) or TUM's 5000 units per metre. */
export async function depthWindow(path: string, unitsPerMetre = 1000): Promise<FrameWindow<DepthSample>> {
  const img = await readGreyImage(path);
  const metres = Float32Array.from(img.values, (v) => v / unitsPerMetre);
  return { kind: 'frame', sample: { modality: 'depth', sensorId: path, stamp: 0n, width: img.width, height: img.height, metres } };
}

/** No thermal recording exists in the data set: a real grey camera frame stands in as 8-bit intensities. */
export async function thermalWindow(path: string): Promise<FrameWindow<ThermalSample>> {
  const img = await readGreyImage(path);
  return { kind: 'frame', sample: { modality: 'thermal', sensorId: path, stamp: 0n, width: img.width, height: img.height, values: img.values } };
}

/** The `seconds` of channel 0 ending at `endSeconds`. */
export async function audioWindow(path: string, endSeconds: number, seconds = 2): Promise<AudioWindow> {
  const wav = await readWav(path);
  const end = Math.min(wav.channels[0]!.length, Math.round(endSeconds * wav.rate));
  const samples = wav.channels[0]!.slice(Math.max(0, end - Math.round(seconds * wav.rate)), end);
  return { kind: 'audio', rate: wav.rate, samples, start: 0n, end: BigInt(Math.round(seconds * 1e9)), coverage: 1 };
}

/** x-io foot-mounted walk (g and deg/s) -> canonical SI window of 5 s at 2000 steps, starting at `start` s. */
export async function imuWindow(path: string, start: number): Promise<ImuWindow> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n').slice(1);
  const rows = lines.map((l) => l.split(',').map(Number));
  const t = Float64Array.from(rows, (r) => r[0]!);
  const g = 9.80665;
  const rad = Math.PI / 180;
  const col = (i: number, k: number) => Float32Array.from(rows, (r) => r[i]! * k);
  const channels = resampleImu(t, [col(4, g), col(5, g), col(6, g), col(1, rad), col(2, rad), col(3, rad)], start, 5, 2000);
  const readings = rows.filter((r) => r[0]! >= start && r[0]! < start + 5).length;
  return { kind: 'imu', count: 2000, channels, start: BigInt(Math.round(start * 1e9)), end: BigInt(Math.round((start + 5) * 1e9)), readings, coverage: 1 };
}
