import { expect, it } from 'vitest';
import type { SensorModality, SnapshotEmbeddings } from '../../src/core/types.js';
import { exemplarsFromSnapshots } from '../../src/memory/exemplar.js';

const snap = (stamp: bigint, vectors: Partial<Record<SensorModality, number[]>>): SnapshotEmbeddings => {
  const embeddings: SnapshotEmbeddings['embeddings'] = {};
  for (const [m, v] of Object.entries(vectors) as Array<[SensorModality, number[]]>) {
    embeddings[m] = { modality: m, vector: Float32Array.from(v), scale: 1, stamp, modelId: 'test' };
  }
  const present = Object.keys(vectors) as SensorModality[];
  return { seq: Number(stamp), stamp, present, missing: [], embeddings };
};

it('averages each wanted modality over the snapshots in the range, inclusive, re-normalised', () => {
  const snaps = [
    snap(1n, { vision: [1, 0], audio: [0, 1] }),
    snap(2n, { vision: [0, 1] }),
    snap(3n, { vision: [0, 1], audio: [1, 0] }),
    snap(4n, { vision: [-1, 0] }),
  ];
  const out = exemplarsFromSnapshots(snaps, ['vision', 'audio', 'imu'], { start: 2n, end: 3n });
  expect(Object.keys(out).sort()).toEqual(['audio', 'vision']);
  expect(Array.from(out.vision!)).toEqual([0, 1]);
  expect(Array.from(out.audio!)).toEqual([1, 0]);
  // Without a range: every snapshot; a modality left out of `modalities` is not computed.
  const all = exemplarsFromSnapshots(snaps, ['audio']);
  expect(Object.keys(all)).toEqual(['audio']);
  expect(all.audio![0]).toBeCloseTo(Math.SQRT1_2, 6);
});
