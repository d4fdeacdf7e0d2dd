import { describe, expect, it } from 'vitest';
import { evaluate, eventIntervals, type Interval } from '../../src/eval/metrics.js';
import type { SenseEvent } from '../../src/core/types.js';
import { nsToIso } from '../../src/core/clock.js';

const S = 1_000_000_000n;
const iv = (label: string, a: number, b: number): Interval => ({ label, start: BigInt(a) * S, end: BigInt(b) * S });

describe('event-level metrics', () => {
  it('counts matches, misses, false positives and duplicates per concept, with a collar', () => {
    const truth = [iv('glass', 10, 13), iv('glass', 30, 33), iv('dog', 50, 55)];
    const predicted = [
      iv('glass', 11, 12), // match, latency +1
      iv('glass', 12, 13), // duplicate of the same truth -> false positive
      iv('glass', 34, 35), // within the 1 s collar of 30-33 -> match, latency +4
      iv('dog', 20, 22), // false positive
      iv('alarm', 70, 71), // false positive of a concept with no truth
    ];
    const r = evaluate(predicted, truth, { durationSeconds: 120, collarSeconds: 1 });
    expect(r.concepts.glass).toMatchObject({ truths: 2, predictions: 3, tp: 2, fp: 1, fn: 0, duplicates: 1, precision: 0.667, recall: 1, f1: 0.8, meanOnsetLatency: 2.5 });
    expect(r.concepts.dog).toMatchObject({ tp: 0, fp: 1, fn: 1, f1: 0 });
    expect(r.concepts.alarm).toMatchObject({ tp: 0, fp: 1, fn: 0, precision: 0, recall: 1, f1: 0 });
    expect(r.macro.f1).toBeCloseTo((0.8 + 0 + 0) / 3, 3);
    expect(r.falsePositivesPerMinute).toBe(1.5); // 3 FP in 2 minutes
    expect(r.onsetLatency).toMatchObject({ mean: 2.5 });
    // no collar: the late detection no longer matches
    expect(evaluate(predicted, truth, { durationSeconds: 120, collarSeconds: 0 }).concepts.glass!.tp).toBe(1);
  });

  it('restricting to a concept list scores only those concepts', () => {
    const r = evaluate([iv('a', 0, 1), iv('b', 5, 6)], [iv('a', 0, 1)], { durationSeconds: 60, concepts: ['a'] });
    expect(Object.keys(r.concepts)).toEqual(['a']);
    expect(r.macro.f1).toBe(1);
  });

  it('folds start/update/end messages into intervals by event id', () => {
    const ev = (id: string, type: SenseEvent['type'], start: bigint, end: bigint | null): SenseEvent => ({
      v: 1, id, type, robot: 'r', concept: { id: 'glass', label: 'glass' }, score: 0.9, peakScore: 0.9, modalityScores: {}, present: [], missing: [],
      start: start.toString(), end: end === null ? null : end.toString(),
      startTime: nsToIso(start), endTime: end === null ? null : nsToIso(end), emittedAt: '', seq: 0,
    });
    const out = eventIntervals([ev('e1', 'start', 5n, null), ev('e2', 'start', 9n, null), ev('e1', 'update', 5n, null), ev('e1', 'end', 5n, 8n)], 20n);
    expect(out).toEqual([{ label: 'glass', start: 5n, end: 8n }, { label: 'glass', start: 9n, end: 20n }]);
  });
});
