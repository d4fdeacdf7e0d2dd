/**
 * The synthetic robot life of the recall benches (bench/recall.mjs): deterministic vectors with the
 * structure of a robot's snapshots (a scene that changes every minute or so, consecutive snapshots alike),
 * a concept set over the same space, and the figures' small helpers.
 */
import type { SensorModality, SnapshotEmbeddings } from '../core/types.js';
import { BUILTIN_DEFAULTS, resolveConcept } from '../memory/concept.js';
import type { MemoryState } from '../memory/state.js';
import type { RecallMoment } from '../recall/moment.js';

export const MODS: SensorModality[] = ['vision', 'audio', 'depth', 'imu'];
export const HOP_NS = 500_000_000n;
/** Snapshots in a day at the live rate (2 Hz). */
export const DAY_MOMENTS = 172_800;

/** Deterministic xorshift, so every run builds the same store. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

export function unit(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  const k = 1 / Math.sqrt(n || 1);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * k;
  return v;
}

/**
 * A robot's day as vectors: the scene moves between `scenes` cluster centres every minute or so, each
 * snapshot is its scene's centre plus noise (consecutive snapshots alike, as on a robot).
 */
export class SyntheticLife {
  readonly dim: number;
  readonly #centres: Float32Array[];
  readonly #r: () => number;
  #scene = 0;
  constructor(dim: number, scenes: number, seed: number) {
    this.dim = dim;
    this.#r = rng(seed);
    this.#centres = Array.from({ length: scenes * MODS.length }, () => unit(Float32Array.from({ length: dim }, () => this.#r() - 0.5)));
  }
  centre(i: number): Float32Array {
    return this.#centres[i % this.#centres.length] as Float32Array;
  }
  moment(i: number): RecallMoment {
    if (this.#r() < 1 / 120) this.#scene = Math.floor(this.#r() * (this.#centres.length / MODS.length));
    const vectors: Partial<Record<SensorModality, Float32Array>> = {};
    MODS.forEach((m, k) => {
      const c = this.#centres[this.#scene * MODS.length + k] as Float32Array;
      vectors[m] = unit(Float32Array.from(c, (x) => x + (this.#r() - 0.5) * 0.15));
    });
    return { stamp: BigInt(i) * HOP_NS, vectors };
  }
}

export function tickOf(m: RecallMoment, seq: number): SnapshotEmbeddings {
  const embeddings: SnapshotEmbeddings['embeddings'] = {};
  for (const mod of MODS) embeddings[mod] = { modality: mod, vector: m.vectors[mod] as Float32Array, scale: 1, stamp: m.stamp, modelId: 'bench' };
  return { seq, stamp: m.stamp, present: MODS, missing: ['thermal'], embeddings };
}

export function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
export const r2 = (x: number) => Math.round(x * 100) / 100;
export const mib = (b: number) => r2(b / 2 ** 20);

export function syntheticState(life: SyntheticLife, concepts: number): MemoryState {
  const defs = Array.from({ length: concepts }, (_, i) => resolveConcept({ id: `c${i}` }, BUILTIN_DEFAULTS));
  const byConcept = new Map(defs.map((c, i) => [c.id, Object.fromEntries(MODS.map((m, k) => [m, life.centre(i * 7 + k)]))]));
  return { defaults: BUILTIN_DEFAULTS, concepts: defs, exemplars: new Map(), prototypes: { modelId: 'bench', dim: life.dim, byConcept } };
}

