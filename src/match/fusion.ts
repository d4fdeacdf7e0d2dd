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

/**
 * One pool, term by term, without allocating: the matcher reuses one for every concept of every snapshot.
 * A term with no positive weight is left out.
 */
export class LogLinearPool {
  #sumW = 0;
  #sumLog = 0;

  reset(): void {
    this.#sumW = 0;
    this.#sumLog = 0;
  }

  add(probability: number, weight: number): void {
    if (!(weight > 0)) return;
    this.#sumW += weight;
    this.#sumLog += weight * Math.log(Math.max(probability, FLOOR));
  }

  /** The pooled probability; undefined when no term had weight. */
  value(): number | undefined {
    return this.#sumW > 0 ? Math.exp(this.#sumLog / this.#sumW) : undefined;
  }
}

export function logLinearPool(terms: readonly PoolTerm[]): number | undefined {
  const pool = new LogLinearPool();
  for (const t of terms) pool.add(t.probability, t.weight);
  return pool.value();
}
