// The familiarity gate on a real recording and a simulated scene, through the real pipeline (`sensebind
// replay`, bundled bind-mini with its familiarity.json, bundled concepts/default.yaml):
// - real snoring (../shared/data, a held-out file of the open-set corpus: bind-mini never heard it) reads
//   as `dog_barking` from audio alone; with the gate it is far from every bark bind-mini's table holds,
//   so no bark fires, and the refused votes are counted. Control: the same bag with
//   `match.familiarity.enabled: false` fires `dog_barking`, so the gate, not the recording, keeps it quiet.
// - a simulated scene with a bark and breaking glass (a seed outside the table's training scenes) fires
//   the same events with the gate as without: true events are familiar.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { command as replay } from '../../src/cli/commands/replay.js';
import { writeRecordingBag } from '../../src/eval/recording-bag.js';
import { readWav } from '../../src/preprocess/wav.js';
import { createSimulation } from '../../src/sim/simulator.js';
import { writeSimulationBag } from '../../src/sim/bag.js';
import { runCommandCaptured } from '../helpers/run-command.js';
import { missingData, mustData } from '../helpers/data.js';

const SNORING = 'audio/freesound/snoring.wav';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-familiarity-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ReplaySummary {
  events: { started: Record<string, number> };
  snapshots: number;
  matcher: { modalityEvidence: Record<string, number>; familiarity: { refused: Record<string, number>; unanchored: number } };
}

async function replayed(bag: string, gate: boolean): Promise<ReplaySummary> {
  const r = await runCommandCaptured(replay, [bag], async () =>
    parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache') }, robot: { id: 't' }, match: { familiarity: { enabled: gate } } }, 'test'),
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReplaySummary;
}

describe('familiarity gate through replay', () => {
  it.skipIf(missingData('an unfamiliar real sound fires no bark', SNORING))('real snoring: dog_barking without the gate, none with it; refused votes counted', async () => {
    const wav = await readWav(mustData(SNORING));
    const bag = join(dir, 'snoring.mcap');
    await writeRecordingBag(bag, { audio: { samples: wav.channels[0]!, rate: wav.rate } });
    const control = await replayed(bag, false);
    expect(control.events.started.dog_barking ?? 0).toBeGreaterThan(0);
    expect(control.matcher.familiarity).toEqual({ refused: {}, unanchored: 0 });
    const gated = await replayed(bag, true);
    expect(gated.matcher.modalityEvidence.audio).toBeGreaterThan(gated.snapshots / 4);
    expect(gated.events.started.dog_barking ?? 0).toBe(0);
    expect(gated.matcher.familiarity.refused.audio).toBeGreaterThan(0);
    expect(gated.matcher.familiarity.unanchored).toBeGreaterThan(0);
  }, 120_000);

  it('a simulated bark and breaking glass fire the same events with the gate as without', async () => {
    const bag = join(dir, 'scene.mcap');
    await writeSimulationBag(createSimulation({ seed: 5, duration: 30, fps: 4, width: 160, height: 120, events: ['glass_breaking', 'dog_barking'] }), bag);
    const without = await replayed(bag, false);
    const gated = await replayed(bag, true);
    expect(without.events.started.dog_barking).toBeGreaterThan(0);
    expect(without.events.started.glass_breaking).toBeGreaterThan(0);
    expect(gated.events.started).toEqual(without.events.started);
    // the gate was at work: the concepts not happening were unfamiliar in some modality
    expect(Object.values(gated.matcher.familiarity.refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});
