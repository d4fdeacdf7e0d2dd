/**
 * `sensebind bench preprocess`: per-window preprocessing time of every modality in TypeScript against the
 * PyTorch reference (bench/preprocess_reference.py, run in the same invocation on the same inputs), and
 * the ratio reference / ours. Both sides start from decoded data (a frame in memory, a waveform, readings),
 * since that is what a live window is. Rows marked "TypeScript engine" time the same windows without the
 * WebAssembly kernels (what SENSEBIND_WASM=0 runs). Prints one JSON object.
 *
 * Options: --data <dir> (default $SENSEBIND_DATA, else ../shared/data; needs the full set: EuRoC, speech), --seconds <budget per row, split over the rounds> (default 2),
 * --rounds <n> (default 5: each round times every row right after the reference of its modality),
 * --python <interpreter> (default /usr/bin/python3; the reference is skipped when it cannot run).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
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
import { benchDataDir, benchFile } from './data.js';

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

/** Middle value (upper middle for an even count). */
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

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
    options: {
      data: { type: 'string' },
      seconds: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '5' },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  const data = benchDataDir(values.data);
  const file = (rel: string) => benchFile('preprocess', data, rel);
  // The reference reads these too: all are checked before either side starts.
  for (const rel of ['depth/tum/TUM_color.png', 'audio/speech/silero_test_speech.wav', 'audio/esc10/dog_bark__1-100032-A.wav', 'depth/rtabmap/depth/17.png', 'camera_imu/euroc_v1_01_micro/mav0/cam0/data', 'imu/xio_walk/short_walk.csv']) file(rel);
  const budget = Number(values.seconds);
  const rounds = Math.max(1, Math.round(Number(values.rounds)));
  if (!(budget > 0) || !Number.isFinite(rounds)) throw new RangeError(`--seconds must be > 0 and --rounds a count, got ${values.seconds} and ${values.rounds}`);

  const vision = defaultPreprocess('vision');
  const audio = defaultPreprocess('audio');
  const text = defaultPreprocess('text');
  const depth = defaultPreprocess('depth');
  const thermal = defaultPreprocess('thermal');
  const imu = defaultPreprocess('imu');

  const frame = await readRgbImage(file('depth/tum/TUM_color.png'));
  const speech = (await readWav(file('audio/speech/silero_test_speech.wav'))).channels[0]!.slice(0, 32000);
  const dogWav = await readWav(file('audio/esc10/dog_bark__1-100032-A.wav'));
  const dog = dogWav.channels[0]!.slice(0, 88200);
  const tok = loadTokenizer(text.vocabulary);
  const prompts = ['a photo of a dog.', 'the sound of glass breaking', 'a robot tipping over', 'person approaching'];
  let i = 0;
  const depthPng = await readGreyImage(file('depth/rtabmap/depth/17.png'));
  const metres = depthPng.values.map((v) => v / 1000);
  const camDir = file('camera_imu/euroc_v1_01_micro/mav0/cam0/data');
  const grey = await readGreyImage(join(camDir, readdirSync(camDir).sort()[0]!));
  const walk = xioWalk(file('imu/xio_walk/short_walk.csv'));
  const start = walk.t[0]! + 5;

  // `into`: the window's slice of a batch buffer, as the embedding runtime can pass it (no allocation per window).
  const into = new Float32Array(3 * 224 * 224);
  const dm = { width: depthPng.width, height: depthPng.height, values: metres };
  const th = { width: grey.width, height: grey.height, values: grey.values };
  const INTO = 'into batch buffer';
  const TS = 'into batch buffer, TypeScript engine';
  // [row label, reference modality, the window's work]; rows of one modality run right after its reference.
  const rows: [string, string, () => unknown][] = [
    ['vision', 'vision', () => visionTensor(frame, vision)],
    [`vision (${INTO})`, 'vision', () => visionTensor(frame, vision, 'bench', into)],
    [`vision (${TS})`, 'vision', () => visionTensor(frame, vision, 'bench', into, 'typescript')],
    ['audio16k', 'audio16k', () => audioWindowTensor(speech, 16000, audio)],
    [`audio16k (${INTO})`, 'audio16k', () => audioWindowTensor(speech, 16000, audio, into)],
    ['audio44k', 'audio44k', () => audioWindowTensor(dog, dogWav.rate, audio)],
    [`audio44k (${INTO})`, 'audio44k', () => audioWindowTensor(dog, dogWav.rate, audio, into)],
    [`audio44k (${TS})`, 'audio44k', () => audioWindowTensor(dog, dogWav.rate, audio, into, 'typescript')],
    ['text', 'text', () => tok.tokenize(prompts[i++ % prompts.length]!, text)],
    ['depth', 'depth', () => depthTensor(dm, depth)],
    [`depth (${INTO})`, 'depth', () => depthTensor(dm, depth, into)],
    [`depth (${TS})`, 'depth', () => depthTensor(dm, depth, into, 'typescript')],
    ['thermal', 'thermal', () => thermalTensor(th, thermal)],
    [`thermal (${INTO})`, 'thermal', () => thermalTensor(th, thermal, into)],
    [`thermal (${TS})`, 'thermal', () => thermalTensor(th, thermal, into, 'typescript')],
    ['imu', 'imu', () => imuTensorFromReadings(walk.t, walk.channels, start, imu)],
    [`imu (${INTO})`, 'imu', () => imuTensorFromReadings(walk.t, walk.channels, start, imu, into)],
    [`imu (${TS})`, 'imu', () => imuTensorFromReadings(walk.t, walk.channels, start, imu, into, 'typescript')],
  ];
  const SHARP = 'vision (sharp resizer, not Pillow-exact)';

  const script = resolve(dirname(fileURLToPath(import.meta.url)), '../../bench/preprocess_reference.py');
  let reference: ReferenceServer | null = null;
  let referenceError: string | undefined;
  try {
    reference = await ReferenceServer.start(values.python, script, data);
  } catch (err) {
    referenceError = err instanceof Error ? err.message : String(err);
  }

  // Rounds: each row and its reference are timed back to back, so a load change on this shared machine hits
  // both sides of a ratio; the speedup reported is the median of the per-round ratios.
  const slice = Math.max(0.2, budget / rounds);
  const samples = new Map<string, { ours: number[]; wall: number[]; ref: number[]; refWall: number[] }>();
  const add = (label: string, t: Timing, r: Timing | null) => {
    let e = samples.get(label);
    if (e === undefined) samples.set(label, (e = { ours: [], wall: [], ref: [], refWall: [] }));
    e.ours.push(t.ms);
    e.wall.push(t.wallMs);
    if (r !== null) {
      e.ref.push(r.ms);
      e.refWall.push(r.wallMs);
    }
  };
  for (let r = 0; r < rounds; r++) {
    for (const m of ['vision', 'audio16k', 'audio44k', 'text', 'depth', 'thermal', 'imu']) {
      const ref = reference === null ? null : await reference.time(m, slice);
      for (const [label, rm, fn] of rows) if (rm === m) add(label, timed(fn, slice), ref);
      if (m === 'vision') add(SHARP, await timedAsync(() => visionTensorSharp(frame, { ...vision, resizer: 'sharp' }, 'bench', into), slice), ref);
    }
    process.stderr.write(`bench preprocess: round ${r + 1}/${rounds} done\n`);
  }
  const torchThreads = reference?.torchThreads ?? null;
  reference?.close();

  const modalities: Record<string, object> = {};
  for (const [label, e] of samples) {
    const ratios = e.ref.map((x, k) => x / e.ours[k]!).sort((a, b) => a - b);
    modalities[label] = {
      oursMs: round(median(e.ours)),
      referenceMs: e.ref.length > 0 ? round(median(e.ref)) : null,
      speedup: ratios.length > 0 ? round(median(ratios), 2) : null,
      speedupRange: ratios.length > 0 ? [round(ratios[0]!, 2), round(ratios[ratios.length - 1]!, 2)] : null,
      oursWallMs: round(median(e.wall)),
      referenceWallMs: e.refWall.length > 0 ? round(median(e.refWall)) : null,
    };
  }
  const out = {
    bench: 'preprocess',
    unit: 'median CPU ms per window; speedup = median over rounds of reference / ours (range = min, max); wall ms alongside',
    rounds,
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    node: process.version,
    kernels: wasmUnavailableReason() === null ? 'WebAssembly SIMD' : `TypeScript (${wasmUnavailableReason()})`,
    torchThreads,
    ...(referenceError !== undefined ? { referenceError } : {}),
    modalities,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

/** bench/preprocess_reference.py --serve: one timing request per line, one JSON answer per line. */
class ReferenceServer {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  torchThreads: number | null = null;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(python: string, script: string, data: string): Promise<ReferenceServer> {
    const child = spawn(python, [script, '--data', data, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    const spawnError = new Promise<never>((_, reject) => child.on('error', (err) => reject(new Error(`${python}: ${err.message}`))));
    const server = new ReferenceServer(child);
    const first = await Promise.race([server.#lines.next(), spawnError]);
    if (first.done === true) throw new Error(`reference did not start: ${stderr.trim().split('\n').slice(-1)[0] ?? `exit ${child.exitCode}`}`);
    server.torchThreads = (JSON.parse(first.value) as { torchThreads: number }).torchThreads;
    return server;
  }

  async time(modality: string, seconds: number): Promise<Timing> {
    this.#child.stdin.write(`${modality} ${seconds}\n`);
    const line = await this.#lines.next();
    if (line.done === true) throw new Error(`reference exited while timing ${modality}`);
    return JSON.parse(line.value) as Timing;
  }

  close(): void {
    this.#child.stdin.end();
  }
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
