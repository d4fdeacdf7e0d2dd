/**
 * Reconnect delays: capped exponential backoff with jitter, as a pure function (the random source is a
 * parameter) so the exact values are testable. Jitter spreads reconnects of several ports (and several
 * robots after a shared power blip) instead of having them retry in lockstep.
 */

export interface BackoffOptions {
  /** Delay before the first retry, ms. @default 250 */
  initialMs?: number;
  /** Upper bound of the delay, ms (before jitter). @default 5000 */
  maxMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay randomised: delay * (1 - jitter/2 + jitter * random()). @default 0.2 */
  jitter?: number;
}

/** Delay before retry number `attempt` (0 = first retry). `random` returns a number in [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs = 250, maxMs = 5000, factor = 2, jitter = 0.2 } = options;
  const exponent = Math.max(0, Math.min(attempt, 64)); // 2^64 is already far beyond any cap
  const base = Math.min(maxMs, initialMs * factor ** exponent);
  return Math.round(base * (1 - jitter / 2 + jitter * random()));
}
