/**
 * Event-level scoring of emitted events against ground truth. An emitted event (start..end, grouped by id)
 * matches a truth interval of the same concept when they overlap, widened by a collar on each side; each
 * truth matches at most one event and each event at most one truth (earliest first). Unmatched events are
 * false positives (a truth detected twice counts the second as a false positive, listed as a duplicate),
 * unmatched truths are misses. Onset latency = event start - truth start (the start message is emitted at
 * the event's start stamp, so this is the delay a consumer sees).
 */
import type { SenseEvent } from '../core/types.js';

export interface Interval {
  label: string;
  start: bigint;
  end: bigint;
}

export interface ConceptMetrics {
  truths: number;
  predictions: number;
  tp: number;
  fp: number;
  fn: number;
  duplicates: number;
  precision: number;
  recall: number;
  f1: number;
  /** Mean onset latency of matched events, seconds (null when none matched). */
  meanOnsetLatency: number | null;
}

export interface EvalReport {
  concepts: Record<string, ConceptMetrics>;
  macro: { precision: number; recall: number; f1: number; concepts: number };
  micro: { precision: number; recall: number; f1: number };
  onsetLatency: { mean: number | null; median: number | null; p90: number | null };
  falsePositivesPerMinute: number;
  durationSeconds: number;
  truths: number;
  predictions: number;
}

export interface EvalOptions {
  /** Seconds added to each side of a truth interval when matching. @default 1 */
  collarSeconds?: number;
  /** Recording length, for false positives per minute. */
  durationSeconds: number;
  /** Concepts to score (default: every label in truth or predictions). */
  concepts?: readonly string[];
}

/** Folds start/update/end messages into one interval per event id; unterminated events end at `fallbackEnd`. */
export function eventIntervals(events: readonly SenseEvent[], fallbackEnd?: bigint): Interval[] {
  const byId = new Map<string, Interval>();
  for (const e of events) {
    let iv = byId.get(e.id);
    if (iv === undefined) {
      const start = BigInt(e.start);
      iv = { label: e.concept.id, start, end: fallbackEnd ?? start };
      byId.set(e.id, iv);
    }
    if (e.end !== null) iv.end = BigInt(e.end);
  }
  return [...byId.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

const f1 = (p: number, r: number) => (p + r > 0 ? (2 * p * r) / (p + r) : 0);
const ratio = (a: number, b: number, empty: number) => (b > 0 ? a / b : empty);

export function evaluate(predicted: readonly Interval[], truth: readonly Interval[], options: EvalOptions): EvalReport {
  const collar = BigInt(Math.round((options.collarSeconds ?? 1) * 1e9));
  const labels = options.concepts ?? [...new Set([...truth.map((t) => t.label), ...predicted.map((p) => p.label)])].sort();
  const concepts: Record<string, ConceptMetrics> = {};
  const latencies: number[] = [];
  let tpAll = 0;
  let fpAll = 0;
  let fnAll = 0;
  for (const label of labels) {
    const T = truth.filter((t) => t.label === label);
    const P = predicted.filter((p) => p.label === label);
    const usedP = new Set<number>();
    const matchedT = new Set<number>();
    const lat: number[] = [];
    T.forEach((t, ti) => {
      const pi = P.findIndex((p, i) => !usedP.has(i) && p.start <= t.end + collar && p.end >= t.start - collar);
      if (pi < 0) return;
      usedP.add(pi);
      matchedT.add(ti);
      lat.push(Number((P[pi] as Interval).start - t.start) / 1e9);
    });
    let duplicates = 0;
    P.forEach((p, i) => {
      if (usedP.has(i)) return;
      if (T.some((t) => p.start <= t.end + collar && p.end >= t.start - collar)) duplicates++;
    });
    const tp = matchedT.size;
    const fp = P.length - usedP.size;
    const fn = T.length - tp;
    const precision = ratio(tp, tp + fp, 1);
    const recall = ratio(tp, tp + fn, 1);
    concepts[label] = {
      truths: T.length,
      predictions: P.length,
      tp,
      fp,
      fn,
      duplicates,
      precision: round(precision),
      recall: round(recall),
      f1: round(T.length === 0 && P.length === 0 ? 1 : f1(precision, recall)),
      meanOnsetLatency: lat.length > 0 ? round(lat.reduce((a, b) => a + b, 0) / lat.length) : null,
    };
    latencies.push(...lat);
    tpAll += tp;
    fpAll += fp;
    fnAll += fn;
  }
  const scored = labels.filter((l) => (concepts[l] as ConceptMetrics).truths > 0 || (concepts[l] as ConceptMetrics).predictions > 0);
  const mean = (xs: number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const macroP = mean(scored.map((l) => (concepts[l] as ConceptMetrics).precision));
  const macroR = mean(scored.map((l) => (concepts[l] as ConceptMetrics).recall));
  const macroF = mean(scored.map((l) => (concepts[l] as ConceptMetrics).f1));
  const microP = ratio(tpAll, tpAll + fpAll, 1);
  const microR = ratio(tpAll, tpAll + fnAll, 1);
  const sorted = [...latencies].sort((a, b) => a - b);
  const q = (f: number) => (sorted.length > 0 ? round(sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))] as number) : null);
  return {
    concepts,
    macro: { precision: round(macroP), recall: round(macroR), f1: round(macroF), concepts: scored.length },
    micro: { precision: round(microP), recall: round(microR), f1: round(f1(microP, microR)) },
    onsetLatency: { mean: latencies.length > 0 ? round(mean(latencies)) : null, median: q(0.5), p90: q(0.9) },
    falsePositivesPerMinute: round(options.durationSeconds > 0 ? fpAll / (options.durationSeconds / 60) : 0),
    durationSeconds: round(options.durationSeconds),
    truths: truth.length,
    predictions: predicted.length,
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
