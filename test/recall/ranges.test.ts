// Adjacent moments -> ranges: peaks seed ranges, neighbours join while adjacent and strong enough.
import { describe, expect, it } from 'vitest';
import { mergeRanges, type ScoredMoment } from '../../src/recall/ranges.js';

const S = 1_000_000_000n;
function at(seconds: number, score: number, clip: string | null = null): ScoredMoment {
  return { stamp: BigInt(Math.round(seconds * 1e9)), score, modalityScores: { audio: score }, present: ['audio'], clip };
}

describe('mergeRanges', () => {
  it('merges a run of adjacent strong moments into one range scored by its peak', () => {
    const moments = [at(0, 0.05), at(0.5, 0.6, 'a.mcap@0.5'), at(1, 0.9), at(1.5, 0.7), at(2, 0.1), at(10, 0.8), at(10.5, 0.5)];
    const ranges = mergeRanges(moments, { top: 5 });
    expect(ranges.map((r) => [r.start, r.end, r.peak, r.score, r.moments, r.clip])).toEqual([
      [S / 2n, (3n * S) / 2n, S, 0.9, 3, 'a.mcap@0.5'],
      [10n * S, 10n * S + S / 2n, 10n * S, 0.8, 2, null],
      [2n * S, 2n * S, 2n * S, 0.1, 1, null],
      [0n, 0n, 0n, 0.05, 1, null],
    ]);
  });

  it('splits at gaps longer than gapSeconds and at neighbours below keepRatio of the peak', () => {
    const moments = [at(0, 0.9), at(2, 0.9), at(2.5, 0.2), at(3, 0.8)];
    expect(mergeRanges(moments, { gapSeconds: 1.5 }).map((r) => r.moments)).toEqual([1, 1, 1, 1]);
    expect(mergeRanges(moments, { gapSeconds: 2.5, keepRatio: 0.2 }).map((r) => r.moments)).toEqual([4]);
    expect(mergeRanges(moments, { top: 2 }).length).toBe(2);
    expect(mergeRanges([])).toEqual([]);
  });
});
