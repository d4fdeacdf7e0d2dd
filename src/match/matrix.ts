/**
 * The search side of matching: per modality, every candidate concept's prototype in one contiguous
 * Float32Array (row-major, n x dim) and the taught exemplars in another, scored against a snapshot
 * embedding by brute-force dot products (vectors are unit length, so dot = cosine).
 * Brute force is the choice up to 100,000 concepts: see src/bench/match.ts and docs/concepts.md.
 */
import type { SensorModality } from '../core/types.js';
import type { ConceptDef } from '../memory/concept.js';
import type { MemoryState } from '../memory/state.js';

export interface ModalityMatrix {
  modality: SensorModality;
  dim: number;
  /** Concept indices (into the matcher's concept list) of the rows. */
  concepts: Int32Array;
  protos: Float32Array;
  /** Exemplar rows, and which row of `concepts` each belongs to. */
  exemplars: Float32Array;
  exemplarOwner: Int32Array;
  /** Rows that have at least one exemplar. */
  hasExemplar: Uint8Array;
}

/** Whether `modality` may give evidence for `c`. */
export function allowed(c: ConceptDef, modality: SensorModality): boolean {
  return c.modalities === undefined || c.modalities.includes(modality);
}

/**
 * Builds one modality's matrices from the memory state; `index` maps concept id -> matcher index.
 * When an already built modality has exactly the same prototype vectors (no per-modality templates, the
 * common case), its matrix is shared: 100,000 concepts at dim 1024 then cost 400 MB once, not per modality.
 */
export function buildModalityMatrix(
  state: MemoryState,
  modality: SensorModality,
  candidates: readonly ConceptDef[],
  index: Map<string, number>,
  built: readonly { matrix: ModalityMatrix; vectors: readonly Float32Array[] }[] = [],
): { matrix: ModalityMatrix; vectors: Float32Array[] } | undefined {
  const protos = state.prototypes;
  if (protos === undefined) return undefined;
  const dim = protos.dim;
  const rows: number[] = [];
  const rowConcepts: ConceptDef[] = [];
  const vecs: Float32Array[] = [];
  for (const c of candidates) {
    if (!allowed(c, modality)) continue;
    const v = protos.byConcept.get(c.id)?.[modality];
    if (v === undefined) continue;
    rows.push(index.get(c.id) as number);
    rowConcepts.push(c);
    vecs.push(v);
  }
  const same = built.find((b) => b.vectors.length === vecs.length && b.vectors.every((v, i) => v === vecs[i]) && b.matrix.concepts.every((c, i) => c === rows[i]));
  const matrix = same !== undefined ? same.matrix.protos : new Float32Array(rows.length * dim);
  if (same === undefined) vecs.forEach((v, r) => matrix.set(v, r * dim));
  const exRows: Float32Array[] = [];
  const owners: number[] = [];
  const hasExemplar = new Uint8Array(rows.length);
  rowConcepts.forEach((c, r) => {
    const list = state.exemplars.get(c.id)?.[modality];
    if (list === undefined) return;
    for (const v of list) {
      if (v.length !== dim) continue;
      exRows.push(v);
      owners.push(r);
      hasExemplar[r] = 1;
    }
  });
  const exemplars = new Float32Array(exRows.length * dim);
  exRows.forEach((v, k) => exemplars.set(v, k * dim));
  return { matrix: { modality, dim, concepts: Int32Array.from(rows), protos: matrix, exemplars, exemplarOwner: Int32Array.from(owners), hasExemplar }, vectors: vecs };
}

/** out[r] = dot(matrix row r, v). Unrolled by 4: the inner loop of the whole matcher. */
export function dotRows(matrix: Float32Array, dim: number, v: Float32Array, out: Float32Array): void {
  const n = out.length;
  const d4 = dim - (dim % 4);
  for (let r = 0; r < n; r++) {
    const o = r * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let i = 0;
    for (; i < d4; i += 4) {
      s0 += (matrix[o + i] as number) * (v[i] as number);
      s1 += (matrix[o + i + 1] as number) * (v[i + 1] as number);
      s2 += (matrix[o + i + 2] as number) * (v[i + 2] as number);
      s3 += (matrix[o + i + 3] as number) * (v[i + 3] as number);
    }
    for (; i < dim; i++) s0 += (matrix[o + i] as number) * (v[i] as number);
    out[r] = s0 + s1 + s2 + s3;
  }
}

/**
 * Similarity of `v` to each row's concept prototype (`out`) and, where the concept has taught exemplars, to
 * its best exemplar (`best`, NaN where it has none). The two are calibrated separately (calibration.ts):
 * sensor-to-sensor similarities live on another scale than text-to-sensor ones.
 */
export function similarities(m: ModalityMatrix, v: Float32Array, out: Float32Array, best: Float32Array, scratch: { ex: Float32Array }): boolean {
  dotRows(m.protos, m.dim, v, out);
  best.fill(NaN);
  const nEx = m.exemplarOwner.length;
  if (nEx === 0) return false;
  if (scratch.ex.length < nEx) scratch.ex = new Float32Array(nEx);
  const ex = scratch.ex.subarray(0, nEx);
  dotRows(m.exemplars, m.dim, v, ex);
  for (let k = 0; k < nEx; k++) {
    const r = m.exemplarOwner[k] as number;
    const b = best[r] as number;
    if (!(b >= (ex[k] as number))) best[r] = ex[k] as number;
  }
  return true;
}
