/**
 * The soak verdicts as pure functions over periodic samples: RSS growth after warm-up and the trend of
 * event-loop lag. Growth compares the mean of the first and last windows after warm-up (means, not single
 * points, so one GC cycle does not decide the verdict); the lag trend is a least-squares slope, reported
 * per hour, plus the same first/last window comparison.
 */

export interface SoakPoint {
  /** Wall seconds since the start. */
  t: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Event-loop lag p99 over the interval, seconds. */
  lagP99: number;
}

export interface TrendReport {
  points: number;
  warmupSeconds: number;
  rssStartMiB: number;
  rssEndMiB: number;
  /** (end - start) / start, in percent. */
  rssGrowthPercent: number;
  heapStartMiB: number;
  heapEndMiB: number;
  lagP99StartMs: number;
  lagP99EndMs: number;
  /** Least-squares slope of lag p99 after warm-up, ms per hour. */
  lagSlopeMsPerHour: number;
}

const MiB = 2 ** 20;

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * @param warmupFraction share of the run treated as warm-up (model load, JIT, buffers filling). @default 0.2
 * @param windowFraction share of the post-warm-up points averaged at each end. @default 0.2
 */
export function soakTrend(points: readonly SoakPoint[], warmupFraction = 0.2, windowFraction = 0.2): TrendReport {
  const total = points.at(-1)?.t ?? 0;
  const warmupSeconds = total * warmupFraction;
  const after = points.filter((p) => p.t >= warmupSeconds);
  const n = Math.max(1, Math.round(after.length * windowFraction));
  const head = after.slice(0, n);
  const tail = after.slice(-n);
  const rssStart = mean(head.map((p) => p.rssBytes));
  const rssEnd = mean(tail.map((p) => p.rssBytes));
  return {
    points: points.length,
    warmupSeconds,
    rssStartMiB: rssStart / MiB,
    rssEndMiB: rssEnd / MiB,
    rssGrowthPercent: ((rssEnd - rssStart) / rssStart) * 100,
    heapStartMiB: mean(head.map((p) => p.heapUsedBytes)) / MiB,
    heapEndMiB: mean(tail.map((p) => p.heapUsedBytes)) / MiB,
    lagP99StartMs: mean(head.map((p) => p.lagP99)) * 1000,
    lagP99EndMs: mean(tail.map((p) => p.lagP99)) * 1000,
    lagSlopeMsPerHour: slope(after.map((p) => p.t), after.map((p) => p.lagP99 * 1000)) * 3600,
  };
}
