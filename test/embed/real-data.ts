// Live windows built from real recordings in ../shared/data, the way the windowing stage would hand them over.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import sharp from 'sharp';
import type { AudioWindow, DepthSample, FrameWindow, ImuWindow, ThermalSample, VisionSample } from '../../src/core/types.js';
import { readGreyImage } from '../../src/preprocess/image-file.js';
import { resampleImu } from '../../src/preprocess/index.js';
import { readWav } from '../../src/preprocess/wav.js';

export const DATA = resolve('../shared/data');
export const EUROC = `${DATA}/camera_imu/euroc_v1_01_micro/mav0`;

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
