/**
 * Builds a familiarity table (src/match/familiarity.ts) from recordings with ground truth: per concept
 * and modality the concept may be observed in, the embeddings of the snapshots inside its true events
 * (from `coreFromSeconds` after each start, when the windows hold the event rather than what came before)
 * are the pool; a greedy k-centre choice of `perModality` of them are the exemplars (so one long event
 * does not crowd out a short different one), and each scene's snapshots are scored against exemplars
 * chosen from the other scenes only (leave-one-scene-out): those nearest-exemplar cosines are how close
 * a true event the table has never seen comes, and the gate's floor is a low percentile of them.
 */
import { basename } from 'node:path';
import { SENSOR_MODALITIES, type SensorModality, type SnapshotEmbeddings } from '../core/types.js';
import type { ConceptDef } from '../memory/concept.js';
import { allowed } from '../match/matrix.js';
import type { FamiliarityEntry, FamiliarityTable } from '../match/familiarity.js';
import type { TruthEvent } from '../sim/truth.js';
import { dot } from '../core/vector.js';
import { kCentres } from './background-exemplars.js';

export interface FamiliarityScene {
  bag: string;
  snapshots: readonly SnapshotEmbeddings[];
  truth: readonly TruthEvent[];
}

export interface FamiliarityBuildOptions {
  /** Exemplars kept per concept and modality. @default 32 */
  perModality?: number;
  /** Seconds after a true event's start from which its snapshots count. @default 1 */
  coreFromSeconds?: number;
}

/** Embeddings of `m` in the snapshots inside `id`'s true events of one scene. */
function eventVectors(scene: FamiliarityScene, id: string, m: SensorModality, fromNs: bigint): Float32Array[] {
  const out: Float32Array[] = [];
  for (const t of scene.truth) {
    if (t.label !== id) continue;
    for (const s of scene.snapshots) {
      const e = s.embeddings[m];
      if (e !== undefined && s.stamp >= t.start + fromNs && s.stamp <= t.end) out.push(e.vector);
    }
  }
  return out;
}

function nearest(exemplars: readonly Float32Array[], v: Float32Array): number {
  let best = -Infinity;
  for (const e of exemplars) best = Math.max(best, dot(e, v));
  return best;
}

/**
 * The table for `concepts` (background concepts are skipped) from `scenes`. A concept and modality needs
 * true events in at least two scenes (one to leave out, one to choose exemplars from); others are left
 * out of the table, so the gate does not check them.
 */
export function buildFamiliarity(scenes: readonly FamiliarityScene[], concepts: readonly ConceptDef[], model: { id: string; dim: number }, options: FamiliarityBuildOptions = {}): FamiliarityTable {
  const { perModality = 32, coreFromSeconds = 1 } = options;
  const fromNs = BigInt(Math.round(coreFromSeconds * 1e9));
  const table: FamiliarityTable['concepts'] = new Map();
  for (const c of concepts) {
    if (c.background) continue;
    const entries: Partial<Record<SensorModality, FamiliarityEntry>> = {};
    for (const m of SENSOR_MODALITIES) {
      if (!allowed(c, m)) continue;
      const per = scenes.map((s) => eventVectors(s, c.id, m, fromNs));
      if (per.filter((v) => v.length > 0).length < 2) continue;
      const heldIn: number[] = [];
      per.forEach((vs, i) => {
        if (vs.length === 0) return;
        const others = kCentres(per.filter((_, j) => j !== i).flat(), perModality);
        for (const v of vs) heldIn.push(nearest(others, v));
      });
      const chosen = kCentres(per.flat(), perModality);
      const exemplars = new Float32Array(chosen.length * model.dim);
      chosen.forEach((v, k) => exemplars.set(v, k * model.dim));
      entries[m] = { exemplars, count: chosen.length, heldIn: heldIn.sort((a, b) => a - b) };
    }
    if (Object.keys(entries).length > 0) table.set(c.id, entries);
  }
  return {
    modelId: model.id,
    dim: model.dim,
    built: { scenes: scenes.map((s) => basename(s.bag)), perModality, coreFromSeconds, events: scenes.reduce((a, s) => a + s.truth.length, 0) },
    concepts: table,
  };
}
