/**
 * Reconnect delays: capped exponential backoff with jitter, as a pure function (random source injected)
 * so exact values are testable. Jitter spreads a fleet's reconnects after a broker restart.
 */

export interface BackoffOptions {
  /** Delay before the first retry, ms. @default 500 */
  initialMs?: number;
  /** Cap, ms. @default 30000 */
  maxMs?: number;
  /** Growth per failed attempt. @default 2 */
  factor?: number;
  /** Relative jitter: the delay is scaled by a factor in [1 - jitter, 1 + jitter]. @default 0.2 */
  jitter?: number;
}

/** Delay before retry number `attempt` (0 = first retry), in ms, never above `maxMs`. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = 0.2 } = options;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt));
  const scaled = base * (1 - jitter + 2 * jitter * random());
  return Math.round(Math.min(maxMs, Math.max(0, scaled)));
}
