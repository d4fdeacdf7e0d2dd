/**
 * `sensebind bench preprocess`: per-window preprocessing time of every modality in TypeScript against the
 * PyTorch reference (bench/preprocess_reference.py, run in the same invocation on the same inputs), and
 * the ratio reference / ours. Both sides start from decoded data (a frame in memory, a waveform, readings),
 * since that is what a live window is. Rows marked "TypeScript engine" time the same windows without the
 * WebAssembly kernels (what SENSEBIND_WASM=0 runs). Prints one JSON object.
 *
 * Options: --data <dir> (default ../shared/data), --seconds <budget per modality> (default 2),
 * --python <interpreter> (default /usr/bin/python3; the reference is skipped when it cannot run).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { audioWindowTensor } from '../preprocess/audio.js';
import { depthTensor, thermalTensor } from '../preprocess/depth.js';
import { readGreyImage, readRgbImage } from '../preprocess/image-file.js';
import { imuTensorFromReadings } from '../preprocess/imu.js';
import { parseImuCsv } from '../preprocess/imu-csv.js';
import { defaultPreprocess } from '../preprocess/params.js';
import { loadTokenizer } from '../preprocess/tokenizer.js';
import { visionTensor, visionTensorSharp } from '../preprocess/vision.js';
import { readWav } from '../preprocess/wav.js';
import { wasmUnavailableReason } from '../preprocess/wasm/kernels.js';

interface Timing {
  /** Median CPU milliseconds (user + system) per window: robust on a machine shared with other jobs. */
  ms: number;
  /** Median wall milliseconds per window. */
  wallMs: number;
  /** Windows timed. */
  n: number;
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Times `fn` in batches long enough for the CPU clock's resolution; medians over the budget. */
function timed(fn: () => unknown, budgetS: number): Timing {
  fn();
  const t0 = performance.now();
  fn();
  const single = Math.max(performance.now() - t0, 1e-4);
  const batch = Math.max(1, Math.ceil(5 / single));
  const cpu: number[] = [];
  const wall: number[] = [];
  const deadline = performance.now() + budgetS * 1000;
  while (performance.now() < deadline || cpu.length < 5) {
    const c0 = cpuMs();
    const w0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    wall.push((performance.now() - w0) / batch);
    cpu.push((cpuMs() - c0) / batch);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { ms: median(cpu), wallMs: median(wall), n: cpu.length * batch };
}

/** The same for an asynchronous function (sharp's libvips pipeline runs on the libuv pool; CPU time counts every thread). */
async function timedAsync(fn: () => Promise<unknown>, budgetS: number): Promise<Timing> {
  await fn();
  const cpu: number[] = [];
  const wall: number[] = [];
  const deadline = performance.now() + budgetS * 1000;
  while (performance.now() < deadline || cpu.length < 5) {
    const c0 = cpuMs();
    const w0 = performance.now();
    for (let i = 0; i < 4; i++) await fn();
    wall.push((performance.now() - w0) / 4);
    cpu.push((cpuMs() - c0) / 4);
  }
  const median = (a: number[]) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  return { ms: median(cpu), wallMs: median(wall), n: cpu.length * 4 };
}

/** x-io NGIMU csv (s, deg/s, g) in SI units, as bench/preprocess_reference.py converts it. */
function xioWalk(path: string): { t: Float64Array; channels: Float32Array[] } {
  const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1).map((r) => r.split(',').map(Number));
  const csv = ['t,ax,ay,az,gx,gy,gz', ...rows.map((v) => [v[0], v[4]! * 9.80665, v[5]! * 9.80665, v[6]! * 9.80665, (v[1]! * Math.PI) / 180, (v[2]! * Math.PI) / 180, (v[3]! * Math.PI) / 180].join(','))];
  return parseImuCsv(csv.join('\n'), path);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { data: { type: 'string', default: '../shared/data' }, seconds: { type: 'string', default: '2' }, python: { type: 'string', default: '/usr/bin/python3' } },
  });
  const data = resolve(values.data);
  const budget = Number(values.seconds);

  const vision = defaultPreprocess('vision');
  const audio = defaultPreprocess('audio');
  const text = defaultPreprocess('text');
  const depth = defaultPreprocess('depth');
  const thermal = defaultPreprocess('thermal');
  const imu = defaultPreprocess('imu');

  const frame = await readRgbImage(join(data, 'depth/tum/TUM_color.png'));
  const speech = (await readWav(join(data, 'audio/speech/silero_test_speech.wav'))).channels[0]!.slice(0, 32000);
  const dogWav = await readWav(join(data, 'audio/esc10/dog_bark__1-100032-A.wav'));
  const dog = dogWav.channels[0]!.slice(0, 88200);
  const tok = loadTokenizer(text.vocabulary);
  const prompts = ['a photo of a dog.', 'the sound of glass breaking', 'a robot tipping over', 'person approaching'];
  let i = 0;
  const depthPng = await readGreyImage(join(data, 'depth/rtabmap/depth/17.png'));
  const metres = depthPng.values.map((v) => v / 1000);
  const camDir = join(data, 'camera_imu/euroc_v1_01_micro/mav0/cam0/data');
  const grey = await readGreyImage(join(camDir, readdirSync(camDir).sort()[0]!));
  const walk = xioWalk(join(data, 'imu/xio_walk/short_walk.csv'));
  const start = walk.t[0]! + 5;

  // `into`: the window's slice of a batch buffer, as the embedding runtime can pass it (no allocation per window).
  const into = new Float32Array(3 * 224 * 224);
  const ours: Record<string, Timing> = {
    vision: timed(() => visionTensor(frame, vision), budget),
    audio16k: timed(() => audioWindowTensor(speech, 16000, audio), budget),
    audio44k: timed(() => audioWindowTensor(dog, dogWav.rate, audio), budget),
    text: timed(() => tok.tokenize(prompts[i++ % prompts.length]!, text), budget),
    depth: timed(() => depthTensor({ width: depthPng.width, height: depthPng.height, values: metres }, depth), budget),
    thermal: timed(() => thermalTensor({ width: grey.width, height: grey.height, values: grey.values }, thermal), budget),
    imu: timed(() => imuTensorFromReadings(walk.t, walk.channels, start, imu), budget),
  };
  const oursInto: Record<string, Timing> = {
    vision: timed(() => visionTensor(frame, vision, 'bench', into), budget),
    audio16k: timed(() => audioWindowTensor(speech, 16000, audio, into), budget),
    audio44k: timed(() => audioWindowTensor(dog, dogWav.rate, audio, into), budget),
    depth: timed(() => depthTensor({ width: depthPng.width, height: depthPng.height, values: metres }, depth, into), budget),
    thermal: timed(() => thermalTensor({ width: grey.width, height: grey.height, values: grey.values }, thermal, into), budget),
    imu: timed(() => imuTensorFromReadings(walk.t, walk.channels, start, imu, into), budget),
  };
  // The same windows through the TypeScript implementations (the fallback where WebAssembly SIMD is off).
  const oursTs: Record<string, Timing> = {
    vision: timed(() => visionTensor(frame, vision, 'bench', into, 'typescript'), budget),
    audio44k: timed(() => audioWindowTensor(dog, dogWav.rate, audio, into, 'typescript'), budget),
    depth: timed(() => depthTensor({ width: depthPng.width, height: depthPng.height, values: metres }, depth, into, 'typescript'), budget),
    thermal: timed(() => thermalTensor({ width: grey.width, height: grey.height, values: grey.values }, thermal, into, 'typescript'), budget),
    imu: timed(() => imuTensorFromReadings(walk.t, walk.channels, start, imu, into, 'typescript'), budget),
  };
  const sharpVision = await timedAsync(() => visionTensorSharp(frame, { ...vision, resizer: 'sharp' }, 'bench', into), budget);

  const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/preprocess_reference.py');
  const ref = spawnSync(values.python, [script, '--data', data, '--seconds', String(budget)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  let reference: Record<string, Timing | number> | null = null;
  let referenceError: string | undefined;
  if (ref.status === 0) reference = JSON.parse(ref.stdout.trim().split('\n').pop()!) as Record<string, Timing | number>;
  else referenceError = (ref.error?.message ?? ref.stderr.trim().split('\n').slice(-1)[0]) || `exit ${ref.status}`;

  const row = (t: Timing, key: string) => {
    const r = reference?.[key];
    const ref = typeof r === 'object' ? r : null;
    return {
      oursMs: round(t.ms),
      referenceMs: ref === null ? null : round(ref.ms),
      speedup: ref === null ? null : round(ref.ms / t.ms, 2),
      oursWallMs: round(t.wallMs),
      referenceWallMs: ref === null ? null : round(ref.wallMs),
    };
  };
  const modalities: Record<string, ReturnType<typeof row>> = {};
  for (const [m, t] of Object.entries(ours)) modalities[m] = row(t, m);
  for (const [m, t] of Object.entries(oursInto)) modalities[`${m} (into batch buffer)`] = row(t, m);
  for (const [m, t] of Object.entries(oursTs)) modalities[`${m} (into batch buffer, TypeScript engine)`] = row(t, m);
  modalities['vision (sharp resizer, not Pillow-exact)'] = row(sharpVision, 'vision');
  const out = {
    bench: 'preprocess',
    unit: 'median CPU ms per window (speedup = reference / ours); wall ms alongside',
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
    kernels: wasmUnavailableReason() === null ? 'WebAssembly SIMD' : `TypeScript (${wasmUnavailableReason()})`,
    torchThreads: typeof reference?.['torchThreads'] === 'number' ? reference['torchThreads'] : null,
    ...(referenceError !== undefined ? { referenceError } : {}),
    modalities,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
