/**
 * The IMU window: recent readings in rings (time + six channels), resampled on demand onto the model's
 * evenly spaced steps. Readings that go back in time or repeat a stamp are dropped and counted: an IMU
 * window must be monotonic for interpolation to mean anything.
 */
import { Float32Ring, Float64Ring } from '../core/ring-buffer.js';
import { resampleLinear } from '../core/resample-linear.js';
import type { ImuSample, ImuWindow, StampNs } from '../core/types.js';

export interface ImuBufferOptions {
  windowSeconds: number;
  /** Steps the model wants over the window (ImageBind: 2000 over 5 s). */
  count: number;
  /** Highest IMU rate to hold a full window of. @default 4000 Hz */
  maxRateHz?: number;
  /** A window is absent until readings span at least this fraction of it. @default 0.5 */
  minCoverage?: number;
}

export interface ImuBufferStats {
  readings: number;
  outOfOrder: number;
  duplicates: number;
  nonFinite: number;
}

export class ImuBuffer {
  readonly #opts: Required<ImuBufferOptions>;
  readonly #t: Float64Ring;
  readonly #ch: Float32Ring[];
  /** Stamps are kept as seconds relative to this origin: float64 cannot hold epoch ns exactly. */
  #origin: StampNs | undefined;
  #last: StampNs | undefined;
  #stats: ImuBufferStats = { readings: 0, outOfOrder: 0, duplicates: 0, nonFinite: 0 };

  constructor(options: ImuBufferOptions) {
    this.#opts = {
      windowSeconds: options.windowSeconds,
      count: options.count,
      maxRateHz: options.maxRateHz ?? 4000,
      minCoverage: options.minCoverage ?? 0.5,
    };
    const capacity = Math.ceil((this.#opts.windowSeconds + 1) * this.#opts.maxRateHz);
    this.#t = new Float64Ring(capacity);
    this.#ch = Array.from({ length: 6 }, () => new Float32Ring(capacity));
  }

  get end(): StampNs | undefined {
    return this.#last;
  }

  push(reading: ImuSample): void {
    const values = [...reading.acc, ...reading.gyro];
    if (!values.every(Number.isFinite)) {
      this.#stats.nonFinite++;
      return;
    }
    if (this.#last !== undefined) {
      if (reading.stamp === this.#last) {
        this.#stats.duplicates++;
        return;
      }
      if (reading.stamp < this.#last) {
        this.#stats.outOfOrder++;
        return;
      }
    }
    if (this.#origin === undefined) this.#origin = reading.stamp;
    this.#t.push(Number(reading.stamp - this.#origin) / 1e9);
    const one = new Float32Array(1);
    for (let c = 0; c < 6; c++) {
      one[0] = values[c]!;
      this.#ch[c]!.push(one);
    }
    this.#last = reading.stamp;
    this.#stats.readings++;
  }

  window(): ImuWindow | undefined {
    if (this.#last === undefined || this.#origin === undefined || this.#t.length < 2) return undefined;
    const { windowSeconds, count, minCoverage } = this.#opts;
    const endS = Number(this.#last - this.#origin) / 1e9;
    const startS = endS - windowSeconds;
    // First reading inside the window, and the one before it (for interpolation at the left edge).
    let lo = this.#t.length - 1;
    while (lo > 0 && this.#t.at(lo - 1) > startS) lo--;
    const from = Math.max(0, lo - 1);
    const n = this.#t.length - from;
    const times = new Float64Array(n);
    const chans = this.#ch.map(() => new Float32Array(n));
    for (let i = 0; i < n; i++) {
      times[i] = this.#t.at(from + i);
      for (let c = 0; c < 6; c++) chans[c]![i] = this.#ch[c]!.at(from + i);
    }
    const covered = endS - Math.max(startS, times[0]!);
    const coverage = Math.min(1, covered / windowSeconds);
    if (coverage < minCoverage) return undefined;
    const step = windowSeconds / count;
    const channels = resampleLinear(times, chans, startS + step, step, count);
    const start = this.#last - BigInt(Math.round(windowSeconds * 1e9));
    return { kind: 'imu', count, channels, start, end: this.#last, readings: this.#t.length - lo, coverage };
  }

  stats(): ImuBufferStats {
    return { ...this.#stats };
  }
}
