// buildFamiliarity on hand-made scenes, where every cosine is known: which snapshots are a true event's,
// leave-one-scene-out held-in cosines, and which concepts and modalities get an entry.
import { describe, expect, it } from 'vitest';
import { buildFamiliarity, type FamiliarityScene } from '../../src/eval/familiarity-build.js';
import type { ConceptDef } from '../../src/memory/concept.js';
import type { SensorModality, SnapshotEmbeddings } from '../../src/core/types.js';

const S = 1_000_000_000n;
/** A unit vector in 2-d at `deg` degrees. */
const at = (deg: number) => Float32Array.of(Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180));

function scene(bag: string, audio: number[], truth: FamiliarityScene['truth']): FamiliarityScene {
  const snapshots: SnapshotEmbeddings[] = audio.map((deg, i) => {
    const stamp = BigInt(i) * S;
    const m: SensorModality = 'audio';
    return { seq: i, stamp, present: [m], missing: [], embeddings: { audio: { modality: m, vector: at(deg), scale: 1, stamp, modelId: 'toy' } } };
  });
  return { bag, snapshots, truth };
}

const concept = (id: string, extra: Partial<ConceptDef> = {}): ConceptDef =>
  ({ id, label: id, prompts: [id], modalities: ['audio', 'vision'], thresholds: { on: 0.3, off: 0.1 }, cooldownSeconds: 1, minDurationSeconds: 0.5, maxDurationSeconds: 30, enabled: true, ...extra }) as ConceptDef;

describe('buildFamiliarity', () => {
  // bark in both scenes (seconds 1-3), glass in scene A only; second 1 of each bark is its onset
  const a = scene('a.mcap', [90, 90, 0, 10, 90, 45, 45], [
    { label: 'dog_barking', caption: 'a dog barking', start: 1n * S, end: 3n * S },
    { label: 'glass_breaking', caption: 'glass breaking', start: 4n * S, end: 6n * S },
  ]);
  const b = scene('b.mcap', [90, 90, 20, 30, 90], [{ label: 'dog_barking', caption: 'a dog barking', start: 1n * S, end: 3n * S }]);
  const concepts = [concept('dog_barking'), concept('glass_breaking'), concept('quiet', { background: true })];

  it('exemplars from true events after the onset; held-in cosines against the other scene only', () => {
    const t = buildFamiliarity([a, b], concepts, { id: 'toy', dim: 2 }, { perModality: 8, coreFromSeconds: 1 });
    expect(t.modelId).toBe('toy');
    expect([...t.concepts.keys()]).toEqual(['dog_barking']); // glass: one scene only; quiet: background
    const e = t.concepts.get('dog_barking')!.audio!;
    expect(Object.keys(t.concepts.get('dog_barking')!)).toEqual(['audio']); // no vision embeddings anywhere
    // snapshots 2 and 3 of each scene (0,10 and 20,30 degrees); the onset at second 1 (90) is left out
    expect(e.count).toBe(4);
    // held-in: A's 0 and 10 against B's {20,30}: cos 20, cos 10; B's 20 and 30 against A's {0,10}: cos 10, cos 20
    const cos = (d: number) => Math.cos((d * Math.PI) / 180);
    expect(e.heldIn).toHaveLength(4);
    [cos(20), cos(20), cos(10), cos(10)].forEach((v, i) => expect(e.heldIn[i]).toBeCloseTo(v, 6));
    expect(t.built).toMatchObject({ scenes: ['a.mcap', 'b.mcap'], perModality: 8, coreFromSeconds: 1, events: 3 });
  });

  it('with coreFromSeconds 0 the onset counts too; perModality caps the exemplars (k-centre)', () => {
    const t = buildFamiliarity([a, b], concepts, { id: 'toy', dim: 2 }, { perModality: 2, coreFromSeconds: 0 });
    const e = t.concepts.get('dog_barking')!.audio!;
    expect(e.count).toBe(2);
    // the first pick is the pool's first vector (A's onset, 90 degrees), the second the farthest from it (0)
    expect(Array.from(e.exemplars).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([0, 1, 1, 0]);
    expect(e.heldIn).toHaveLength(6);
  });
});
