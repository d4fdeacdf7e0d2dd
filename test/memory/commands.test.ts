import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConceptMemory } from '../../src/memory/memory.js';
import { applyConceptCommand, conceptCommandSchema } from '../../src/memory/commands.js';
import { loadConceptFile, parseConceptFile } from '../../src/memory/concept-file.js';
import { expandPrompts } from '../../src/memory/concept.js';
import { EVENT_KINDS } from '../../src/sim/events.js';
import type { SnapshotEmbeddings } from '../../src/core/types.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-commands-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const YAML = `
version: 1
defaults:
  templates: { audio: ["the sound of {}"] }
  thresholds: { on: 0.6, off: 0.4 }
concepts:
  - id: glass_breaking
    prompts: [glass breaking, a glass shattering]
    modalities: [audio, vision]
  - id: silence
    background: true
`;

function snapshot(stamp: bigint, audio: number[], vision?: number[]): SnapshotEmbeddings {
  const emb = (modality: 'audio' | 'vision', v: number[]) => ({ modality, vector: Float32Array.from(v), scale: 1, stamp, modelId: 't' });
  const embeddings: SnapshotEmbeddings['embeddings'] = { audio: emb('audio', audio) };
  if (vision) embeddings.vision = emb('vision', vision);
  return { seq: Number(stamp), stamp, present: vision ? ['audio', 'vision'] : ['audio'], missing: [], embeddings };
}

describe('concept file', () => {
  it('resolves defaults, labels and templates', () => {
    const f = parseConceptFile(YAML, 'test.yaml');
    const glass = f.concepts[0]!;
    expect(glass.label).toBe('glass breaking');
    expect(glass.thresholds).toEqual({ on: 0.6, off: 0.4 });
    expect(expandPrompts(glass, 'audio')).toEqual(['the sound of glass breaking', 'the sound of a glass shattering']);
    expect(expandPrompts(glass, 'vision')).toEqual(['glass breaking', 'a glass shattering']);
    expect(f.concepts[1]!.background).toBe(true);
  });

  it('names the file and key of a mistake', () => {
    expect(() => parseConceptFile('concepts:\n  - id: a\n    thresholds: { on: 0.3, off: 0.5 }\n', 'c.yaml')).toThrow(/c\.yaml: concepts\[0\]\.thresholds: thresholds\.off must be below/);
    expect(() => parseConceptFile('concepts:\n  - id: a\n  - id: a\n', 'c.yaml')).toThrow(/concepts\[1\]\.id: duplicate concept id "a"/);
    expect(() => parseConceptFile('concepts:\n  - id: a\n    colour: red\n', 'c.yaml')).toThrow(/concepts\[0\]: unknown key "colour"/);
    expect(() => parseConceptFile('concepts: [', 'c.yaml')).toThrow(/not valid YAML/);
    expect(() => parseConceptFile('concepts:\n  - id: a\n  - id: b\n    modalities: [vision, audio]\n    needsOneOf: [imu, vision]\n', 'c.yaml')).toThrow(
      /c\.yaml: concepts\[1\]\.needsOneOf: imu not in modalities \[vision, audio\]/,
    );
  });

  it('the default concept file covers every simulator event kind and has background concepts', async () => {
    const f = await loadConceptFile(resolve('concepts/default.yaml'));
    const ids = new Set(f.concepts.map((c) => c.id));
    for (const k of EVENT_KINDS.filter((k) => !k.background)) {
      expect(ids.has(k.id), k.id).toBe(true);
      expect(f.concepts.find((c) => c.id === k.id)!.modalities).toEqual([...k.observedBy]);
    }
    expect(f.concepts.filter((c) => c.background).length).toBeGreaterThanOrEqual(3);
  });
});

describe('concept commands', () => {
  it('add, update, enable/disable, remove, list; a bad command changes nothing', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(file, YAML);
    const memory = await ConceptMemory.open({ conceptFile: file });
    const v0 = memory.version;
    let r = await applyConceptCommand(memory, { op: 'add', requestId: 'r1', concept: { id: 'dog_barking', prompts: ['a dog barking'] } });
    expect(r).toMatchObject({ ok: true, op: 'add', requestId: 'r1', id: 'dog_barking' });
    expect(r.concept?.thresholds).toEqual({ on: 0.6, off: 0.4 });
    expect(memory.version).toBe(v0 + 1);

    r = await applyConceptCommand(memory, { op: 'add', concept: { id: 'dog_barking' } });
    expect(r.ok).toBe(false);
    // The advice names messages that exist: following it works.
    expect(r.error).toBe('concept "dog_barking" exists (send {"op":"update","id":"dog_barking","patch":{...}}, or "add" with "replace": true)');
    expect((await applyConceptCommand(memory, { op: 'add', concept: { id: 'dog_barking', prompts: ['a dog barking'] }, replace: true })).ok).toBe(true);
    r = await applyConceptCommand(memory, { op: 'update', id: 'dog_barking', patch: { thresholds: { on: 0.3, off: 0.2 }, label: 'barking' } });
    expect(r.ok).toBe(true);
    expect(memory.get('dog_barking')!.label).toBe('barking');
    // needsOneOf must name allowed modalities; bodyMotion: false removes the veto
    r = await applyConceptCommand(memory, { op: 'update', id: 'glass_breaking', patch: { needsOneOf: ['imu'] } });
    expect(r).toMatchObject({ ok: false, error: 'needsOneOf: imu not in modalities [audio, vision] (such a modality never gives the concept evidence)' });
    expect(memory.get('glass_breaking')!.needsOneOf).toBeUndefined();
    r = await applyConceptCommand(memory, { op: 'update', id: 'dog_barking', patch: { needsOneOf: ['vision'], bodyMotion: true } });
    expect(r.ok).toBe(true);
    expect(memory.get('dog_barking')).toMatchObject({ needsOneOf: ['vision'], bodyMotion: true });
    expect(r.concept).toMatchObject({ needsOneOf: ['vision'], bodyMotion: true });
    expect((await applyConceptCommand(memory, { op: 'update', id: 'dog_barking', patch: { bodyMotion: false } })).ok).toBe(true);
    expect(memory.get('dog_barking')!.bodyMotion).toBeUndefined();
    // off above the existing on: rejected, nothing changes
    const before = memory.version;
    r = await applyConceptCommand(memory, { op: 'update', id: 'dog_barking', patch: { thresholds: { on: 0.9, off: 0.95 } } });
    expect(r.ok).toBe(false);
    r = await applyConceptCommand(memory, { op: 'update', id: 'nope', patch: { label: 'x' } });
    expect(r).toMatchObject({ ok: false, error: 'no concept "nope"' });
    r = await applyConceptCommand(memory, { op: 'frobnicate' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/invalid command/);
    r = await applyConceptCommand(memory, { op: 'add', concept: { id: 'bad id with spaces' } });
    expect(r.error).toMatch(/concept.id/);
    expect(memory.version).toBe(before);
    expect(memory.get('dog_barking')!.thresholds).toEqual({ on: 0.3, off: 0.2 });

    expect((await applyConceptCommand(memory, { op: 'disable', id: 'glass_breaking' })).concept?.enabled).toBe(false);
    expect((await applyConceptCommand(memory, { op: 'enable', id: 'glass_breaking' })).concept?.enabled).toBe(true);
    expect((await applyConceptCommand(memory, { op: 'remove', id: 'dog_barking' })).ok).toBe(true);
    const list = await applyConceptCommand(memory, { op: 'list' });
    expect(list.concepts?.map((c) => c.id)).toEqual(['glass_breaking', 'silence']);
    expect(conceptCommandSchema.safeParse({ op: 'teach', id: 'x', seconds: -1 }).success).toBe(false);
  });

  it('teach: from recent live snapshots (mean per present modality) and from explicit vectors; persisted', async () => {
    const stateFile = join(dir, 'teach.sbm');
    const file = join(dir, 't.yaml');
    await writeFile(file, YAML);
    const memory = await ConceptMemory.open({ conceptFile: file, stateFile, maxExemplars: 3 });
    let r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/no live snapshots/);

    memory.observe(snapshot(0n, [1, 0, 0]));
    memory.observe(snapshot(1_000_000_000n, [0, 1, 0], [0, 0, 1]));
    memory.observe(snapshot(5_000_000_000n, [1, 1, 0], [0, 0, 1])); // only this and the previous are in the last 5 s
    r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking', seconds: 4 });
    expect(r).toMatchObject({ ok: true, taught: { audio: 1, vision: 1 } });
    const audio = memory.exemplars('glass_breaking').audio![0]!;
    // mean of [0,1,0] and [1,1,0] normalised
    expect(audio[0]).toBeCloseTo(1 / Math.sqrt(5), 5);
    expect(audio[1]).toBeCloseTo(2 / Math.sqrt(5), 5);

    r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking', modalities: ['imu'] });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/concept "glass_breaking" does not use imu \(its modalities: audio, vision\)/);

    // Vectors for a modality the concept does not use are not stored (it never scores that modality).
    r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking', embeddings: { imu: [[0, 1, 0]], vision: [[0, 1, 0]] } });
    expect(r).toMatchObject({ ok: true, taught: { vision: 1 } });
    expect(memory.exemplars('glass_breaking').imu).toBeUndefined();
    r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking', embeddings: { imu: [[0, 1, 0]] } });
    expect(r.ok).toBe(false);
    expect(memory.exemplars('glass_breaking').imu).toBeUndefined();

    r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking', embeddings: { audio: [[3, 4, 0], [0, 0, 2], [0, 5, 0]] } });
    expect(r.taught).toEqual({ audio: 3 });
    const ex = memory.exemplars('glass_breaking').audio!;
    expect(ex.length).toBe(3); // capped at maxExemplars, oldest dropped
    expect(Array.from(ex[0]!)).toEqual([0.6000000238418579, 0.800000011920929, 0]);

    r = await applyConceptCommand(memory, { op: 'teach', id: 'glass_breaking', embeddings: { audio: [[0, 0, 0]] } });
    expect(r.error).toMatch(/zero or non-finite/);

    // reopen from the state file: identical
    const again = await ConceptMemory.open({ stateFile, conceptFile: file });
    expect(again.concepts()).toEqual(memory.concepts());
    expect(again.exemplars('glass_breaking').audio!.map((v) => Array.from(v))).toEqual(ex.map((v) => Array.from(v)));
    expect(again.exemplars('glass_breaking').vision!.length).toBe(2);
    expect(again.exemplars('glass_breaking').imu).toBeUndefined();
  });
});
