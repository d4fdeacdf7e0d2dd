// The matcher's two hooks for the live background estimate: `on` thresholds in force instead of the
// concepts' own (setOnThresholds), and a memory change that leaves matching alone (a freeze of the
// estimate) keeping the running calibration. Real embeddings of the ImageBind-signature test model.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SENSOR_MODALITIES, type SnapshotEmbeddings } from '../../src/core/types.js';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { ConceptMatcher } from '../../src/match/matcher.js';
import { textPrototypeBuilder } from '../../src/match/prototypes.js';
import { applyConceptCommand } from '../../src/memory/commands.js';
import { parseConceptFile } from '../../src/memory/concept-file.js';
import { ConceptMemory } from '../../src/memory/memory.js';

const CONCEPTS = `
defaults:
  thresholds: { on: 0.5, off: 0.3 }
concepts:
  - { id: glass_breaking, prompts: [glass breaking], modalities: [audio] }
  - { id: dog_barking, prompts: [a dog barking], modalities: [audio] }
`;

let runtime: EmbeddingRuntime;
let glass: Float32Array;
beforeAll(async () => {
  runtime = await EmbeddingRuntime.open(resolve('test/fixtures/models/imagebind-tiny'), { providers: ['cpu'], cacheDir: null });
  glass = (await runtime.embedText(['glass breaking']))[0]!.vector;
});
afterAll(async () => {
  await runtime.close();
});

let t = 0n;
function snap(): SnapshotEmbeddings {
  t += 500_000_000n;
  return { seq: Number(t / 500_000_000n), stamp: t, present: ['audio'], missing: SENSOR_MODALITIES.filter((m) => m !== 'audio'), embeddings: { audio: { modality: 'audio', vector: glass, scale: runtime.scale('audio'), stamp: t, modelId: runtime.modelId } } };
}

describe('matcher hooks for the background estimate', () => {
  it('uses the thresholds in force instead of the concept own, in lifecycles and in the trace', async () => {
    const file = parseConceptFile(CONCEPTS, 'test');
    const memory = new ConceptMemory({ defaults: file.defaults, concepts: file.concepts, exemplars: new Map(), prototypes: undefined }, { builder: textPrototypeBuilder(runtime) });
    await memory.ensurePrototypes();
    const starts = (overrides: Map<string, number>) => {
      const m = new ConceptMatcher(memory);
      m.setOnThresholds(overrides);
      let n = 0;
      for (let i = 0; i < 8; i++) n += m.process(snap()).events.filter((e) => e.type === 'start' && e.concept.id === 'glass_breaking').length;
      m.close();
      return n;
    };
    // The same snapshots start an event under a low threshold in force and none under a high one.
    expect(starts(new Map([['glass_breaking', 0.05]]))).toBe(1);
    expect(starts(new Map([['glass_breaking', 0.9999]]))).toBe(0);
    const matcher = new ConceptMatcher(memory);
    expect(matcher.process(snap()).trace!().find((c) => c.conceptId === 'glass_breaking')!.on).toBe(0.5);
    // The trace shows the threshold in force.
    matcher.setOnThresholds(new Map([['glass_breaking', 0.9999]]));
    expect(matcher.process(snap()).trace!().find((c) => c.conceptId === 'glass_breaking')!.on).toBe(0.9999);
    // A concept edit rebuilds the matcher: the threshold in force stays.
    expect(await applyConceptCommand(memory, { op: 'update', id: 'dog_barking', patch: { cooldownSeconds: 3 } })).toMatchObject({ ok: true });
    expect(matcher.process(snap()).trace!().find((c) => c.conceptId === 'glass_breaking')!.on).toBe(0.9999);
    matcher.setOnThresholds(new Map());
    expect(matcher.process(snap()).trace!().find((c) => c.conceptId === 'glass_breaking')!.on).toBe(0.5);
    matcher.close();
  });

  it('a freeze of the estimate (a memory change matching does not read) keeps the running calibration warm', async () => {
    const file = parseConceptFile(CONCEPTS, 'test');
    const memory = new ConceptMemory({ defaults: file.defaults, concepts: file.concepts, exemplars: new Map(), prototypes: undefined }, { builder: textPrototypeBuilder(runtime) });
    await memory.ensurePrototypes();
    const matcher = new ConceptMatcher(memory);
    for (let i = 0; i < 6; i++) matcher.process(snap());
    const evidence = () => matcher.stats().modalityEvidence.audio ?? 0;
    const before = evidence();
    expect(await applyConceptCommand(memory, { op: 'background', action: 'freeze' })).toMatchObject({ ok: true });
    matcher.process(snap());
    expect(evidence()).toBe(before + 1); // warm: the snapshot gave evidence at once
    // A concept edit does rebuild (new calibration, warm-up of 4 snapshots): the control for the above.
    expect(await applyConceptCommand(memory, { op: 'update', id: 'dog_barking', patch: { cooldownSeconds: 3 } })).toMatchObject({ ok: true });
    matcher.process(snap());
    expect(evidence()).toBe(before + 1);
    matcher.close();
  });
});
