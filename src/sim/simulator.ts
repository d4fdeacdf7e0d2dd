/**
 * The simulated robot's sensor streams, in stamp order: camera (rgb8) and aligned depth (16UC1 mm) frames,
 * IMU readings, 16-bit audio chunks and ground-truth records. Audio and IMU are synthesised for the whole
 * run up front (cheap); frames are rendered lazily as the stream is consumed, so a long run needs little
 * memory. Consumers: the bag writer (`sensebind simulate`) and the dataset exporter (in-memory samples).
 */
import { intrinsicsFor } from './camera.js';
import { eventKind, type EventId } from './events.js';
import { renderDepth } from './render-depth.js';
import { renderRgb } from './render-rgb.js';
import { Rng } from './rng.js';
import { makeScript, type Script } from './script.js';
import { AUDIO_RATE, synthesizeAudio } from './audio.js';
import { synthesizeImu } from './imu.js';
import { worldAt } from './world.js';
import type { TruthRecord } from './truth.js';

export interface SimOptions {
  seed: number;
  /** Seconds. */
  duration: number;
  /** Event kinds allowed. @default all */
  events?: readonly EventId[];
  /** @default 320 */
  width?: number;
  /** @default 240 */
  height?: number;
  /** Camera frame rate. @default 10 */
  fps?: number;
  /** Depth frame rate (a depth camera often runs slower than its colour stream). @default fps */
  depthFps?: number;
  /** Depth image size (same field of view). @default 160 x 120 */
  depthWidth?: number;
  depthHeight?: number;
  /** @default 200 */
  imuRate?: number;
  /** Audio samples per message. @default 1600 (100 ms) */
  audioChunk?: number;
  /** Stamp of t = 0, ns. @default 1_750_000_000 s */
  startStamp?: bigint;
}

export type SimItem =
  | { kind: 'image'; stamp: bigint; width: number; height: number; rgb: Uint8Array }
  | { kind: 'depth'; stamp: bigint; width: number; height: number; mm: Uint16Array }
  | { kind: 'imu'; stamp: bigint; acc: [number, number, number]; gyro: [number, number, number] }
  | { kind: 'audio'; stamp: bigint; rate: number; pcm: Int16Array }
  | { kind: 'truth'; stamp: bigint; truth: TruthRecord };

export const DEFAULT_START_STAMP = 1_750_000_000_000_000_000n;
const ORDER: Record<SimItem['kind'], number> = { truth: 0, image: 1, depth: 2, audio: 3, imu: 4 };

function secondsToNs(start: bigint, seconds: number): bigint {
  return start + BigInt(Math.round(seconds * 1e9));
}

export interface Simulation {
  script: Script;
  options: Required<Omit<SimOptions, 'events'>> & { events: readonly EventId[] | undefined };
  items(): AsyncGenerator<SimItem>;
}

export function createSimulation(options: SimOptions): Simulation {
  const opts = {
    seed: options.seed,
    duration: options.duration,
    events: options.events,
    width: options.width ?? 320,
    height: options.height ?? 240,
    fps: options.fps ?? 10,
    depthFps: options.depthFps ?? options.fps ?? 10,
    depthWidth: options.depthWidth ?? 160,
    depthHeight: options.depthHeight ?? 120,
    imuRate: options.imuRate ?? 200,
    audioChunk: options.audioChunk ?? 1600,
    startStamp: options.startStamp ?? DEFAULT_START_STAMP,
  };
  const script = makeScript({ seed: opts.seed, duration: opts.duration, ...(opts.events !== undefined ? { events: opts.events } : {}) });
  return { script, options: opts, items: () => generate(script, opts) };
}

async function* generate(script: Script, opts: Simulation['options']): AsyncGenerator<SimItem> {
  const start = opts.startStamp;
  const audio = synthesizeAudio(script);
  const imu = synthesizeImu(script, opts.imuRate);
  const kRgb = intrinsicsFor(opts.width, opts.height);
  const kDepth = intrinsicsFor(opts.depthWidth, opts.depthHeight);
  const jitterRng = Rng.derive(script.seed, 'stamp-jitter');
  const frameCount = Math.floor(script.duration * opts.fps);
  // Camera timing jitter of a few ms; frame k is rendered at its own (jittered) time.
  const frameTimes = Array.from({ length: frameCount }, (_, k) => Math.max(0, k / opts.fps + jitterRng.uniform(-0.003, 0.003)));
  // Depth at the camera's rate shares its stamps (one capture); at its own rate it has its own timeline.
  const sameRate = opts.depthFps === opts.fps;
  const depthCount = sameRate ? frameCount : Math.floor(script.duration * opts.depthFps);
  const depthTimes = sameRate ? frameTimes : Array.from({ length: depthCount }, (_, k) => Math.max(0, k / opts.depthFps + jitterRng.uniform(-0.003, 0.003)));
  const imuTimes = Array.from({ length: imu.count }, (_, i) => i / opts.imuRate + jitterRng.uniform(-0.00005, 0.00005));
  const truths = script.events.map((e) => ({
    stamp: secondsToNs(start, e.start),
    truth: { v: 1 as const, label: e.kind, caption: eventKind(e.kind).label, start: secondsToNs(start, e.start).toString(), end: secondsToNs(start, e.end).toString() },
  }));
  const tick = opts.audioChunk / AUDIO_RATE;
  const ticks = Math.floor(audio.length / opts.audioChunk);
  let fi = 0;
  let di = 0;
  let ii = 0;
  let ti = 0;
  for (let c = 0; c < ticks; c++) {
    const t0 = c * tick;
    const t1 = (c + 1) * tick;
    const batch: SimItem[] = [];
    while (ti < truths.length && (truths[ti]?.stamp ?? 0n) < secondsToNs(start, t1)) {
      const tr = truths[ti++]!;
      batch.push({ kind: 'truth', stamp: tr.stamp, truth: tr.truth });
    }
    const pcm = new Int16Array(opts.audioChunk);
    for (let i = 0; i < opts.audioChunk; i++) pcm[i] = Math.round((audio[c * opts.audioChunk + i] as number) * 32767);
    batch.push({ kind: 'audio', stamp: secondsToNs(start, t0), rate: AUDIO_RATE, pcm });
    while (ii < imu.count && (imuTimes[ii] as number) < t1) {
      const o = ii * 6;
      const d = imu.data;
      batch.push({
        kind: 'imu',
        stamp: secondsToNs(start, imuTimes[ii] as number),
        acc: [d[o] as number, d[o + 1] as number, d[o + 2] as number],
        gyro: [d[o + 3] as number, d[o + 4] as number, d[o + 5] as number],
      });
      ii++;
    }
    while (fi < frameCount && (frameTimes[fi] as number) < t1) {
      const t = frameTimes[fi] as number;
      const rgb = await renderRgb(kRgb, worldAt(script, t), script.setup, Rng.derive(script.seed, `img${fi}`));
      batch.push({ kind: 'image', stamp: secondsToNs(start, t), width: opts.width, height: opts.height, rgb });
      fi++;
    }
    while (di < depthCount && (depthTimes[di] as number) < t1) {
      const t = depthTimes[di] as number;
      const mm = renderDepth(kDepth, worldAt(script, t), script.setup, Rng.derive(script.seed, `depth${di}`));
      batch.push({ kind: 'depth', stamp: secondsToNs(start, t), width: opts.depthWidth, height: opts.depthHeight, mm });
      di++;
    }
    batch.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : ORDER[a.kind] - ORDER[b.kind]));
    yield* batch;
  }
}
