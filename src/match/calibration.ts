/**
 * Per-modality calibration: turns raw cosines into probabilities that mean the same thing in every modality
 * and over time. Text-to-sensor cosines bunch (emergent pairs such as audio-text separate concepts far less
 * than vision-text) and drift, so one raw threshold fails (Frigate refuses text triggers for this reason):
 *   logit   = cosine * text logit scale                       (the model's own scale; optionally x modality's)
 *   z       = (logit - center * running mean of this concept) / running spread of the modality
 *   p(c)    = softmax over the modality's concepts + background concepts + a "none" option, on beta * z
 * The spread is the modality's standard deviation of logits across concepts, averaged over time: dividing by
 * it puts every modality on one scale, whatever its logit range. Centring on each concept's running mean
 * removes prompt bias; it is off by default because on the simulator (events ~half the time) baselines get
 * contaminated (docs/concepts.md). Means freeze for concepts whose event is running and move 10x slower
 * for concepts standing out, so an event never becomes the norm.
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
  #exVariance = 0;
  #exSeen = 0;
  #exMean: Float64Array;
  #seen = 0;
  #lastStampS: number | undefined;

  constructor(modality: SensorModality, rows: number, options: CalibrationOptions = {}) {
    this.modality = modality;
    this.#o = { ...CALIBRATION_DEFAULTS, ...options };
    this.#mean = new Float64Array(rows);
    this.#count = new Float64Array(rows);
    this.#exMean = new Float64Array(rows).fill(NaN);
  }

  get warm(): boolean {
    return this.#seen >= this.#o.warmupSnapshots;
  }

  /**
   * A snapshot in which the modality was live but gated (no signal): it counts towards the warm-up, so a
   * sound after a minute of silence is evidence at once, but moves no statistics (there was nothing to
   * measure).
   */
  countGated(): void {
    if (this.#seen < this.#o.warmupSnapshots) this.#seen++;
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
  calibrate(cos: Float32Array, scale: number, stampS: number, frozen: Uint8Array, out: Float32Array, exemplar?: Float32Array): number {
    const o = this.#o;
    const n = cos.length;
    const dt = this.#lastStampS === undefined ? 0 : Math.max(0, stampS - this.#lastStampS);
    this.#lastStampS = stampS;
    const decay = Math.pow(0.5, dt / o.halfLifeSeconds);
    const floor = o.minSpread * scale;
    // The modality's spread: the standard deviation of its logits across concepts, averaged over time. It
    // measures how sharply this modality separates concepts (emergent pairs such as audio-text bunch far
    // more than vision-text), does not depend on how often events happen, and dividing by it puts every
    // modality on one scale.
    let m = 0;
    for (let r = 0; r < n; r++) m += (cos[r] as number) * scale;
    m /= Math.max(1, n);
    let v = 0;
    for (let r = 0; r < n; r++) v += ((cos[r] as number) * scale - m) ** 2;
    const across = v / Math.max(1, n);
    this.#variance = this.#seen === 0 ? across : this.#variance + Math.max(1 / (this.#seen + 1), 1 - decay) * (across - this.#variance);
    const spread = Math.max(Math.sqrt(this.#variance), floor);
    // Exemplar evidence: each row's best-exemplar similarity against its own running baseline, over a
    // running spread of those deviations (sensor-to-sensor cosines sit near 1 for every taught concept, so
    // they need their own scale). Joined to the text evidence as a weighted sum of standardised logits;
    // rows without exemplars contribute 0 (neutral), so teaching one concept works on its own.
    const w = exemplar === undefined ? 0 : o.exemplarWeight;
    const exSpread = Math.max(Math.sqrt(this.#exVariance), 0.05);
    let maxZ = o.noneLogit * o.beta;
    for (let r = 0; r < n; r++) {
      const logit = (cos[r] as number) * scale;
      if ((this.#count[r] as number) === 0) this.#mean[r] = logit;
      const centred = logit - o.center * (this.#mean[r] as number);
      let z = o.standardise ? centred / spread : centred;
      if (w > 0) {
        const e = exemplar?.[r] as number;
        if (!Number.isNaN(e) && Number.isNaN(this.#exMean[r] as number)) this.#exMean[r] = e;
        z = (1 - w) * z + w * (Number.isNaN(e) ? 0 : (e - (this.#exMean[r] as number)) / exSpread);
      }
      z *= o.beta;
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
    // Update the running means (EMA with a 1/count floor so early estimates are plain averages). A row
    // standing out (more than gateZ spreads above its mean) moves at a tenth of the rate: an event that is
    // building up must not become its own baseline before it is confirmed; a slow drift is still absorbed.
    const exSpreadNow = Math.max(Math.sqrt(this.#exVariance), 0.05);
    let exSq = 0;
    let exN = 0;
    for (let r = 0; r < n; r++) {
      if (frozen[r] === 1) continue;
      const logit = (cos[r] as number) * scale;
      const prev = this.#mean[r] as number;
      const gated = (logit - prev) / spread > o.gateZ;
      const c = (this.#count[r] as number) * decay + (gated ? 0.1 : 1);
      this.#count[r] = c;
      this.#mean[r] = prev + ((gated ? 0.1 : 1) / c) * (logit - prev);
      const e = exemplar?.[r];
      if (e !== undefined && !Number.isNaN(e)) {
        const pe = this.#exMean[r] as number;
        const dev = e - pe;
        const exGated = dev / exSpreadNow > o.gateZ;
        this.#exMean[r] = pe + ((exGated ? 0.1 : 1) / c) * dev;
        exSq += dev * dev;
        exN++;
      }
    }
    if (exN > 0) {
      const a = Math.max(1 / (this.#exSeen + 1), 1 - decay);
      this.#exVariance = this.#exSeen === 0 ? exSq / exN : this.#exVariance + a * (exSq / exN - this.#exVariance);
      this.#exSeen++;
    }
    this.#seen++;
    return none;
  }
}
