// Threshold calibration: the rate parser, the lifecycle replay on score traces, the threshold search, and
// `sensebind calibrate` end to end with the bundled model (calibrated on one recording, checked on another).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { command as calibrate } from '../../src/cli/commands/calibrate.js';
import { command as replay } from '../../src/cli/commands/replay.js';
import { command as concepts } from '../../src/cli/commands/concepts.js';
import { kCentres } from '../../src/eval/background-exemplars.js';
import { calibrateThresholds, countStarts, formatCalibrationTable, parseRate, type ScoreTrace } from '../../src/eval/calibrate.js';
import { lifecycleParams } from '../../src/match/matcher.js';
import { writeRecordingBag } from '../../src/eval/recording-bag.js';
import { readWav } from '../../src/preprocess/wav.js';
import { resolveConcept } from '../../src/memory/concept.js';
import { BUILTIN_DEFAULTS } from '../../src/memory/concept.js';
import type { MemoryState } from '../../src/memory/state.js';
import { runCommandCaptured } from '../helpers/run-command.js';

describe('calibration maths', () => {
  it('parses rates into events per hour and names a bad one', () => {
    expect(parseRate('1/8h')).toBeCloseTo(0.125, 12);
    expect(parseRate('3/day')).toBeCloseTo(0.125, 12);
    expect(parseRate('0.5/h')).toBe(0.5);
    expect(parseRate('2/30min')).toBe(4);
    expect(() => parseRate('often')).toThrow(/--rate "often"/);
  });

  const concept = resolveConcept({ id: 'bang', minDurationSeconds: 0.5, cooldownSeconds: 1 }, BUILTIN_DEFAULTS);
  const state: MemoryState = { defaults: BUILTIN_DEFAULTS, concepts: [concept], exemplars: new Map(), prototypes: undefined };

  /** 1 h at 2 Hz, background 0.1 with three bumps to 0.45, 0.55 and 0.7 lasting 2 s each. */
  function trace(): ScoreTrace {
    const n = 7200;
    const times = Float64Array.from({ length: n }, (_, i) => i * 0.5);
    const fused = new Float64Array(n).fill(0.1);
    for (const [at, v] of [[1000, 0.45], [3000, 0.55], [5000, 0.7]] as const) for (let i = at; i < at + 4; i++) fused[i] = v;
    return { bag: 'x', seconds: 3600, times, fused: new Map([['bang', fused]]), modality: new Map([['bang', { audio: fused }]]) };
  }

  it('replays the concept lifecycle on a trace: smoothing and minimum duration as the agent runs them', () => {
    const t = trace();
    const fused = t.fused.get('bang')!;
    expect(countStarts(t.times, fused, lifecycleParams(concept, 0.3, {}))).toBe(3);
    expect(countStarts(t.times, fused, lifecycleParams(concept, 0.5, {}))).toBe(2);
    expect(countStarts(t.times, fused, lifecycleParams(concept, 0.69, {}))).toBe(1);
    expect(countStarts(t.times, fused, lifecycleParams(concept, 0.71, {}))).toBe(0);
  });

  it('finds the lowest threshold for the target rate, adds the margin, never goes under the floor', () => {
    const strict = calibrateThresholds([trace()], state, {}, { ratePerHour: 0.125, margin: 0.02 })[0]!;
    expect(strict.before).toEqual({ on: 0.3, events: 3, perHour: 3 });
    // Smoothed peak of the highest bump is 0.7 * (1 - 0.2^4) + ...: the lowest quiet grid step is just above it.
    expect(strict.after.on).toBeGreaterThan(0.7);
    expect(strict.after.on).toBeLessThan(0.74);
    expect(strict.after.events).toBe(0);
    expect(strict.saturated).toBe(false);
    const twoPerHour = calibrateThresholds([trace()], state, {}, { ratePerHour: 2, margin: 0 })[0]!;
    expect(twoPerHour.after.events).toBe(2);
    expect(twoPerHour.after.on).toBeLessThanOrEqual(0.45 + 0.005);
    const floored = calibrateThresholds([trace()], state, {}, { ratePerHour: 10, floors: new Map([['bang', 0.3]]) })[0]!;
    expect(floored.after.on).toBe(0.3);
    expect(strict.modalities.audio?.max).toBe(0.7);
    expect(formatCalibrationTable([strict])).toMatch(/bang .* 0\.300 .* 3\.00 .* 0\.7\d\d .* 0\.00/);
  });
});

