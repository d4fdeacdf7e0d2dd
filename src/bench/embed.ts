/**
 * `sensebind bench embed`: per-modality graph latency at batch 1 and batch 8, load + warm-up time, and
 * peak memory, on CPU (or --providers), for each model folder given (default: the ImageBind-signature test
 * model, and models/bind-mini when its graphs are installed).
 *
 * Inputs are real recordings from the data folder (src/bench/data.ts), preprocessed once; the timed part is the runtime's
 * embedTensors (graph call + fp16/int64 conversion + normalisation), not preprocessing (bench preprocess).
 * Each model runs in its own child process so its peak RSS is its own.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { MODALITIES, type Modality } from '../core/types.js';
import { resolveBundled } from '../config/paths.js';
import { usableModalities, loadManifest } from '../embed/manifest.js';
import type { ProviderName } from '../embed/providers.js';
import { EmbeddingRuntime } from '../embed/runtime.js';
import { preprocessFile, preprocessText, resampleImu, type PreprocessParams, type Tensor } from '../preprocess/index.js';
import { imuTensorFromCanonical } from '../preprocess/imu.js';
import { benchDataDir, benchFile } from './data.js';

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const PROMPTS = ['glass breaking', 'a dog barking', 'a robot tipping over', 'a person approaching', 'rain on a window', 'a door slamming', 'silence', 'a chainsaw'];

/** x-io walk CSV (g, deg/s) -> the manifest's IMU tensor over its window. */
function imuTensor(path: string, params: PreprocessParams['imu']): Tensor {
  const rows = readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',').map(Number));
  const t = Float64Array.from(rows, (r) => r[0]!);
  const col = (i: number, k: number) => Float32Array.from(rows, (r) => r[i]! * k);
  const g = 9.80665;
  const rad = Math.PI / 180;
  const channels = resampleImu(t, [col(4, g), col(5, g), col(6, g), col(1, rad), col(2, rad), col(3, rad)], 5, params.windowSeconds, params.samples);
  return imuTensorFromCanonical(channels, params.samples, params);
}

async function inputFor(modality: Modality, params: unknown, data: string, modelDir: string): Promise<Tensor> {
  const file = (rel: string) => benchFile('embed', data, rel);
  switch (modality) {
    case 'vision':
      return preprocessFile('vision', file('depth/rtabmap/rgb/17.jpg'), params as PreprocessParams['vision']);
    case 'audio':
      return preprocessFile('audio', file('audio/esc10/dog_bark__1-100032-A.wav'), params as PreprocessParams['audio']);
    case 'depth':
      return preprocessFile('depth', file('depth/rtabmap/depth/17.png'), params as PreprocessParams['depth']);
    case 'thermal': {
      // A grey camera frame (EuRoC) where the full data is here, else a 16-bit depth frame as counts: the
      // graph's cost does not depend on what the pixels show.
      const euroc = join(data, 'camera_imu/euroc_v1_01_micro/mav0/cam0/data');
      const path = existsSync(euroc) ? join(euroc, readdirSync(euroc).sort()[0]!) : file('depth/rtabmap/depth/154.png');
      return preprocessFile('thermal', path, params as PreprocessParams['thermal']);
    }
    case 'imu':
      return imuTensor(file('imu/xio_walk/short_walk.csv'), params as PreprocessParams['imu']);
    case 'text':
      return preprocessText(PROMPTS[0]!, params as PreprocessParams['text'], modelDir);
  }
}

interface Timing {
  /** Fastest call: the least disturbed by other load on a shared machine. */
  minMs: number;
  medianMs: number;
  p90Ms: number;
  perItemMs: number;
}

async function time(reps: number, batch: number, fn: () => Promise<unknown>): Promise<Timing> {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const median = quantile(ms, 0.5);
  return { minMs: round(ms[0]!), medianMs: round(median), p90Ms: round(quantile(ms, 0.9)), perItemMs: round(median / batch) };
}

