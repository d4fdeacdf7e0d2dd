// The matcher on real embeddings: prototypes come from the ImageBind-signature test model's text graph
// (random weights, real ONNX Runtime), and "sensor" embeddings are real text embeddings of that graph fed
// in place of camera/microphone vectors, so which concept a snapshot resembles is known exactly.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { ConceptMemory } from '../../src/memory/memory.js';
import { parseConceptFile } from '../../src/memory/concept-file.js';
import { applyConceptCommand } from '../../src/memory/commands.js';
import { textPrototypeBuilder } from '../../src/match/prototypes.js';
import { ConceptMatcher } from '../../src/match/matcher.js';
import type { SenseEvent, SensorModality, SnapshotEmbeddings } from '../../src/core/types.js';
import { SENSOR_MODALITIES } from '../../src/core/types.js';

const CONCEPTS = `
defaults:
  thresholds: { on: 0.5, off: 0.3 }
  cooldownSeconds: 1
  minDurationSeconds: 0.5
concepts:
  - { id: glass_breaking, prompts: [glass breaking, a glass shattering], modalities: [audio, vision] }
  - { id: dog_barking, prompts: [a dog barking], modalities: [audio, vision, depth] }
  - { id: tipping_over, prompts: [the robot tipping over], modalities: [imu, vision] }
  - { id: nothing_happening, prompts: [nothing happening, a quiet empty room], background: true }
`;

let runtime: EmbeddingRuntime;
let vec: Map<string, Float32Array>;

beforeAll(async () => {
  runtime = await EmbeddingRuntime.open(resolve('test/fixtures/models/imagebind-tiny'), { providers: ['cpu'], cacheDir: null });
  const texts = ['glass breaking', 'a dog barking', 'the robot tipping over', 'nothing happening', 'a squeaky toy'];
  const e = await runtime.embedText(texts);
  vec = new Map(texts.map((t, i) => [t, e[i]!.vector]));
});
afterAll(async () => {
  await runtime.close();
});

async function memory(concepts = CONCEPTS): Promise<ConceptMemory> {
  const file = parseConceptFile(concepts, 'test');
  const m = new ConceptMemory({ defaults: file.defaults, concepts: file.concepts, exemplars: new Map(), prototypes: undefined }, { builder: textPrototypeBuilder(runtime) });
  await m.ensurePrototypes();
  return m;
}

let t = 0n;
/** One snapshot at +0.5 s with `text`'s embedding in each listed modality (the others missing). */
function snap(text: string, present: SensorModality[]): SnapshotEmbeddings {
  t += 500_000_000n;
  const v = vec.get(text)!;
  const embeddings: SnapshotEmbeddings['embeddings'] = {};
  for (const m of present) embeddings[m] = { modality: m, vector: v, scale: runtime.scale(m), stamp: t, modelId: runtime.modelId };
  return { seq: Number(t / 500_000_000n), stamp: t, present, missing: SENSOR_MODALITIES.filter((m) => !present.includes(m)), embeddings };
}

function feed(matcher: ConceptMatcher, text: string, present: SensorModality[], count: number): SenseEvent[] {
  const out: SenseEvent[] = [];
  for (let i = 0; i < count; i++) out.push(...matcher.process(snap(text, present)).events);
  return out;
}

const ALL: SensorModality[] = ['vision', 'audio', 'depth', 'imu'];
// The random-weight test model's text embeddings bunch (cosines 0.04-0.6): standardising by the running
// spread across concepts is what makes them separable, as it is for ImageBind's emergent pairs.
const STD = { standardise: true };
const summary = (events: SenseEvent[]) => events.filter((e) => e.type !== 'update').map((e) => `${e.type}:${e.concept.id}`);

