/**
 * The live background estimate in the agent that runs: a simulated bag (the repo's simulator) through the
 * pipeline with the bundled model, `match.background.mode: apply`. The robot's ordinary life here has
 * people talking and doors slamming, which it should not report (as in calibrate's test), so every
 * snapshot is background (`skipEvents: false`). The estimate must raise the thresholds of what fires and
 * put them in force; a restart takes them up from the file beside the state file; a freeze sent over a
 * real Mosquitto broker stops the learning (the file and the counts stay as they were) while the learnt
 * thresholds keep working; the CLI freezes, resets and prints the table; /metrics shows it; a damaged
 * estimate file costs the estimate, not the agent. Needs `npm run build` (the simulator runs as the CLI).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { command as concepts } from '../../src/cli/commands/concepts.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';
import { backgroundFilePath } from '../../src/memory/background-file.js';
import { buildAgent } from '../../src/pipeline/build.js';
import { openPipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { runBag } from '../../src/pipeline/run-bag.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';
import { runCommandCaptured } from '../helpers/run-command.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
let dir: string;
let bag: string;
let broker: LocalBroker;

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first (npm test does)');
  broker = await LocalBroker.start();
  dir = await mkdtemp(join(tmpdir(), 'sensebind-bg-live-'));
  bag = join(dir, 'life.mcap');
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '7', '--duration', '60', '--events', 'someone_talking,door_slam', '--width', '96', '--height', '72', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const state = () => join(dir, 'memory.sbm');
const config = async (mode: 'off' | 'apply'): Promise<Config> =>
  parseConfig(
    {
      robot: { id: 'bg' },
      model: { providers: ['cpu'], cacheDir: join(dir, 'cache') },
      match: { stateFile: state(), background: { mode, skipEvents: false, minHours: 0.005, timeConstantHours: 1 } },
      mqtt: { url: broker.url, outbox: { dir: join(dir, 'outbox') } },
    },
    'test',
  );

async function started(cfg: Config): Promise<{ starts: number; applied: Record<string, number> }> {
  const pipeline = await openPipeline(pipelineOptionsFromConfig(cfg));
  try {
    const r = await runBag(pipeline, cfg, bag);
    return { starts: r.summary.events.filter((e) => e.type === 'start').length, applied: pipeline.background?.status().applied ?? {} };
  } finally {
    await pipeline.close();
  }
}

describe('the live background estimate in a running agent', () => {
  it('learns thresholds on the robot ordinary life, keeps them across a restart, and a freeze over MQTT stops the learning', async () => {
    const baseline = await started(await config('off'));
    expect(baseline.starts).toBeGreaterThan(3);
    expect(baseline.applied).toEqual({});

    // First run: learning; the thresholds of what fires rise and are in force by the end.
    const cfg = await config('apply');
    const first = await started(cfg);
    expect(Object.keys(first.applied).length).toBeGreaterThan(0);
    for (const on of Object.values(first.applied)) expect(on).toBeGreaterThan(0.3);
    const file = backgroundFilePath(state());
    expect(existsSync(file)).toBe(true);

    // Restart: the estimate comes back from its file and the thresholds are in force from the first snapshot.
    const pipeline = await openPipeline(pipelineOptionsFromConfig(cfg));
    try {
      expect(pipeline.background?.status()).toMatchObject({ mode: 'apply', frozen: false, applied: first.applied });
      const built = await buildAgent(pipeline, cfg, { mode: { kind: 'bag', path: bag, speed: 0 }, logger: createLogger({ level: 'silent' }), sinks: 'config', stopAtEnd: false, alwaysMetrics: true });
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      await client.subscribeAsync('sensebind/bg/cmd/concepts/reply', { qos: 1 });
      const replies: Record<string, unknown>[] = [];
      client.on('message', (_t, p) => replies.push(JSON.parse(p.toString()) as Record<string, unknown>));
      const send = async (body: object) => {
        const n = replies.length;
        await client.publishAsync('sensebind/bg/cmd/concepts', JSON.stringify(body), { qos: 1 });
        const deadline = Date.now() + 15_000;
        while (replies.length === n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        return replies[n] ?? {};
      };
      try {
        await built.start();
        const frozen = await send({ op: 'background', action: 'freeze' });
        expect(frozen).toMatchObject({ ok: true, op: 'background', result: { code: 'OK', background: { frozen: true, mode: 'apply', applied: first.applied } } });
        await pipeline.background!.save(); // whatever was learnt before the freeze arrived is on disk
        const before = await readFile(file);
        const samplesBefore = pipeline.background!.stats();
        await built.bag!.finished;
        // Frozen: nothing learnt from the whole second pass, the thresholds stayed in force.
        expect(pipeline.background!.stats()).toEqual(samplesBefore);
        expect(pipeline.background!.status().applied).toEqual(first.applied);
        const metrics = await built.metrics!.text();
        expect(metrics).toMatch(/sensebind_stage_stat\{stage="background",key="frozen"\} 1/);
        const id = Object.keys(first.applied)[0]!;
        expect(metrics).toContain(`sensebind_stage_stat{stage="background",key="concepts.${id}.effectiveOn"} ${first.applied[id]}`);
        expect(metrics).toMatch(new RegExp(`sensebind_stage_stat\\{stage="background",key="concepts\\.${id}\\.samples"\\} [1-9]`));

        const bad = await send({ op: 'background', action: 'melt' });
        expect(bad).toMatchObject({ ok: false, op: 'background', error: { code: 'INVALID' } });
        expect(await send({ op: 'background', action: 'unfreeze' })).toMatchObject({ ok: true, result: { background: { frozen: false } } });
        await pipeline.background!.save();
        // Unfreezing saves the state, not a changed estimate: the file is the one from before the freeze.
        expect(await readFile(file)).toEqual(before);
      } finally {
        await client.endAsync();
        await built.service.stop('test over');
        await built.close();
      }
    } finally {
      await pipeline.close();
    }

    // With the learnt thresholds, the same life gives fewer events than with the concept file's own.
    const frozenRun = await runCommandCaptured(concepts, ['background', 'freeze', '--state', state()], () => config('apply'));
    expect(frozenRun.code, frozenRun.stderr).toBe(0);
    expect(JSON.parse(frozenRun.stdout)).toMatchObject({ ok: true, code: 'OK', background: { frozen: true } });
    const fileBefore = await readFile(backgroundFilePath(state()));
    const again = await started(cfg);
    expect(again.starts).toBeLessThan(baseline.starts);
    expect(await readFile(backgroundFilePath(state()))).toEqual(fileBefore);

    const table = await runCommandCaptured(concepts, ['background', 'show', '--state', state()], () => config('apply'));
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^concept +evidence h/);
    expect(table.stdout).toMatch(/mode apply, frozen, target 0\.125\/h/);
    for (const [id, on] of Object.entries(first.applied)) expect(table.stdout).toMatch(new RegExp(`${id}.* 0\\.300 .* ${on.toFixed(3)} `));

    // Reset forgets the estimate (in this process and in the file); the next run applies nothing at first.
    const reset = await runCommandCaptured(concepts, ['background', 'reset', '--state', state()], () => config('apply'));
    expect(JSON.parse(reset.stdout)).toMatchObject({ ok: true, background: { frozen: true, resets: 1, concepts: 0, applied: {} } });
    const fresh = await openPipeline(pipelineOptionsFromConfig(cfg));
    expect(fresh.background?.status()).toMatchObject({ frozen: true, resets: 1, concepts: 0, applied: {} });
    await fresh.close();
  }, 300_000);

  it('a damaged estimate file is one error line and a fresh estimate, not a failed start', async () => {
    const file = backgroundFilePath(state());
    await writeFile(file, 'not json');
    await writeFile(`${file}.prev`, '{}');
    const out = new PassThrough();
    let log = '';
    out.on('data', (d: Buffer) => (log += d.toString()));
    const cfg = await config('apply');
    const pipeline = await openPipeline(pipelineOptionsFromConfig(cfg), { logger: createLogger({ level: 'info', format: 'json', destination: out }) });
    try {
      expect(pipeline.background?.status()).toMatchObject({ concepts: 0, applied: {} });
    } finally {
      await pipeline.close();
    }
    const lines = log.split('\n').filter((l) => l.includes('background estimate: cannot read it'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 50, file, err: expect.stringMatching(/background\.json: not JSON .*\.prev: not a background estimate/) });
  }, 120_000);
});
