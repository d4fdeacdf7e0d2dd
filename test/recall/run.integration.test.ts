/**
 * `sensebind run` with `recall.dir` as a user runs it: the built CLI as a child process on a simulated bag
 * with event clips on, read by another process while it writes, stopped with SIGTERM; the store then holds
 * every snapshot the agent ticked (the stop log's count), moments during events name an existing clip file,
 * and the process exits 0.
 * Model: the random-weight imagebind-tiny graphs with eager concepts (the wiring is under test).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanceRecallStore } from '../../src/recall/lance-store.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');
let dir: string;
let bag: string;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/recall/writer.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-recall-run-'));
  bag = join(dir, 'sim.mcap');
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '11', '--duration', '8', '--width', '160', '--height', '120', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sensebind run with recall.dir', () => {
  it('remembers every ticked snapshot; clip links name clip files', async () => {
    const store = join(dir, 'recall');
    const clips = join(dir, 'clips');
    const config = join(dir, 'sensebind.yaml');
    await writeFile(
      config,
      [
        'robot: { id: rtest }',
        'log: { level: info, format: json }',
        `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
        `service: { stopDeadlineSeconds: 20, clips: { dir: ${JSON.stringify(clips)}, preRollSeconds: 1, postRollSeconds: 0.5 } }`,
        `recall: { dir: ${JSON.stringify(store)}, maxGiB: 1, maxDays: 1 }`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'run', '--config', config, '--bag', bag, '--speed', '2', '--concepts', CONCEPTS], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Read the store while the agent writes it (another process, as `sensebind search` would) until it
    // holds a few seconds of recording; then stop the agent.
    const deadline = Date.now() + 150_000;
    for (;;) {
      if (Date.now() > deadline) throw new Error(`no moments remembered in time; log tail: ${stderr.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 1000));
      if (!existsSync(join(store, 'recall.json'))) continue;
      const meta = JSON.parse(await readFile(join(store, 'recall.json'), 'utf8')) as { modelId: string; dim: number };
      const live = await LanceRecallStore.open({ dir: store, modelId: meta.modelId, dim: meta.dim, create: false });
      const st = await live.stats();
      const seen = st.oldest === undefined ? [] : await live.moments(Array.from({ length: 400 }, (_, i) => st.oldest! + BigInt(i) * 500_000_000n));
      await live.close();
      if (seen.length >= 2) break;
    }
    child.kill('SIGTERM');
    expect(await exit, stderr.slice(-2000)).toBe(0);
    expect(stderr).toMatch(/recall: remembering every snapshot/);
    const ticks = (JSON.parse(stderr.split('\n').find((l) => l.includes('"stopped cleanly"')) ?? '{}') as { agent?: { ticks?: number } }).agent?.ticks ?? 0;
    expect(ticks).toBeGreaterThanOrEqual(2);
    // The store names its model and dimension.
    const meta = JSON.parse(await readFile(join(store, 'recall.json'), 'utf8')) as { modelId: string; dim: number };
    const reopened = await LanceRecallStore.open({ dir: store, modelId: meta.modelId, dim: meta.dim, create: false });
    const stats = await reopened.stats();
    const all = await reopened.moments(Array.from({ length: 400 }, (_, i) => stats.oldest! + BigInt(i) * 500_000_000n));
    // Every tick with at least one embedding is remembered (the first ticks may have none yet).
    expect(all.length).toBeLessThanOrEqual(ticks);
    expect(all.length).toBeGreaterThanOrEqual(ticks - 2);
    expect(stats.rows.vision).toBe(all.filter((m) => m.present.includes('vision')).length);
    // Moments recorded while an event clip was open name that clip's file (how many depends on how fast
    // this machine ran the eager concepts into events; on a loaded machine there may be none).
    const clipFiles = existsSync(clips) ? (await readdir(clips)).filter((f) => f.endsWith('.mcap')).map((f) => join(clips, f)) : [];
    for (const m of all.filter((x) => x.clip !== null)) expect(clipFiles).toContain(m.clip);
    await reopened.close();
    expect(stdout + stderr).not.toMatch(/recall append failed/);
  }, 240_000);
});