describe('ConceptMatcher on real embeddings', () => {
  it('builds one prototype per concept from the text graph (shared across modalities without templates)', async () => {
    const m = await memory();
    const p = m.prototypes('glass_breaking')!;
    expect(p.audio).toBe(p.vision);
    expect(p.audio!.length).toBe(1024);
    let n = 0;
    for (const x of p.audio!) n += x * x;
    expect(n).toBeCloseTo(1, 4);
  });

  it('quiet -> no events; an event in all modalities starts, carries per-modality scores, and ends', async () => {
    const matcher = new ConceptMatcher(await memory(), { calibration: STD, robot: 'r1', runId: 'run', now: () => new Date(0) });
    expect(feed(matcher, 'nothing happening', ALL, 12)).toEqual([]);
    const during = feed(matcher, 'glass breaking', ALL, 6);
    expect(summary(during)).toEqual(['start:glass_breaking']);
    const start = during[0]!;
    expect(start).toMatchObject({ v: 1, id: 'r1-run-1', robot: 'r1', type: 'start', end: null, present: ALL, missing: ['thermal'] });
    // only modalities allowed to observe glass breaking score it
    expect(Object.keys(start.modalityScores).sort()).toEqual(['audio', 'vision']);
    expect(start.score).toBeGreaterThanOrEqual(0.5);
    const after = feed(matcher, 'nothing happening', ALL, 8);
    expect(summary(after)).toEqual(['end:glass_breaking']);
    expect(after.find((e) => e.type === 'end')!.id).toBe(start.id);
    const end = after.find((e) => e.type === 'end')!;
    expect(BigInt(end.end!)).toBeGreaterThan(BigInt(start.start));
    // people read the ISO times; they name the same instants as the decimal stamps
    expect(start.endTime).toBeNull();
    expect(end.startTime).toBe(start.startTime);
    expect(Date.parse(end.endTime!) * 1e6).toBeCloseTo(Number(BigInt(end.end!)), -6);
    expect(end.startTime.slice(20, 29)).toBe(end.start.slice(-9));
  });

  it('trace(): every non-background concept with thresholds; smoothed reaches on at the start; stale after the next snapshot', async () => {
    const matcher = new ConceptMatcher(await memory(), { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ['audio', 'depth', 'imu'], 12);
    let before: number | undefined;
    let stale: (() => unknown) | undefined;
    for (let i = 0; i < 6; i++) {
      const out = matcher.process(snap('glass breaking', ['audio', 'depth', 'imu']));
      stale = out.trace;
      const trace = out.trace!();
      expect(trace.map((c) => c.conceptId)).toEqual(['glass_breaking', 'dog_barking', 'tipping_over']);
      const glass = trace[0]!;
      expect(glass).toMatchObject({ on: 0.5, off: 0.3 });
      // glass breaking may be observed by audio and vision only: vision is missing, so audio alone.
      expect(Object.keys(glass.modalityScores)).toEqual(['audio']);
      expect(glass.fused).toBeCloseTo(glass.modalityScores.audio!, 12);
      // tipping over is observed by imu and vision: imu gives evidence.
      expect(trace[2]!.fused).not.toBeNull();
      for (const top of out.top) expect(trace.find((c) => c.conceptId === top.conceptId)!.fused).toBe(top.score);
      const start = out.events.find((e) => e.type === 'start');
      if (start) {
        expect(glass.smoothed).toBeGreaterThanOrEqual(glass.on);
        expect(glass.smoothed).toBeCloseTo(start.score, 4);
        expect(glass.active).toBe(true);
        expect(before).toBeDefined();
        break;
      }
      before = glass.smoothed;
      expect(glass.active).toBe(false);
    }
    expect(before).toBeDefined();
    matcher.process(snap('glass breaking', ['audio', 'depth', 'imu']));
    expect(() => stale!()).toThrow(/asked after snapshot/);
  });

  it('a missing modality removes evidence: the event still fires from the modalities that remain', async () => {
    const matcher = new ConceptMatcher(await memory(), { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ['audio', 'depth', 'imu'], 12);
    const during = feed(matcher, 'glass breaking', ['audio', 'depth', 'imu'], 6);
    expect(summary(during)).toEqual(['start:glass_breaking']);
    expect(Object.keys(during[0]!.modalityScores)).toEqual(['audio']);
    expect(during[0]!.missing).toEqual(['vision', 'thermal']);
  });

  it('with only one modality, events it cannot observe never fire', async () => {
    const matcher = new ConceptMatcher(await memory(), { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ['imu'], 12);
    // the IMU "sees" glass breaking and a dog, but the concepts do not allow the IMU as evidence
    const events = [...feed(matcher, 'glass breaking', ['imu'], 10), ...feed(matcher, 'a dog barking', ['imu'], 10)];
    expect(events.filter((e) => e.concept.id !== 'tipping_over')).toEqual([]);
    const top = matcher.process(snap('glass breaking', ['imu'])).top;
    expect(top.map((s) => s.conceptId)).toEqual(['tipping_over']);
  });

  it('a running event survives one modality dropping out, and ends after maxGap when all its modalities go', async () => {
    const matcher = new ConceptMatcher(await memory(), { calibration: STD, now: () => new Date(0), lifecycle: { maxGapSeconds: 1.5 } });
    feed(matcher, 'nothing happening', ALL, 12);
    expect(summary(feed(matcher, 'glass breaking', ALL, 4))).toEqual(['start:glass_breaking']);
    expect(summary(feed(matcher, 'glass breaking', ['vision'], 4))).toEqual([]);
    // depth and IMU may not observe glass breaking: no evidence, so it ends after maxGap (other concepts
    // these modalities may observe can react to the input; they are not what is tested here)
    const gone = feed(matcher, 'glass breaking', ['depth', 'imu'], 6);
    expect(summary(gone).filter((e) => e.endsWith('glass_breaking'))).toEqual(['end:glass_breaking']);
  });

  it('teach: exemplars make a concept recognise what its text never described', async () => {
    const m = await memory();
    const matcher = new ConceptMatcher(m, { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ALL, 12);
    const before = feed(matcher, 'a squeaky toy', ALL, 8);
    expect(before.filter((e) => e.concept.id === 'dog_barking')).toEqual([]);
    feed(matcher, 'nothing happening', ALL, 8);
    const toy = [Array.from(vec.get('a squeaky toy')!)];
    const r = await applyConceptCommand(m, { op: 'teach', id: 'dog_barking', embeddings: { audio: toy, vision: toy, depth: toy } });
    expect(r.ok).toBe(true);
    feed(matcher, 'nothing happening', ALL, 12); // the matrices were rebuilt: statistics warm up again
    const after = feed(matcher, 'a squeaky toy', ALL, 8);
    expect(summary(after)).toContain('start:dog_barking');
  });

  it('removing a concept during its event ends it with the last known label and scores, not blanks', async () => {
    const m = await memory();
    await applyConceptCommand(m, { op: 'update', id: 'glass_breaking', patch: { label: 'Glass!' } });
    const matcher = new ConceptMatcher(m, { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ALL, 12);
    const running = feed(matcher, 'glass breaking', ALL, 4).filter((e) => e.concept.id === 'glass_breaking');
    const last = running.at(-1)!;
    expect(last.type).not.toBe('end');
    await applyConceptCommand(m, { op: 'remove', id: 'glass_breaking' });
    const end = matcher.process(snap('glass breaking', ALL)).events.find((e) => e.concept.id === 'glass_breaking')!;
    expect(end).toMatchObject({ type: 'end', id: last.id, concept: { id: 'glass_breaking', label: 'Glass!' }, score: last.score, peakScore: last.peakScore, modalityScores: last.modalityScores });
    expect(end.peakScore).toBeGreaterThan(0);
    expect(Object.keys(end.modalityScores).sort()).toEqual(['audio', 'vision']);
  });

  it('disabling a concept ends its running event; finish() ends the rest', async () => {
    const m = await memory();
    const matcher = new ConceptMatcher(m, { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ALL, 12);
    feed(matcher, 'glass breaking', ALL, 4);
    await applyConceptCommand(m, { op: 'disable', id: 'glass_breaking' });
    const next = matcher.process(snap('glass breaking', ALL)).events;
    expect(summary(next)).toEqual(['end:glass_breaking']);
    feed(matcher, 'nothing happening', ALL, 12);
    feed(matcher, 'the robot tipping over', ALL, 4);
    const fin = matcher.finish(t + 1n);
    expect(summary(fin)).toEqual(['end:tipping_over']);
    expect(matcher.stats().events.start).toBe(matcher.stats().events.end);
  });
});

describe('ConceptMatcher and gated modalities', () => {
  it('an IMU at rest gives its fixed score to the concepts it may observe; other reasons leave it absent', async () => {
    const m = await memory();
    const gatedImu = (text: string) => ({ ...snap(text, ['vision']), gated: { imu: 'at-rest' as const } });
    const matcher = new ConceptMatcher(m, { calibration: STD });
    for (let i = 0; i < 6; i++) matcher.process(snap('nothing happening', ['vision', 'imu']));
    const out = matcher.process(gatedImu('the robot tipping over'));
    const tipping = out.top.find((s) => s.conceptId === 'tipping_over')!;
    expect(tipping.modalityScores.imu).toBe(0.05);
    // vision alone would say more: the log-linear pool with imu 0.05 (weight 0.5) pulls it down.
    const visionOnly = tipping.modalityScores.vision!;
    expect(tipping.score).toBeCloseTo(Math.exp((Math.log(visionOnly) + 0.5 * Math.log(0.05)) / 1.5), 6);
    // glass_breaking may not be observed by the IMU: untouched.
    expect(out.top.find((s) => s.conceptId === 'glass_breaking')?.modalityScores.imu).toBeUndefined();
    expect(matcher.stats().gatedVotes).toEqual({ imu: 1 });
    const absent = new ConceptMatcher(m, { calibration: STD, fusion: { gatedScores: {} } });
    for (let i = 0; i < 6; i++) absent.process(snap('nothing happening', ['vision', 'imu']));
    const t2 = absent.process(gatedImu('the robot tipping over')).top.find((s) => s.conceptId === 'tipping_over')!;
    expect(t2.modalityScores.imu).toBeUndefined();
    matcher.close();
    absent.close();
  });
});

// tipping_over as the default concepts have it: audio may support it, only the camera or the IMU may fire it,
// and an IMU at rest rules it out.
const MOTION = CONCEPTS.replace(
  '{ id: tipping_over, prompts: [the robot tipping over], modalities: [imu, vision] }',
  '{ id: tipping_over, prompts: [the robot tipping over], modalities: [imu, vision, audio], needsOneOf: [imu, vision], bodyMotion: true }',
);

describe('ConceptMatcher: needsOneOf and bodyMotion', () => {
  const started = (events: SenseEvent[]) => events.filter((e) => e.type === 'start').map((e) => e.concept.id);

  it('a concept that needs camera or IMU evidence never fires from audio alone, and fires once the camera sees it', async () => {
    expect(MOTION).not.toBe(CONCEPTS);
    const m = await memory(MOTION);
    const matcher = new ConceptMatcher(m, { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ['audio'], 12);
    expect(started(feed(matcher, 'the robot tipping over', ['audio'], 10))).toEqual([]);
    // no score at all (not a low one): the lifecycle sees no evidence
    expect(matcher.process(snap('the robot tipping over', ['audio'])).top.map((s) => s.conceptId)).not.toContain('tipping_over');
    // with the IMU at rest beside it, bodyMotion makes it a score of 0
    const withRestingImu = () => ({ ...snap('the robot tipping over', ['audio']), gated: { imu: 'at-rest' as const } });
    expect(matcher.process(withRestingImu()).top.find((s) => s.conceptId === 'tipping_over')?.score ?? 0).toBe(0);
    expect(started(feed(matcher, 'the robot tipping over', ['audio', 'vision'], 10))).toEqual(['tipping_over']);
    matcher.close();
    // without bodyMotion, a gated IMU's fixed vote is evidence against, never the evidence the concept needs
    const needsOnly = new ConceptMatcher(await memory(MOTION.replace(', bodyMotion: true', '')), { calibration: STD, now: () => new Date(0) });
    feed(needsOnly, 'nothing happening', ['audio'], 12);
    expect(needsOnly.process(withRestingImu()).top.map((s) => s.conceptId)).not.toContain('tipping_over');
    needsOnly.close();
    // control: the same concept without needsOneOf fires from audio alone
    const plain = new ConceptMatcher(await memory(MOTION.replace(', needsOneOf: [imu, vision]', '')), { calibration: STD, now: () => new Date(0) });
    feed(plain, 'nothing happening', ['audio'], 12);
    expect(started(feed(plain, 'the robot tipping over', ['audio'], 10))).toEqual(['tipping_over']);
    plain.close();
  });

  it('an IMU at rest rules a bodyMotion concept out (score 0) whatever the camera sees; without an IMU the camera decides', async () => {
    const m = await memory(MOTION);
    const matcher = new ConceptMatcher(m, { calibration: STD, now: () => new Date(0) });
    feed(matcher, 'nothing happening', ['vision', 'imu'], 12);
    const resting = () => ({ ...snap('the robot tipping over', ['vision']), gated: { imu: 'at-rest' as const } });
    const events: SenseEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const out = matcher.process(resting());
      events.push(...out.events);
      expect(out.top.find((s) => s.conceptId === 'tipping_over')?.score ?? 0).toBe(0);
    }
    expect(started(events)).toEqual([]);
    // no IMU at all (none fitted, unplugged): the camera alone fires it
    expect(started(feed(matcher, 'the robot tipping over', ['vision'], 10))).toEqual(['tipping_over']);
    matcher.close();
    // control: without bodyMotion the resting IMU only votes its fixed low score
    const plain = new ConceptMatcher(await memory(MOTION.replace(', bodyMotion: true', '')), { calibration: STD, now: () => new Date(0) });
    feed(plain, 'nothing happening', ['vision', 'imu'], 12);
    const out = plain.process(resting());
    expect(out.top.find((s) => s.conceptId === 'tipping_over')!.score).toBeGreaterThan(0);
    plain.close();
  });
});
