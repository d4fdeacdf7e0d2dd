/**
 * The agent clock and sensor-clock mapping.
 *
 * The agent clock is bigint nanoseconds since the Unix epoch, advanced by the monotonic clock, so stamps
 * compare with ROS header stamps yet never jump when NTP steps the wall clock. During bag replay the bag's
 * own time is the agent clock (ManualClock).
 *
 * Sensors with their own clocks (a microcontroller counting microseconds) are mapped with
 * SensorClockMapper: a least-squares line (offset + drift) through recent (sensor, agent) pairs, then
 * shifted down to the lower envelope of the residuals. Transport latency only ever delays arrival, so the
 * earliest-arriving pairs are the truest; the lower envelope removes the latency jitter instead of
 * averaging it in.
 */
import type { StampNs } from './types.js';

export interface Clock {
  now(): StampNs;
}

export class MonotonicClock implements Clock {
  readonly #epochAtStart: bigint;
  readonly #hrAtStart: bigint;

  constructor(epochNs: bigint = BigInt(Date.now()) * 1_000_000n, hrNs: bigint = process.hrtime.bigint()) {
    this.#epochAtStart = epochNs;
    this.#hrAtStart = hrNs;
  }

  now(): StampNs {
    return this.#epochAtStart + (process.hrtime.bigint() - this.#hrAtStart);
  }
}

/** A clock that only moves when told to (bag replay, tests). Never goes backwards. */
export class ManualClock implements Clock {
  #now: bigint;
  constructor(start: StampNs = 0n) {
    this.#now = start;
  }
  now(): StampNs {
    return this.#now;
  }
  /** Moves to `t` if it is later than now; returns the current time. */
  advanceTo(t: StampNs): StampNs {
    if (t > this.#now) this.#now = t;
    return this.#now;
  }
}

export const NS_PER_S = 1_000_000_000n;

export function secondsToNs(seconds: number): bigint {
  return BigInt(Math.round(seconds * 1e9));
}

export function nsToSeconds(ns: bigint): number {
  return Number(ns) / 1e9;
}

/**
 * A stamp (ns since the Unix epoch) as ISO 8601 UTC with all nine fraction digits, so that people can read
 * an event's time and still match it to the exact decimal stamp beside it.
 */
export function nsToIso(ns: bigint): string {
  const s = ns >= 0n ? ns / NS_PER_S : (ns - NS_PER_S + 1n) / NS_PER_S; // floor, also before 1970
  const frac = ns - s * NS_PER_S;
  return `${new Date(Number(s) * 1000).toISOString().slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

export interface SensorClockMapperOptions {
  /** Pairs kept for the fit. @default 64 */
  window?: number;
  /** Below this many pairs, drift is assumed 0 and only the offset is estimated. @default 8 */
  minPairsForDrift?: number;
}

/**
 * Maps a sensor's clock (ns, arbitrary epoch) onto the agent clock.
 * Feed it (sensorNs, agentNs) pairs: arrival times, or time-sync midpoints (which have no latency bias).
 */
export class SensorClockMapper {
  readonly #window: number;
  readonly #minPairsForDrift: number;
  // Stored relative to the first pair to keep float64 arithmetic exact enough (ns over days > 2^53).
  #origin: { sensor: bigint; agent: bigint } | undefined;
  #xs: number[] = [];
  #ys: number[] = [];
  #slope = 0;
  #intercept = 0;

  constructor(options: SensorClockMapperOptions = {}) {
    const { window = 64, minPairsForDrift = 8 } = options;
    this.#window = window;
    this.#minPairsForDrift = minPairsForDrift;
  }

  get pairs(): number {
    return this.#xs.length;
  }

  /** Estimated drift of the sensor clock relative to the agent clock, in parts per million. */
  get driftPpm(): number {
    return this.#slope * 1e6;
  }

  observe(sensorNs: bigint, agentNs: bigint): void {
    if (!this.#origin) this.#origin = { sensor: sensorNs, agent: agentNs };
    const x = Number(sensorNs - this.#origin.sensor);
    // y = offset (agent - sensor) relative to the first pair's offset.
    const y = Number(agentNs - this.#origin.agent) - x;
    this.#xs.push(x);
    this.#ys.push(y);
    if (this.#xs.length > this.#window) {
      this.#xs.shift();
      this.#ys.shift();
    }
    this.#fit();
  }

  /** Resets the estimate (sensor rebooted: its clock restarted). */
  reset(): void {
    this.#origin = undefined;
    this.#xs = [];
    this.#ys = [];
    this.#slope = 0;
    this.#intercept = 0;
  }

  toAgent(sensorNs: bigint): bigint {
    if (!this.#origin) throw new Error('SensorClockMapper.toAgent called before any observe()');
    const x = Number(sensorNs - this.#origin.sensor);
    const offset = this.#intercept + this.#slope * x;
    return this.#origin.agent + BigInt(Math.round(x + offset));
  }

  #fit(): void {
    const n = this.#xs.length;
    let slope = 0;
    if (n >= this.#minPairsForDrift) {
      let mx = 0;
      let my = 0;
      for (let i = 0; i < n; i++) {
        mx += this.#xs[i]!;
        my += this.#ys[i]!;
      }
      mx /= n;
      my /= n;
      let sxy = 0;
      let sxx = 0;
      for (let i = 0; i < n; i++) {
        const dx = this.#xs[i]! - mx;
        sxy += dx * (this.#ys[i]! - my);
        sxx += dx * dx;
      }
      slope = sxx > 0 ? sxy / sxx : 0;
    }
    // Lower envelope: the intercept that puts the line under every pair.
    let intercept = Infinity;
    for (let i = 0; i < n; i++) intercept = Math.min(intercept, this.#ys[i]! - slope * this.#xs[i]!);
    this.#slope = slope;
    this.#intercept = intercept;
  }
}
