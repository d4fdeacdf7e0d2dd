/**
 * Reconnect delays for every transport (serial ports, MQTT brokers): capped exponential backoff with
 * jitter, as a pure function (the random source is a parameter) so the exact values are testable. Jitter
 * spreads the reconnects of several ports, or of a fleet after a broker restart or a shared power blip,
 * instead of having them retry in lockstep.
 */

export interface BackoffOptions {
  /** Delay before the first retry, ms. @default 500 */
  initialMs?: number;
  /** Cap, ms; jitter never takes a delay above it. @default 30000 */
  maxMs?: number;
  /** Growth per failed attempt. @default 2 */
  factor?: number;
  /** Relative jitter: the delay is scaled by a factor in [1 - jitter, 1 + jitter]. @default 0.2 */
  jitter?: number;
}

/** Delay before retry number `attempt` (0 = first retry), in ms. `random` returns a number in [0, 1]. */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialMs = 500, maxMs = 30_000, factor = 2, jitter = 0.2 } = options;
  const exponent = Math.max(0, Math.min(attempt, 64)); // 2^64 is already far beyond any cap
  const base = Math.min(maxMs, initialMs * factor ** exponent);
  const scaled = base * (1 - jitter + 2 * jitter * random());
  return Math.round(Math.min(maxMs, Math.max(0, scaled)));
}
