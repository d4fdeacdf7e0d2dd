// replay / eval / concepts through their command modules on a simulated bag with the ImageBind-signature
// test model (random weights: the figures are meaningless, the plumbing and the JSON are what is tested).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommandCaptured, type CommandResult } from '../helpers/run-command.js';
import type { Command } from '../../src/cli/command.js';
import { parseConfig } from '../../src/config/load.js';
import { createSimulation } from '../../src/sim/simulator.js';
import { writeSimulationBag } from '../../src/sim/bag.js';
import { command as replay } from '../../src/cli/commands/replay.js';
import { command as evalCmd } from '../../src/cli/commands/eval.js';
import { command as concepts } from '../../src/cli/commands/concepts.js';

let dir: string;
let bag: string;
const MODEL = resolve('test/fixtures/models/imagebind-tiny');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-eval-'));
  bag = join(dir, 'scene.mcap');
  await writeSimulationBag(createSimulation({ seed: 5, duration: 12, fps: 4, width: 160, height: 120, events: ['glass_breaking', 'dog_barking'] }), bag);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(command: Command, argv: string[]): Promise<CommandResult> {
  return runCommandCaptured(command, argv, async () => parseConfig({ model: { dir: MODEL, providers: ['cpu'], cacheDir: join(dir, 'cache') }, robot: { id: 'test' } }, 'test'));
}

describe('replay, eval and concepts commands', () => {
  it('replay runs the whole pipeline, drops a modality, writes JSONL; eval scores that file', async () => {
    const events = join(dir, 'events.jsonl');
    const r = await run(replay, [bag, '--drop', 'audio', '--events', events]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.snapshots).toBeGreaterThanOrEqual(20);
    expect(out.samples.audio).toBe(0);
    expect(out.dropped.audio).toBeGreaterThan(0);
    expect(out.samples.vision).toBeGreaterThan(0);
    expect(out.truths).toBeGreaterThan(0);
    expect(out.matcher.modalityEvidence.audio).toBeUndefined();
    expect(out.matcher.modalityEvidence.vision).toBeGreaterThan(10);
    const e = await run(evalCmd, [bag, "--events", events]);
    expect(e.code).toBe(0);
    const report = JSON.parse(e.stdout);
    expect(report.truths).toBe(out.truths);
    expect(report.durationSeconds).toBeGreaterThan(10);
    expect(typeof report.macro.f1).toBe('number');
    expect(Object.keys(report.concepts).length).toBeGreaterThan(0);
  });

  it('eval runs the pipeline itself and names bad flags', async () => {
    const e = await run(evalCmd, [bag, '--drop', 'vision,depth']);
    expect(e.code).toBe(0);
    const report = JSON.parse(e.stdout);
    expect(report.drop).toEqual(['vision', 'depth']);
    expect(report.falsePositivesPerMinute).toBeGreaterThanOrEqual(0);
    const bad = await run(evalCmd, [bag, '--drop', 'smell']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown modality "smell"/);
    const missing = await run(replay, [join(dir, 'nope.mcap')]);
    expect(missing.code).not.toBe(0);
  });

  it('concepts: add embeds prompts into the persisted memory, teach takes exemplars from a bag range', async () => {
    const state = join(dir, 'memory.sbm');
    const add = await run(concepts, ['add', 'wet_floor', '--prompt', 'a wet floor', '--modalities', 'vision,depth', '--state', state]);
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ ok: true, concept: { id: 'wet_floor', modalities: ['vision', 'depth'] } });
    const teach = await run(concepts, ['teach', 'wet_floor', '--bag', bag, '--from', '2', '--to', '6', '--modalities', 'vision,depth', '--state', state]);
    expect(teach.code).toBe(0);
    expect(JSON.parse(teach.stdout)).toMatchObject({ ok: true, taught: { vision: 1, depth: 1 } });
    const list = JSON.parse((await run(concepts, ['list', '--state', state])).stdout);
    expect(list.concepts.find((c: { id: string }) => c.id === 'wet_floor').exemplars).toEqual({ vision: 1, depth: 1 });
    expect(list.concepts.length).toBe(13);
    const refused = await run(concepts, ['remove', 'nope', '--state', state]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/no concept "nope"/);
    expect((await readFile(state)).subarray(0, 8).toString()).toBe('SBMEM001');
  });
});
