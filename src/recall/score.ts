/**
 * Scores remembered moments against a query with the matcher's own calibration (src/match/calibration.ts)
 * and fusion weights, so a text query behaves like a concept that was never set up: per modality, the
 * query's prototype joins the softmax of the concept set (events and background concepts, as the
 * modality may observe them) plus the "none" option, and the query's probability is fused over the
 * modalities the moment has by weighted log-linear pooling (a missing modality removes evidence).
 *
 * A concept whose prototype is nearly the query itself (cosine >= `duplicateCosine`, e.g. searching
 * "glass breaking" while a glass_breaking concept exists) is left out of that modality's softmax: the
 * query stands in for it, instead of splitting the probability with its twin.
 *
 * Moments are fed in stamp order through one ModalityCalibration per modality, so running statistics
 * (used when calibration.standardise or center are on) evolve as they would have live.
 */
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import { ModalityCalibration } from '../match/calibration.js';
import { allowed, dotRows } from '../match/matrix.js';
import { CALIBRATION_DEFAULTS, FUSION_DEFAULT_WEIGHTS, type CalibrationOptions } from '../match/options.js';
import { logLinearPool } from '../match/fusion.js';
import type { MemoryState } from '../memory/state.js';

export interface QueryScorerOptions {
  calibration?: CalibrationOptions;
  /** Fusion weights per modality (missing = 1). @default FUSION_DEFAULT_WEIGHTS */
  weights?: Partial<Record<SensorModality, number>>;
  /** Per-modality output scales of the model (used when calibration.modalityScale is on). */
  modalityScales?: Partial<Record<SensorModality, number>>;
  /** Modalities that may give evidence; all when absent. */
  modalities?: readonly SensorModality[];
  /** Concepts this similar to the query are left out of the softmax. @default 0.9 */
  duplicateCosine?: number;
}

export interface MomentScore {
  /** Fused calibrated probability of the query in [0, 1]. */
  score: number;
  modalityScores: Partial<Record<SensorModality, number>>;
}

interface ModalityRows {
  matrix: Float32Array;
  n: number;
  calibration: ModalityCalibration;
  cos: Float32Array;
  probs: Float32Array;
  frozen: Uint8Array;
  scale: number;
  weight: number;
}

export class QueryScorer {
  readonly #rows = new Map<SensorModality, ModalityRows>();
  readonly dim: number;

  /** `query`: the query's prototype per modality (unit vectors in the model's shared space). */
  constructor(state: MemoryState, query: Partial<Record<SensorModality, Float32Array>>, options: QueryScorerOptions = {}) {
    const cal = { ...CALIBRATION_DEFAULTS, ...options.calibration };
    const weights = options.weights ?? FUSION_DEFAULT_WEIGHTS;
    const dup = options.duplicateCosine ?? 0.9;
    const wanted = new Set(options.modalities ?? SENSOR_MODALITIES);
    const protos = state.prototypes;
    let dim = 0;
    for (const m of SENSOR_MODALITIES) {
      const q = query[m];
      if (q === undefined || !wanted.has(m) || !((weights[m] ?? 1) > 0)) continue;
      dim = q.length;
      const rows: Float32Array[] = [];
      if (protos !== undefined && protos.dim === q.length) {
        for (const c of state.concepts) {
          if (!c.enabled || !allowed(c, m)) continue;
          const v = protos.byConcept.get(c.id)?.[m];
          if (v === undefined) continue;
          if (!c.background && dot(v, q) >= dup) continue;
          rows.push(v);
        }
      }
      rows.push(q);
      const matrix = new Float32Array(rows.length * q.length);
      rows.forEach((v, r) => matrix.set(v, r * q.length));
      const n = rows.length;
      // No warm-up for remembered moments: every stored moment is evidence.
      const calibration = new ModalityCalibration(m, n, { ...options.calibration, warmupSnapshots: 0 });
      const scale = (cal.modalityScale ? (options.modalityScales?.[m] ?? 1) : 1) * cal.textScale;
      this.#rows.set(m, { matrix, n, calibration, cos: new Float32Array(n), probs: new Float32Array(n), frozen: new Uint8Array(n), scale, weight: weights[m] ?? 1 });
    }
    this.dim = dim;
  }

  /** Modalities the query can be scored in. */
  modalities(): SensorModality[] {
    return [...this.#rows.keys()];
  }

  /** Scores one moment; undefined when none of its modalities can give evidence. Call in stamp order. */
  score(vectors: Partial<Record<SensorModality, Float32Array>>, stampSeconds: number): MomentScore | undefined {
    const terms: { probability: number; weight: number }[] = [];
    const modalityScores: Partial<Record<SensorModality, number>> = {};
    for (const [m, r] of this.#rows) {
      const v = vectors[m];
      if (v === undefined || v.length * r.n !== r.matrix.length) continue;
      dotRows(r.matrix, v.length, v, r.cos);
      r.calibration.calibrate(r.cos, r.scale, stampSeconds, r.frozen, r.probs);
      const p = r.probs[r.n - 1] as number;
      modalityScores[m] = p;
      terms.push({ probability: p, weight: r.weight });
    }
    const score = logLinearPool(terms);
    return score === undefined ? undefined : { score, modalityScores };
  }
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
