/**
 * Adjacent moments -> time ranges, the unit a search answers in ("glass breaking from 02:14:03 to
 * 02:14:06"), so one event is one answer rather than its six snapshots.
 *
 * Peaks first: the best-scoring moment not yet in a range seeds one, which grows over neighbours that are
 * adjacent in time (gap <= `gapSeconds`) and still score at least `keepRatio` of the seed; then the next
 * best seed. A range's score is its peak's.
 */
import type { SensorModality, StampNs } from '../core/types.js';

export interface ScoredMoment {
  stamp: StampNs;
  score: number;
  modalityScores: Partial<Record<SensorModality, number>>;
  present: SensorModality[];
  clip: string | null;
}

export interface MomentRange {
  start: StampNs;
  end: StampNs;
  peak: StampNs;
  score: number;
  modalityScores: Partial<Record<SensorModality, number>>;
  present: SensorModality[];
  /** The recording of the range's first moment that has one. */
  clip: string | null;
  moments: number;
}

export interface RangeOptions {
  /** Largest gap between two moments of one range, seconds. @default 1.5 */
  gapSeconds?: number;
  /** A neighbour joins while its score is at least this fraction of the seed's. @default 0.5 */
  keepRatio?: number;
  /** Ranges returned at most (best first). @default 10 */
  top?: number;
}

/** `moments` must be sorted by stamp. Returns at most `top` ranges, best first. */
export function mergeRanges(moments: readonly ScoredMoment[], options: RangeOptions = {}): MomentRange[] {
  const { gapSeconds = 1.5, keepRatio = 0.5, top = 10 } = options;
  const gap = BigInt(Math.round(gapSeconds * 1e9));
  const order = moments.map((_, i) => i).sort((a, b) => (moments[b] as ScoredMoment).score - (moments[a] as ScoredMoment).score);
  const taken = new Uint8Array(moments.length);
  const out: MomentRange[] = [];
  for (const seed of order) {
    if (out.length >= top) break;
    if (taken[seed] === 1) continue;
    const s = moments[seed] as ScoredMoment;
    const floor = s.score * keepRatio;
    let lo = seed;
    let hi = seed;
    taken[seed] = 1;
    const joins = (i: number, j: number) => {
      const a = moments[i] as ScoredMoment;
      const b = moments[j] as ScoredMoment;
      const d = a.stamp > b.stamp ? a.stamp - b.stamp : b.stamp - a.stamp;
      return taken[j] === 0 && d <= gap && b.score >= floor;
    };
    while (lo > 0 && joins(lo, lo - 1)) taken[--lo] = 1;
    while (hi < moments.length - 1 && joins(hi, hi + 1)) taken[++hi] = 1;
    let clip: string | null = null;
    for (let i = lo; i <= hi && clip === null; i++) clip = (moments[i] as ScoredMoment).clip;
    out.push({
      start: (moments[lo] as ScoredMoment).stamp,
      end: (moments[hi] as ScoredMoment).stamp,
      peak: s.stamp,
      score: s.score,
      modalityScores: s.modalityScores,
      present: s.present,
      clip,
      moments: hi - lo + 1,
    });
  }
  return out;
}
