/**
 * A taught exemplar: what a concept looked like in a stretch of live or recorded data, as the normalised
 * mean of the snapshots' embeddings per modality (`teach` from live snapshots, `concepts teach --bag`, the
 * eval study's exemplar condition).
 */
import type { SensorModality, SnapshotEmbeddings, StampNs } from '../core/types.js';
import { meanNormalized } from '../core/vector.js';

/**
 * Per modality in `modalities`, the normalised mean of its embeddings over the snapshots stamped within
 * `range` (inclusive; all of them without one). A modality no snapshot carries is left out.
 */
export function exemplarsFromSnapshots(
  snapshots: readonly SnapshotEmbeddings[],
  modalities: readonly SensorModality[],
  range?: { start: StampNs; end: StampNs },
): Partial<Record<SensorModality, Float32Array>> {
  const inRange = range === undefined ? snapshots : snapshots.filter((s) => s.stamp >= range.start && s.stamp <= range.end);
  const out: Partial<Record<SensorModality, Float32Array>> = {};
  for (const m of modalities) {
    const mean = meanNormalized(inRange.flatMap((s) => s.embeddings[m]?.vector ?? []));
    if (mean !== undefined) out[m] = mean;
  }
  return out;
}
