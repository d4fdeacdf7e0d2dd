/**
 * Per-modality calibration: turns raw cosines into probabilities that mean the same thing in every modality
 * and over time. Text-to-sensor cosines bunch (every concept scores 0.2 +- 0.03) and drift (lighting, room
 * noise), so one raw threshold fails (Frigate refuses text triggers for this reason). Here:
 *   logit   = cosine * modality scale * text scale                  (the model's own logit scales)
 *   z       = (logit - center * running mean of this concept) / running spread of the modality
 *   p(c)    = softmax over the modality's concepts + background concepts + a "none" option, on beta * z
 * The running mean removes each prompt's bias (some prompts are close to everything); the spread puts all
 * modalities on one scale; background concepts and "none" give the softmax something to prefer when
 * nothing happens. Statistics skip concepts whose event is running, so an event never becomes the norm.
 */
import type { SensorModality } from '../core/types.js';
import type { CalibrationOptions } from './options.js';
import { CALIBRATION_DEFAULTS } from './options.js';

export class ModalityCalibration {
  readonly modality: SensorModality;
  readonly #o: Required<CalibrationOptions>;
  #mean: Float64Array;
  #count: Float64Array;
  #variance = 0;
  #devs = new Float64Array(0);
  #seen = 0;
  #lastStampS: number | undefined;

  constructor(modality: SensorModality, rows: number, options: CalibrationOptions = {}) {
    this.modality = modality;
    this.#o = { ...CALIBRATION_DEFAULTS, ...options };
    this.#mean = new Float64Array(rows);
    this.#count = new Float64Array(rows);
  }

  get warm(): boolean {
    return this.#seen >= this.#o.warmupSnapshots;
  }
  get spread(): number {
    return Math.sqrt(this.#variance);
  }
  meanOf(row: number): number {
    return this.#mean[row] as number;
  }

  /**
   * Calibrates one snapshot. `cos` are the rows' similarities, `scale` the logit scale for this modality,
   * `frozen[row]` = 1 for rows whose statistics must not move (their event is running).
   * Writes probabilities into `out` and returns the "none" probability.
   */
  calibrate(cos: Float32Array, scale: number, stampS: number, frozen: Uint8Array, out: Float32Array): number {
    const o = this.#o;
    const n = cos.length;
    const dt = this.#lastStampS === undefined ? 0 : Math.max(0, stampS - this.#lastStampS);
    this.#lastStampS = stampS;
    const decay = Math.pow(0.5, dt / o.halfLifeSeconds);
    const floor = o.minSpread * scale;
    // Standardise with the spread as it was before this snapshot (first snapshot: the spread across rows).
    let spread = Math.sqrt(this.#variance);
    if (this.#seen === 0) {
      let m = 0;
      for (let r = 0; r < n; r++) m += (cos[r] as number) * scale;
      m /= Math.max(1, n);
      let v = 0;
      for (let r = 0; r < n; r++) v += ((cos[r] as number) * scale - m) ** 2;
      spread = Math.sqrt(v / Math.max(1, n));
    }
    spread = Math.max(spread, floor);
    let maxZ = o.noneLogit * o.beta;
    for (let r = 0; r < n; r++) {
      const logit = (cos[r] as number) * scale;
      if ((this.#count[r] as number) === 0) this.#mean[r] = logit;
      const centred = logit - o.center * (this.#mean[r] as number);
      const z = (o.standardise ? centred / spread : centred) * o.beta;
      out[r] = z;
      if (z > maxZ) maxZ = z;
    }
    let sum = Math.exp(o.noneLogit * o.beta - maxZ);
    for (let r = 0; r < n; r++) {
      const e = Math.exp((out[r] as number) - maxZ);
      out[r] = e;
      sum += e;
    }
    for (let r = 0; r < n; r++) out[r] = (out[r] as number) / sum;
    const none = Math.exp(o.noneLogit * o.beta - maxZ) / sum;
    // \`out\` now holds probabilities; the gate below needs z again, recomputed from the same inputs.
    // Update running statistics (EMA with a 1/count floor so early estimates are plain averages). A row
    // standing out (z above gateZ) moves its mean at a tenth of the rate: an event that is building up
    // must not become its own baseline before it is confirmed, while a slow drift is still absorbed.
    const devs = this.#devs.length >= n ? this.#devs : (this.#devs = new Float64Array(n));
    let used = 0;
    for (let r = 0; r < n; r++) {
      if (frozen[r] === 1) continue;
      const logit = (cos[r] as number) * scale;
      const prev = this.#mean[r] as number;
      devs[used++] = Math.abs(logit - prev);
      const gated = (logit - prev) / spread > o.gateZ;
      const c = (this.#count[r] as number) * decay + (gated ? 0.1 : 1);
      this.#count[r] = c;
      const a = (gated ? 0.1 : 1) / c;
      this.#mean[r] = prev + a * (logit - prev);
    }
    if (used > 0) {
      const s = this.#seen + 1;
      const a = Math.max(1 / s, 1 - decay);
      // Robust spread: the median absolute deviation across rows (x 1.4826 = a standard deviation for
      // Gaussian noise), so the one concept that is happening does not inflate everyone's spread.
      // Above 1,024 concepts a fixed stride sample estimates the median (sorting 100,000 per snapshot costs more than the scan).
      const stride = Math.max(1, Math.floor(used / 1024));
      const sample: number[] = [];
      for (let i = 0; i < used; i += stride) sample.push(devs[i] as number);
      sample.sort((x, y) => x - y);
      const mad = (sample[Math.floor((sample.length - 1) / 2)] as number) * 1.4826;
      // The first snapshot has no deviation from a mean yet: seed the spread from the spread across rows.
      const v = this.#seen === 0 ? spread * spread : mad * mad;
      this.#variance = this.#seen === 0 ? v : this.#variance + a * (v - this.#variance);
    }
    this.#seen++;
    return none;
  }
}