describe('sensebind calibrate with bind-mini', () => {
  let dir: string;
  // A robot whose ordinary life has people talking nearby, which it should not report: real speech takes
  // (assets/audio) every few seconds, one speaker per recording. (Before bind-mini 0.3.0 learnt silence and
  // noise as "no event", white noise with the audio gate off served as the misread ordinary sound.)
  const config = async (d: string) => parseConfig({ model: { providers: ['cpu'], cacheDir: join(d, 'cache') }, robot: { id: 't' } }, 'test');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sensebind-calibrate-'));
    for (const [name, clipFile] of [['life-a', 'speech_1'], ['life-b', 'speech_2']] as const) {
      const wav = await readWav(`assets/audio/${clipFile}.wav`);
      const clip = wav.channels[0]!;
      const samples = new Float32Array(wav.rate * 60);
      for (let at = wav.rate * 2; at + clip.length < samples.length; at += clip.length + wav.rate * 3) samples.set(clip, at);
      await writeRecordingBag(join(dir, `${name}.mcap`), { audio: { samples, rate: wav.rate } });
    }
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const started = async (bag: string, extra: string[] = []) => {
    const r = await runCommandCaptured(replay, [bag, ...extra], () => config(dir));
    expect(r.code, r.stderr).toBe(0);
    return Object.values(JSON.parse(r.stdout).events.started as Record<string, number>).reduce((a, b) => a + b, 0);
  };

  it('raises the thresholds that fire on one recording, stores them in the state, and another recording gets far fewer events', async () => {
    const before = await started(join(dir, 'life-b.mcap'));
    expect(before).toBeGreaterThan(2);
    const state = join(dir, 'memory.sbm');
    const r = await runCommandCaptured(calibrate, [join(dir, 'life-a.mcap'), '--rate', '1/8h', '--state', state], () => config(dir));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.written).toBe(true);
    expect(out.allowedEventsPerConcept).toBe(0);
    const raised = out.rows.filter((row: { before: { on: number }; after: { on: number } }) => row.after.on > row.before.on);
    expect(raised.length).toBeGreaterThan(0);
    for (const row of out.rows) expect(row.after.events).toBe(0);
    expect((await stat(state)).size).toBeGreaterThan(0);
    // The robot's own sounds become the background concept's exemplars, stored with the thresholds.
    expect(out.backgroundExemplars.concept).toBe('nothing_happening');
    expect(out.backgroundExemplars.perModality.audio).toBe(32);
    const listed = JSON.parse((await runCommandCaptured(concepts, ['list', '--state', state], () => config(dir))).stdout);
    expect(listed.concepts.find((c: { id: string }) => c.id === 'nothing_happening').exemplars).toEqual({ audio: 32 });
    // One minute of calibration does not cover every excursion of another minute: far fewer, not always none.
    const after = await started(join(dir, 'life-b.mcap'), ['--state', state]);
    expect(after).toBeLessThanOrEqual(Math.floor(before / 3));
    // Re-runnable: a second run starts from the concept file, not from its own output.
    const again = JSON.parse((await runCommandCaptured(calibrate, [join(dir, 'life-a.mcap'), '--state', state, '--dry-run'], () => config(dir))).stdout);
    expect(again.rows.map((row: { before: { on: number } }) => row.before.on)).toEqual(out.rows.map((row: { after: { on: number } }) => row.after.on));
    expect(again.rows.map((row: { after: { on: number } }) => row.after.on)).toEqual(out.rows.map((row: { after: { on: number } }) => row.after.on));
  }, 240_000);

  it('refuses to run without a place to store the thresholds, and a bad rate', async () => {
    const r = await runCommandCaptured(calibrate, [join(dir, 'life-a.mcap')], () => config(dir));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--state <file>/);
    const bad = await runCommandCaptured(calibrate, [join(dir, 'life-a.mcap'), '--dry-run', '--rate', 'x'], () => config(dir));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--rate "x"/);
    const unknown = await runCommandCaptured(calibrate, [join(dir, 'life-a.mcap'), '--dry-run', '--background', 'dog_barking'], () => config(dir));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--background dog_barking is not an enabled background concept \(background concepts: nothing_happening, silence, robot_standing_still/);
  });

  it('teaches no exemplars with --background none, and the exemplars it teaches cover the recording', async () => {
    const none = JSON.parse((await runCommandCaptured(calibrate, [join(dir, 'life-a.mcap'), '--dry-run', '--background', 'none'], () => config(dir))).stdout);
    expect(none.backgroundExemplars).toBeNull();
    // k-centres: the chosen vectors are spread out; a vector far from the first is picked second.
    const unit = (...v: number[]) => Float32Array.from(v.map((x) => x / Math.hypot(...v)));
    const picked = kCentres([unit(1, 0, 0), unit(1, 0.1, 0), unit(0, 0, 1), unit(1, 0.05, 0), unit(0, 1, 0)], 3);
    expect(picked.map((v) => Array.from(v).map((x) => Math.round(x)))).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(kCentres([unit(1, 0)], 3)).toHaveLength(1);
  }, 120_000);
});
