// The familiarity table and gate with the bundled model: the shipped models/bind-mini/familiarity.json
// (real bind-mini embeddings of simulator training events), bind-mini's real text graph for the
// prototypes, and the table's own exemplars fed as sensor embeddings, so which concept a snapshot is a
// true instance of is known exactly. The end-to-end effect on real recordings is in
// familiarity-replay.test.ts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { ConceptMemory } from '../../src/memory/memory.js';
import { loadConceptFile } from '../../src/memory/concept-file.js';
import { textPrototypeBuilder } from '../../src/match/prototypes.js';
import { ConceptMatcher } from '../../src/match/matcher.js';
import { FamiliarityGate, isFamiliar, parseFamiliarityTable, percentileOf, serializeFamiliarityTable, type FamiliarityTable } from '../../src/match/familiarity.js';
import { loadFamiliarityGate } from '../../src/match/familiarity-load.js';
import { SENSOR_MODALITIES, type SensorModality, type SnapshotEmbeddings } from '../../src/core/types.js';
import type { MemoryState } from '../../src/memory/state.js';

const MODEL = resolve('models/bind-mini');
const FILE = join(MODEL, 'familiarity.json');
const ALL = { percentile: 5, modalities: [...SENSOR_MODALITIES] };

let runtime: EmbeddingRuntime;
let table: FamiliarityTable;
let state: MemoryState;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-familiarity-unit-'));
  runtime = await EmbeddingRuntime.open(MODEL, { providers: ['cpu'], cacheDir: null });
  table = parseFamiliarityTable(await readFile(FILE, 'utf8'), FILE);
  const file = await loadConceptFile('concepts/default.yaml');
  const memory = new ConceptMemory({ defaults: file.defaults, concepts: file.concepts, exemplars: new Map(), prototypes: undefined }, { builder: textPrototypeBuilder(runtime) });
  await memory.ensurePrototypes();
  state = memory.state;
});
afterAll(async () => {
  await runtime.close();
  await rm(dir, { recursive: true, force: true });
});

/** Row k of an entry's exemplars. */
function exemplar(id: string, m: SensorModality, k = 0): Float32Array {
  const e = table.concepts.get(id)![m]!;
  return e.exemplars.slice(k * table.dim, (k + 1) * table.dim);
}

let t = 0n;
function snap(vectors: Partial<Record<SensorModality, Float32Array>>): SnapshotEmbeddings {
  t += 500_000_000n;
  const present = SENSOR_MODALITIES.filter((m) => vectors[m] !== undefined);
  const embeddings: SnapshotEmbeddings['embeddings'] = {};
  for (const m of present) embeddings[m] = { modality: m, vector: vectors[m]!, scale: 1, stamp: t, modelId: runtime.modelId };
  return { seq: Number(t / 500_000_000n), stamp: t, present, missing: SENSOR_MODALITIES.filter((m) => !present.includes(m)), embeddings };
}

describe('the shipped familiarity table', () => {
  it('is bind-mini\'s, holds every event concept of the default concepts in the modalities it may be observed in, and round-trips', () => {
    expect(table.modelId).toBe(runtime.modelId);
    expect(table.dim).toBe(128);
    const events = state.concepts.filter((c) => !c.background);
    expect([...table.concepts.keys()].sort()).toEqual(events.map((c) => c.id).sort());
    for (const c of events) {
      const entries = table.concepts.get(c.id)!;
      expect(Object.keys(entries).sort()).toEqual([...(c.modalities ?? [])].filter((m) => m !== 'thermal').sort());
      for (const e of Object.values(entries)) {
        expect(e.count).toBeGreaterThan(0);
        expect(e.heldIn.length).toBeGreaterThan(10);
        let n = 0;
        for (let i = 0; i < table.dim; i++) n += e.exemplars[i]! ** 2;
        expect(n).toBeCloseTo(1, 4);
      }
    }
    const again = parseFamiliarityTable(serializeFamiliarityTable(table), 'round trip');
    expect(again.concepts.get('dog_barking')!.audio!.exemplars).toEqual(table.concepts.get('dog_barking')!.audio!.exemplars);
    expect(again.concepts.get('dog_barking')!.audio!.heldIn).toEqual(table.concepts.get('dog_barking')!.audio!.heldIn);
  });

  it('floors are the percentile of the held-in cosines; an exemplar is familiar to its own concept', () => {
    expect(percentileOf([0.1, 0.2, 0.3, 0.4], 0)).toBe(0.1);
    expect(percentileOf([0.1, 0.2, 0.3, 0.4], 50)).toBe(0.3);
    expect(percentileOf([0.1, 0.2, 0.3, 0.4], 100)).toBe(0.4);
    const gate = new FamiliarityGate(table, ALL);
    const check = gate.check('dog_barking', 'audio')!;
    expect(check.floor).toBe(percentileOf(table.concepts.get('dog_barking')!.audio!.heldIn, 5));
    expect(isFamiliar(check, exemplar('dog_barking', 'audio', 3))).toBe(true);
    // only the listed modalities are checked; concepts the table lacks are not checked
    const audioOnly = new FamiliarityGate(table, { percentile: 5, modalities: ['audio'] });
    expect(audioOnly.check('dog_barking', 'vision')).toBeUndefined();
    expect(audioOnly.check('no_such_concept', 'audio')).toBeUndefined();
  });
});

