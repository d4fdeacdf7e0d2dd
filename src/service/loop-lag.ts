/**
 * Event-loop lag over a sliding interval, from perf_hooks.monitorEventLoopDelay. `sample()` returns the
 * figures since the previous call and resets, so successive samples show a trend (what the soak bench and
 * the metrics scrape both need) instead of a lifetime average that hides a slow drift.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopLagSample {
  /** Seconds. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Delays measured in this interval (0 when nothing new was measured) and their sum, seconds. */
  intervalCount: number;
  intervalSum: number;
}

export class LoopLagMonitor {
  #histogram: IntervalHistogram;
  #last: LoopLagSample = { p50: 0, p90: 0, p99: 0, max: 0, mean: 0, intervalCount: 0, intervalSum: 0 };

  /** @param resolutionMs sampling resolution of the monitor. @default 10 */
  constructor(resolutionMs = 10) {
    this.#histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.#histogram.enable();
  }

  /** Figures since the previous sample() (or since start); the monitor restarts its interval. */
  sample(): LoopLagSample {
    const h = this.#histogram;
    if (h.count > 0) {
      this.#last = {
        p50: h.percentile(50) / 1e9,
        p90: h.percentile(90) / 1e9,
        p99: h.percentile(99) / 1e9,
        max: h.max / 1e9,
        mean: h.mean / 1e9,
        intervalCount: h.count,
        intervalSum: (h.mean * h.count) / 1e9,
      };
    } else {
      this.#last = { ...this.#last, intervalCount: 0, intervalSum: 0 };
    }
    h.reset();
    return this.#last;
  }

  stop(): void {
    this.#histogram.disable();
  }
}
