/**
 * The typed hooks through which pipeline stages report timings and counts to the service layer.
 * Stages depend on this interface only, never on prom-client: the metrics registry (metrics.ts) implements
 * it, tests and library users pass `NO_HOOKS`. Every method is cheap and must never throw.
 */
import type { SenseEvent, SensorModality } from '../core/types.js';

export interface StageHooks {
  /** A snapshot was formed; `ages` is the age (s) of each live modality's newest data at the snapshot stamp (present or gated: no signal is not stale). */
  snapshot(present: readonly SensorModality[], ages: Partial<Record<SensorModality, number>>): void;
  /** Preprocessing one modality of one snapshot took `seconds`. */
  preprocessed(modality: SensorModality, seconds: number): void;
  /** One ONNX run for `modality` on `provider` took `seconds`. */
  inferred(modality: SensorModality, provider: string, seconds: number): void;
  /** A modality was present but not embedded this snapshot (rate cap or degradation). */
  skipped(modality: SensorModality, reason: 'rate-cap' | 'degraded' | 'busy'): void;
  /** `count` items were dropped from queue `queue` (bounded queue full). */
  dropped(queue: string, count: number): void;
  /** An event left the agent (before sinks). */
  event(event: SenseEvent): void;
  /** A sink confirmed delivery of one event `seconds` after it was handed the event. */
  delivered(sink: string, seconds: number): void;
  /** The embed-rate governor changed `modality`'s effective cap (Hz; 0 = uncapped). */
  degraded(modality: SensorModality, rateHz: number, reason: string): void;
}

/** Hooks that record nothing. */
export const NO_HOOKS: StageHooks = {
  snapshot() {},
  preprocessed() {},
  inferred() {},
  skipped() {},
  dropped() {},
  event() {},
  delivered() {},
  degraded() {},
};