describe('familiarity files that cannot be used', () => {
  it('errors name the file and the field', () => {
    expect(() => parseFamiliarityTable('{', 'f.json')).toThrow(/^f\.json: not JSON/);
    expect(() => parseFamiliarityTable('{"format":"other"}', 'f.json')).toThrow(/^f\.json: format: /);
    const bad = JSON.stringify({ format: 'sensebind-familiarity', version: 1, modelId: 'm', dim: 4, built: {}, concepts: { x: { audio: { exemplars: Buffer.alloc(12).toString('base64'), heldIn: [0.5] } } } });
    expect(() => parseFamiliarityTable(bad, 'f.json')).toThrow('f.json: concepts.x.audio.exemplars: 12 bytes is not a whole number of 4-d float32 rows');
  });

  it('a file for another model is refused; a model folder without one gives no gate; disabled gives none', async () => {
    const other = join(dir, 'other.json');
    await writeFile(other, serializeFamiliarityTable({ ...table, modelId: 'imagebind_huge' }));
    await expect(loadFamiliarityGate({ enabled: true, file: other, percentile: 5, modalities: ['audio'] }, { dir: MODEL, id: runtime.modelId })).rejects.toThrow(
      `${other}: made for model imagebind_huge, but the model is ${runtime.modelId}`,
    );
    await expect(loadFamiliarityGate({ enabled: true, file: join(dir, 'missing.json'), percentile: 5, modalities: ['audio'] }, { dir: MODEL, id: runtime.modelId })).rejects.toThrow(/match\.familiarity\.file: cannot read .*missing\.json/);
    expect(await loadFamiliarityGate({ enabled: true, file: '', percentile: 5, modalities: ['audio'] }, { dir: resolve('test/fixtures/models/imagebind-tiny'), id: 'x' })).toBeUndefined();
    expect(await loadFamiliarityGate({ enabled: false, file: FILE, percentile: 5, modalities: ['audio'] }, { dir: MODEL, id: runtime.modelId })).toBeUndefined();
    expect((await loadFamiliarityGate({ enabled: true, file: '', percentile: 5, modalities: ['audio'] }, { dir: MODEL, id: runtime.modelId }))?.concepts).toBe(table.concepts.size);
  });
});

describe('ConceptMatcher with the gate', () => {
  /** Every concept's fused score (null: none) per snapshot. */
  function fusedTrace(matcher: ConceptMatcher, snaps: SnapshotEmbeddings[]): Record<string, number | null>[] {
    return snaps.map((s) => Object.fromEntries(matcher.process(s).trace!().map((c) => [c.conceptId, c.fused])));
  }

  it('concepts without exemplars score exactly as without the gate; a checked concept keeps its score while familiar', () => {
    // a table holding dog_barking's audio only
    const only: FamiliarityTable = { ...table, concepts: new Map([['dog_barking', { audio: table.concepts.get('dog_barking')!.audio! }]]) };
    const gate = new FamiliarityGate(only, ALL);
    const snaps = [...Array(6).keys()].map((k) => snap({ audio: exemplar('glass_breaking', 'audio', k), vision: exemplar('glass_breaking', 'vision', k) }));
    snaps.push(...[...Array(6).keys()].map((k) => snap({ audio: exemplar('dog_barking', 'audio', k) })));
    const plain = fusedTrace(new ConceptMatcher(state, { runId: 'a' }), snaps);
    const gated = new ConceptMatcher(state, { runId: 'b', familiarity: gate });
    const withGate = fusedTrace(gated, snaps);
    for (let i = 0; i < snaps.length; i++) {
      for (const [id, v] of Object.entries(plain[i]!)) if (id !== 'dog_barking') expect(withGate[i]![id], `${id} at ${i}`).toBe(v);
    }
    // dog_barking's own exemplars are familiar: same score as without the gate
    for (let i = 6; i < 12; i++) expect(withGate[i]!.dog_barking).toBe(plain[i]!.dog_barking);
    // glass sounds are not barks: audio refused for dog_barking; with vision present (unchecked) it still
    // has a score, from audio alone (snapshots after the warm-up) none
    expect(plain[5]!.dog_barking).not.toBeNull();
    expect(withGate[5]!.dog_barking).toBe(plain[5]!.dog_barking);
    const stats = gated.stats().familiarity;
    expect(stats.refused.audio).toBeGreaterThan(0);
    expect(stats.refused.vision).toBeUndefined();
  });

  it('audio alone that is far from every bark gives dog_barking no score; the unanchored count says so', () => {
    const gate = new FamiliarityGate(table, ALL);
    const glass = [...Array(16).keys()].map((k) => snap({ audio: exemplar('glass_breaking', 'audio', k) }));
    const check = gate.check('dog_barking', 'audio')!;
    const unfamiliar = glass.filter((s) => !isFamiliar(check, s.embeddings.audio!.vector)).length;
    expect(unfamiliar).toBeGreaterThan(0);
    const gated = new ConceptMatcher(state, { runId: 'c', familiarity: gate });
    const trace = fusedTrace(gated, glass);
    const plain = fusedTrace(new ConceptMatcher(state, { runId: 'd' }), glass);
    let withheld = 0;
    glass.forEach((s, i) => {
      if (plain[i]!.dog_barking === null) return; // warm-up
      if (!isFamiliar(check, s.embeddings.audio!.vector)) {
        expect(trace[i]!.dog_barking).toBeNull();
        withheld++;
      } else expect(trace[i]!.dog_barking).toBe(plain[i]!.dog_barking);
    });
    expect(withheld).toBeGreaterThan(0);
    expect(gated.stats().familiarity.unanchored).toBeGreaterThanOrEqual(withheld);
  });
});
