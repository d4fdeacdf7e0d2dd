/**
 * Maps device microseconds to agent-clock nanoseconds.
 *
 * Time-sync exchanges (NTP-style): the host stamps t1 when it sends a request, the device stamps t2 when
 * it receives it and t3 when it answers, the host stamps t4 on arrival. offset = mid(t1, t4) - mid(t2, t3),
 * trusted in proportion to how short the round trip (t4 - t1) - (t3 - t2) was. A device crystal runs tens
 * to hundreds of ppm off, so the offset is fitted as a line over device time (least squares over a
 * sliding window of exchanges, weighted towards short round trips): its slope is the drift.
 *
 * Before the first exchange (or with firmware that does not answer them) the mapping falls back to frame
 * arrivals: the smallest (arrival - device time) over recent frames is the offset plus the smallest
 * transport latency, which is within a millisecond or so on USB.
 *
 * Arithmetic is in doubles relative to the first observation (epoch nanoseconds do not fit a double);
 * results are bigint agent nanoseconds.
 */

export interface DeviceClockOptions {
  /** Time-sync exchanges kept for the fit. @default 32 */
  window?: number;
  /** Drift beyond this is clamped (a fit that wild is noise). @default 2000 */
  maxDriftPpm?: number;
  /** Minimum span of device time (s) before the slope is fitted; below it drift stays at its last value. @default 1 */
  minFitSpanSeconds?: number;
  /** Frames kept for the arrival-based fallback. @default 256 */
  arrivalWindow?: number;
}

interface SyncPoint {
  /** device time, ns since the base */
  x: number;
  /** agent - device, ns */
  offset: number;
  rtt: number;
}

export type ClockMode = 'none' | 'arrival' | 'sync';

export interface DeviceClockStats {
  mode: ClockMode;
  syncs: number;
  /** Shortest round trip among the kept exchanges, microseconds. */
  minRttUs: number;
  /** Device clock rate against the agent clock: +80 = the device clock runs 80 ppm fast. */
  driftPpm: number;
}

export class DeviceClock {
  readonly #window: number;
  readonly #maxDrift: number;
  readonly #minSpanNs: number;
  readonly #arrivalWindow: number;
  #agentBase: bigint | undefined;
  #deviceBaseUs = 0;
  #points: SyncPoint[] = [];
  #arrivals: number[] = [];
  #arrivalMin = Infinity;
  #syncs = 0;
  #minRtt = NaN;
  // fitted line: offset(x) = #a + #b * (x - #xRef)
  #a = 0;
  #b = 0;
  #xRef = 0;
  #mode: ClockMode = 'none';

  constructor(options: DeviceClockOptions = {}) {
    const { window = 32, maxDriftPpm = 2000, minFitSpanSeconds = 1, arrivalWindow = 256 } = options;
    this.#window = window;
    this.#maxDrift = maxDriftPpm * 1e-6;
    this.#minSpanNs = minFitSpanSeconds * 1e9;
    this.#arrivalWindow = arrivalWindow;
  }

  get mode(): ClockMode {
    return this.#mode;
  }

  /** Shortest round trip among the kept exchanges, ns (NaN before the first). */
  get minRttNs(): number {
    return this.#points.length > 0 ? this.#minRtt : NaN;
  }

  #base(deviceUs: number, agentNs: bigint): void {
    if (this.#agentBase === undefined) {
      this.#agentBase = agentNs;
      this.#deviceBaseUs = deviceUs;
    }
  }

  #x(deviceUs: number): number {
    return (deviceUs - this.#deviceBaseUs) * 1000;
  }

  #rel(agentNs: bigint): number {
    return Number(agentNs - (this.#agentBase ?? 0n));
  }

  /** A frame whose newest sample was taken at `deviceUs` arrived at `arrivalNs`. */
  observeArrival(deviceUs: number, arrivalNs: bigint): void {
    this.#base(deviceUs, arrivalNs);
    if (this.#mode === 'sync') return;
    const offset = this.#rel(arrivalNs) - this.#x(deviceUs);
    this.#arrivals.push(offset);
    if (this.#arrivals.length > this.#arrivalWindow) {
      const dropped = this.#arrivals.shift()!;
      if (dropped === this.#arrivalMin) this.#arrivalMin = Math.min(...this.#arrivals);
    }
    if (offset < this.#arrivalMin) this.#arrivalMin = offset;
    this.#a = this.#arrivalMin;
    this.#b = 0;
    this.#mode = 'arrival';
  }

  /** One time-sync exchange: t1/t4 agent ns (host send/receive), t2/t3 device us (device receive/send). */
  addSync(t1: bigint, t2Us: number, t3Us: number, t4: bigint): void {
    this.#base(t2Us, t1);
    const rtt = Number(t4 - t1) - (t3Us - t2Us) * 1000;
    if (rtt < 0 || t3Us < t2Us) return; // impossible: a corrupt or mismatched reply
    const hostMid = (this.#rel(t1) + this.#rel(t4)) / 2;
    const x = (this.#x(t2Us) + this.#x(t3Us)) / 2;
    this.#points.push({ x, offset: hostMid - x, rtt });
    if (this.#points.length > this.#window) this.#points.shift();
    this.#minRtt = Math.min(...this.#points.map((p) => p.rtt));
    this.#syncs++;
    this.#fit();
    this.#mode = 'sync';
  }

  #fit(): void {
    // Weighted least squares, weight 1/(rtt + 50 us)^2: a short round trip bounds the offset tightly, a
    // long one (queueing, a busy host) barely counts, yet every exchange still widens the span the
    // slope is fitted over.
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let minX = Infinity;
    let maxX = -Infinity;
    for (const p of this.#points) {
      const w = 1 / (p.rtt + 50_000) ** 2;
      sw += w;
      sx += w * p.x;
      sy += w * p.offset;
      minX = Math.min(minX, p.x);
      maxX = Math.max(maxX, p.x);
    }
    const mx = sx / sw;
    const my = sy / sw;
    let b = this.#b;
    if (this.#points.length >= 3 && maxX - minX >= this.#minSpanNs) {
      let sxy = 0;
      let sxx = 0;
      for (const p of this.#points) {
        const w = 1 / (p.rtt + 50_000) ** 2;
        sxy += w * (p.x - mx) * (p.offset - my);
        sxx += w * (p.x - mx) * (p.x - mx);
      }
      b = sxx > 0 ? sxy / sxx : 0;
      b = Math.max(-this.#maxDrift, Math.min(this.#maxDrift, b));
    }
    this.#b = b;
    this.#xRef = mx;
    this.#a = my;
  }

  /** Agent-clock ns of a device time; the arrival fallback or the fitted line. Requires one observation. */
  toAgentNs(deviceUs: number): bigint {
    const x = this.#x(deviceUs);
    const rel = x + this.#a + this.#b * (x - this.#xRef);
    return (this.#agentBase ?? 0n) + BigInt(Math.round(rel));
  }

  /** Forgets everything (device restarted, or a different device on the port). */
  reset(): void {
    this.#agentBase = undefined;
    this.#points = [];
    this.#arrivals = [];
    this.#arrivalMin = Infinity;
    this.#a = this.#b = this.#xRef = 0;
    this.#mode = 'none';
  }

  stats(): DeviceClockStats {
    const minRtt = this.#points.length > 0 ? this.#minRtt : NaN;
    // the fitted slope is d(offset)/d(device time): a device running fast gives a negative slope
    return { mode: this.#mode, syncs: this.#syncs, minRttUs: minRtt / 1000, driftPpm: this.#b === 0 ? 0 : -this.#b * 1e6 };
  }
}
