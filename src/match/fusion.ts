/**
 * Fusion over the modalities that are present: weighted log-linear pooling (a weighted geometric mean of
 * the per-modality probabilities). A missing modality is left out of the product and out of the weight
 * sum, so it removes evidence instead of voting zero; a concept no present modality may observe has no
 * fused score at all (undefined), which the lifecycle treats as "no evidence", never as "absent".
 */
export interface PoolTerm {
  probability: number;
  weight: number;
}

const FLOOR = 1e-12;

export function logLinearPool(terms: readonly PoolTerm[]): number | undefined {
  let sumW = 0;
  let sumLog = 0;
  for (const t of terms) {
    if (!(t.weight > 0)) continue;
    sumW += t.weight;
    sumLog += t.weight * Math.log(Math.max(t.probability, FLOOR));
  }
  return sumW > 0 ? Math.exp(sumLog / sumW) : undefined;
}
