// `sensebind dataset familiarity` as a user runs it: two simulated scenes with ground truth, the bundled
// bind-mini through the real pipeline; the file it writes is one the agent loads (its model id is the
// model's) and holds exemplars of the scenes' events only.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { command as dataset } from '../../src/cli/commands/dataset.js';
import { createSimulation } from '../../src/sim/simulator.js';
import { writeSimulationBag } from '../../src/sim/bag.js';
import { parseFamiliarityTable } from '../../src/match/familiarity.js';
import { loadFamiliarityGate } from '../../src/match/familiarity-load.js';
import { runCommandCaptured } from '../helpers/run-command.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-dataset-familiarity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (argv: string[]) => runCommandCaptured(dataset, argv, async () => parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache') }, robot: { id: 't' } }, 'test'));

describe('sensebind dataset familiarity', () => {
  it('builds a table from scenes with ground truth that the agent loads for the same model', async () => {
    const bags = [join(dir, 'a.mcap'), join(dir, 'b.mcap')];
    for (const [i, bag] of bags.entries()) {
      await writeSimulationBag(createSimulation({ seed: 11 + i, duration: 30, fps: 4, width: 160, height: 120, events: ['glass_breaking', 'dog_barking'] }), bag);
    }
    const out = join(dir, 'familiarity.json');
    const r = await run(['familiarity', ...bags, '--out', out, '--per-modality', '4']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ out, modelId: 'bind-mini@0.3.0', dim: 128, scenes: 2, perModality: 4 });
    const table = parseFamiliarityTable(await readFile(out, 'utf8'), out);
    const ids = [...table.concepts.keys()];
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(['glass_breaking', 'dog_barking']).toContain(id);
    for (const e of Object.values(table.concepts.get(ids[0]!)!)) expect(e.count).toBeLessThanOrEqual(4);
    const gate = await loadFamiliarityGate({ enabled: true, file: out, percentile: 5, modalities: ['vision', 'audio', 'depth'] }, { dir: resolve('models/bind-mini'), id: 'bind-mini@0.3.0' });
    expect(gate?.concepts).toBe(ids.length);
  }, 120_000);

  it('refuses a single recording, naming what was wrong', async () => {
    expect((await run(['familiarity', 'one.mcap', '--out', join(dir, 'x.json')])).stderr).toMatch(/at least two recordings with ground truth/);
  });
});
