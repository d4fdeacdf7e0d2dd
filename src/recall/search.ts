/**
 * One search over the recall store: nearest rows per modality (the store's vector index) give the
 * candidate moments; each candidate is read back whole and scored with the matcher's calibration
 * (score.ts); adjacent moments merge into ranges (ranges.ts). The index only proposes; the calibrated
 * score decides, so a moment close to the query in one modality but contradicted by the others ranks low.
 */
import type { SensorModality } from '../core/types.js';
import type { MemoryState } from '../memory/state.js';
import type { StampNs } from '../core/types.js';
import type { RecallHit, RecallStore, TimeRange } from './moment.js';
import { mergeRanges, type MomentRange, type ScoredMoment } from './ranges.js';
import { QueryScorer, type QueryScorerOptions } from './score.js';

export interface SearchOptions extends QueryScorerOptions {
  range?: TimeRange;
  /** Ranges returned. @default 10 */
  top?: number;
  /** Candidate rows fetched per modality from the index. @default max(100, 10 * top) */
  candidates?: number;
  /** Candidates from every row (no index): the reference for what the index finds. */
  exact?: boolean;
  /** Candidate moments read back whole and scored. @default max(40, 4 * top) */
  readBack?: number;
  /** Largest gap inside one range, seconds. @default 1.5 */
  gapSeconds?: number;
}

export interface SearchResult {
  ranges: MomentRange[];
  /** Distinct candidate moments scored. */
  scored: number;
  timings: { nearestMs: number; readMs: number; scoreMs: number };
}

export async function searchStore(
  store: RecallStore,
  state: MemoryState,
  query: Partial<Record<SensorModality, Float32Array>>,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const top = options.top ?? 10;
  const k = options.candidates ?? Math.max(100, 10 * top);
  const scorer = new QueryScorer(state, query, options);
  const t0 = performance.now();
  const hits = await Promise.all(scorer.modalities().map((m) => store.nearest(m, query[m] as Float32Array, k, options.range, { exact: options.exact === true, withVectors: true })));
  const stamps = preselect(hits.flat(), state, query, options, options.readBack ?? Math.max(40, 4 * top));
  const t1 = performance.now();
  const moments = await store.moments(stamps);
  const t2 = performance.now();
  const scored: ScoredMoment[] = [];
  for (const mo of moments) {
    const s = scorer.score(mo.vectors, Number(mo.stamp) / 1e9);
    if (s !== undefined) scored.push({ stamp: mo.stamp, score: s.score, modalityScores: s.modalityScores, present: mo.present, clip: mo.clip });
  }
  const ranges = mergeRanges(scored, { top, ...(options.gapSeconds !== undefined ? { gapSeconds: options.gapSeconds } : {}) });
  return { ranges, scored: scored.length, timings: { nearestMs: t1 - t0, readMs: t2 - t1, scoreMs: performance.now() - t2 } };
}

/**
 * The candidates worth reading back whole: reading a moment's rows costs ~0.1 ms per row on a week's
 * store (a random lookup per modality table), most of a search's time. Each candidate is first scored from
 * the vectors the index search already returned (its own modality's, plus any other modality that
 * proposed it too), with the same calibration; the best `keep` are read back and scored on everything.
 * A separate scorer keeps the final scoring's running statistics untouched.
 */
function preselect(hits: readonly RecallHit[], state: MemoryState, query: Partial<Record<SensorModality, Float32Array>>, options: QueryScorerOptions, keep: number): StampNs[] {
  const partial = new Map<StampNs, Partial<Record<SensorModality, Float32Array>>>();
  for (const h of hits) {
    let v = partial.get(h.stamp);
    if (v === undefined) partial.set(h.stamp, (v = {}));
    if (h.vector !== undefined) v[h.modality] = h.vector;
  }
  if (partial.size <= keep) return [...partial.keys()];
  const pre = new QueryScorer(state, query, options);
  const ranked = [...partial]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([stamp, vectors]) => ({ stamp, score: pre.score(vectors, Number(stamp) / 1e9)?.score ?? 0 }));
  return ranked
    .sort((a, b) => b.score - a.score)
    .slice(0, keep)
    .map((r) => r.stamp);
}
