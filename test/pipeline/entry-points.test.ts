/**
 * The agent that is tested is the agent that runs: `replay`, `eval` and `run --bag` of one simulated bag,
 * each as a user runs it (the built CLI in a child process), must give the same events, identical in the
 * JSONL apart from wall-clock fields (emittedAt, the run id inside event ids). Also checks that a config
 * key means the same on every path (hop, threads, topic mapping, config_path). Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runIndependent } from '../../src/match/matcher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { SenseEvent } from '../../src/core/types.js';
import { openPipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { runBag } from '../../src/pipeline/run-bag.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
let dir: string;
let bag: string;

function cli(args: string[], timeout = 120_000) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function events(path: string): Promise<SenseEvent[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as SenseEvent);
}

const comparable = runIndependent;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-entry-'));
  bag = join(dir, 'sim.mcap');
  const sim = cli(['simulate', '--seed', '21', '--duration', '10', '--width', '160', '--height', '120', '--out', bag, '--quiet']);
  expect(sim.code, sim.stderr).toBe(0);
  await writeFile(join(dir, 'sensebind.yaml'), ['robot: { id: entry }', 'log: { level: warn, format: json }', `model: { providers: [cpu], cacheDir: ${join(dir, 'cache')} }`].join('\n'));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('every entry point runs the same agent', () => {
  it('replay (as fast as possible), run --bag (paced) and the eval path give identical events', async () => {
    const replayed = cli(['replay', bag, '--events', 'replay.jsonl']);
    expect(replayed.code, replayed.stderr).toBe(0);
    const a = await events(join(dir, 'replay.jsonl'));
    expect(a.filter((e) => e.type === 'start').length).toBeGreaterThan(0);

    // Twice into one file: the file holds one replay's events, not two.
    expect(cli(['replay', bag, '--events', 'replay.jsonl']).code).toBe(0);
    expect((await events(join(dir, 'replay.jsonl'))).length).toBe(a.length);

    await writeFile(join(dir, 'run.yaml'), ['robot: { id: entry }', 'log: { level: warn, format: json }', `model: { providers: [cpu], cacheDir: ${join(dir, 'cache')} }`, `sinks: { jsonl: { path: ${join(dir, 'run.jsonl')} } }`].join('\n'));
    const ran = cli(['run', '--config', 'run.yaml', '--bag', bag, '--speed', '4', '--exit-at-end']);
    expect(ran.code, ran.stderr).toBe(0);
    const summary = JSON.parse(ran.stdout) as { clean: boolean; skippedTicks: number; lostEvents: number };
    expect(summary).toMatchObject({ clean: true, lostEvents: 0 });
    // Equal events are only promised while the machine keeps up; a skipped tick would say it did not.
    if (summary.skippedTicks === 0) expect((await events(join(dir, 'run.jsonl'))).map(comparable)).toEqual(a.map(comparable));
    else console.warn(`run --bag skipped ${summary.skippedTicks} ticks (machine too loaded to keep up at 4x): events not compared`);

    // eval's path (runBag, no sinks) collects the same events the replay wrote.
    const config = parseConfig({ robot: { id: 'entry' }, model: { providers: ['cpu'], cacheDir: join(dir, 'cache') } }, 'test');
    const pipeline = await openPipeline(pipelineOptionsFromConfig(config));
    try {
      const run = await runBag(pipeline, config, bag);
      expect(run.summary.events.map(comparable)).toEqual(a.map(comparable));
    } finally {
      await pipeline.close();
    }
    // And eval's report on the pipeline equals its report on the replay's file.
    const direct = cli(['eval', bag]);
    const fromFile = cli(['eval', bag, '--events', 'replay.jsonl']);
    expect(direct.code, direct.stderr).toBe(0);
    const strip = (s: string) => {
      const { bags: _b, ...rest } = JSON.parse(s) as Record<string, unknown>;
      return rest;
    };
    expect(strip(direct.stdout)).toEqual(strip(fromFile.stdout));
  }, 240_000);

  it('honours window.hopSeconds and --hop on replay (and refuses a hop that never advances)', async () => {
    const base = JSON.parse(cli(['replay', bag]).stdout) as { snapshots: number; durationSeconds: number };
    await writeFile(join(dir, 'hop.yaml'), ['log: { level: warn }', `model: { providers: [cpu], cacheDir: ${join(dir, 'cache')} }`, 'window: { hopSeconds: 1 }'].join('\n'));
    const fromConfig = JSON.parse(cli(['--config', 'hop.yaml', 'replay', bag]).stdout) as { snapshots: number };
    const fromFlag = JSON.parse(cli(['replay', bag, '--hop', '1']).stdout) as { snapshots: number };
    expect(fromConfig.snapshots).toBe(fromFlag.snapshots);
    expect(Math.abs(base.snapshots - 2 * fromFlag.snapshots)).toBeLessThanOrEqual(2);
    for (const bad of ['0', '-0.5', 'x']) {
      const r = cli(['replay', bag, '--hop', bad], 90_000);
      expect(r.code, `--hop ${bad}`).toBe(2);
      expect(r.stderr).toMatch(/--hop/);
    }
    const neg = cli(['replay', bag, '--speed', '-1'], 90_000);
    expect(neg.code).toBe(2);
    expect(neg.stderr).toMatch(/--speed must be >= 0/);
  }, 400_000);

  it('reads a thermal topic as thermal when ros2.topics maps it, on replay as on a robot', async () => {
    // The simulator's depth topic is 16UC1; mapped to thermal, replay must count thermal samples.
    await writeFile(
      join(dir, 'map.yaml'),
      ['log: { level: warn }', `model: { providers: [cpu], cacheDir: ${join(dir, 'cache')} }`, 'ros2: { topics: [ { name: /camera/depth/image_rect_raw, modality: thermal } ] }'].join('\n'),
    );
    const plain = JSON.parse(cli(['replay', bag]).stdout) as { samples: Record<string, number> };
    const mapped = JSON.parse(cli(['--config', 'map.yaml', 'replay', bag]).stdout) as { samples: Record<string, number> };
    expect(plain.samples.depth).toBeGreaterThan(0);
    expect(plain.samples.thermal).toBe(0);
    expect(mapped.samples.thermal).toBe(plain.samples.depth);
    expect(mapped.samples.depth).toBe(0);
  }, 120_000);

  it('passes model thread settings to every ONNX session', async () => {
    const config = parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache'), intraOpThreads: 1, interOpThreads: 1 } }, 'test');
    const pipeline = await openPipeline(pipelineOptionsFromConfig(config));
    try {
      await pipeline.runtime.load();
      const stats = pipeline.runtime.stats().modalities;
      for (const s of Object.values(stats)) expect(s?.threads).toEqual({ intraOp: 1, interOp: 1 });
    } finally {
      await pipeline.close();
    }
  });
});