/** One model, in this process: prints its figures as one JSON line. */
async function child(modelDir: string, providers: ProviderName[], reps: number, data: string, threads: number): Promise<void> {
  const rssBase = process.memoryUsage().rss;
  const runtime = await EmbeddingRuntime.open(modelDir, { providers, cacheDir: null, intraOpThreads: threads });
  const modalities: Record<string, unknown> = {};
  for (const m of runtime.modalities()) {
    const entry = runtime.manifest.modalities[m]!;
    const t0 = performance.now();
    const failed = (await runtime.load([m]))[m];
    if (failed !== undefined) {
      modalities[m] = { error: failed };
      continue;
    }
    const loadMs = performance.now() - t0;
    const one = await inputFor(m, entry.preprocess, data, runtime.loaded.dir);
    const eight = m === 'text' ? PROMPTS.map((p) => preprocessText(p, entry.preprocess as PreprocessParams['text'], runtime.loaded.dir)) : Array.from({ length: 8 }, () => one);
    await runtime.embedTensors(m, eight); // first batch-8 call: ORT plans the larger shapes once
    const b1 = await time(reps, 1, () => runtime.embedTensors(m, [one]));
    const b8 = await time(Math.max(3, Math.ceil(reps / 2)), 8, () => runtime.embedTensors(m, eight));
    const s = runtime.stats().modalities[m]!;
    modalities[m] = {
      provider: runtime.provider(m),
      input: `${entry.input.dtype} ${JSON.stringify(entry.input.shape)}`,
      loadAndWarmupMs: round(loadMs, 1),
      warmupMs: round(s.warmupMs ?? 0, 1),
      batch1: b1,
      batch8: b8,
      /** Items per second gained by batching: batch-1 median over batch-8 median per item. */
      batch8SpeedupPerItem: round(b1.medianMs / b8.perItemMs),
    };
  }
  await runtime.close();
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({ model: runtime.modelId, dir: runtime.loaded.dir, modalities, rssBeforeMiB: round(rssBase / 2 ** 20, 1), peakRssMiB: round(peak / 2 ** 20, 1) })}\n`,
  );
}

function runChild(args: string[]): Promise<unknown> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      // The first non-stack line of stderr is the error itself; the tail is only Node's frames.
      const why = err.split('\n').find((l) => /error/i.test(l) && !/^\s+at /.test(l)) ?? err.trim().split('\n').slice(-3).join(' | ');
      if (code !== 0 || !line) reject(new Error(`bench embed: child for ${args[0]} exited ${code}: ${why}`));
      else resolvePromise(JSON.parse(line));
    });
  });
}

async function hasGraphs(dir: string): Promise<boolean> {
  try {
    return usableModalities(await loadManifest(dir, { verifyHashes: false })).length > 0;
  } catch {
    return false;
  }
}

export async function main(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      providers: { type: 'string', default: 'cpu' },
      reps: { type: 'string', default: '20' },
      threads: { type: 'string', default: '0' },
      data: { type: 'string' },
    },
  });
  const requested = values.models?.split(',').map((s) => s.trim()).filter(Boolean);
  const candidates = requested ?? ['test/fixtures/models/imagebind-tiny', 'models/bind-mini'];
  const data = benchDataDir(values.data);
  // Fail here, in one line, rather than in a child process.
  for (const rel of ['depth/rtabmap/rgb/17.jpg', 'audio/esc10/dog_bark__1-100032-A.wav', 'depth/rtabmap/depth/17.png', 'imu/xio_walk/short_walk.csv']) benchFile('embed', data, rel);
  const results: unknown[] = [];
  const skipped: Record<string, string> = {};
  for (const c of candidates) {
    const dir = resolveBundled(c);
    if (!existsSync(dir)) skipped[c] = 'folder not found';
    else if (!(await hasGraphs(dir))) skipped[c] = 'no graph files installed yet (manifest only)';
    else results.push(await runChild([dir, values.providers, values.reps, data, values.threads]));
  }
  const out = {
    bench: 'embed',
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', node: process.versions.node },
    providers: values.providers,
    modalitiesOrder: MODALITIES,
    models: results,
    skipped,
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return out;
}

// `node dist/bench/embed.js --child <dir> <providers> <reps> <data> <threads>`: one model, in its own process.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--child') {
  const [dir, providers, reps, data, threads] = process.argv.slice(3);
  await child(dir!, providers!.split(',') as ProviderName[], Number(reps), data!, Number(threads));
}
