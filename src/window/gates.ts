/**
 * Evidence gates: measurements that tell whether a modality's window carries any signal at all.
 *
 * A softmax over a concept set always picks something, so a modality with nothing to say (digital silence,
 * a hiss, a black or frozen camera, a board lying still) would otherwise vote for whichever concept sits
 * nearest to "nothing" in the model's space. These functions measure the window; `EvidenceGates`
 * (evidence-gates.ts) turns the measurements into "absent" decisions. All pure: no state, no I/O.
 */
import type { AudioWindow, DepthSample, ImuWindow, ThermalSample, VisionSample } from '../core/types.js';
import { realSpectrum } from '../core/fft.js';

export interface AudioActivity {
  /** RMS level of the real (not zero-padded) samples, dB relative to full scale 1.0; -Infinity for digital silence. */
  dbfs: number;
  /** Spectral flatness (Wiener entropy) of the window's averaged power spectrum in FLATNESS_BAND_HZ: ~1 white noise, ~0 tones and speech. */
  flatness: number;
  /**
   * How far the loudest short frames stand above the typical one, dB (98th percentile minus median):
   * ~1 for white noise, 2-5 for steady real backgrounds (a tap, a fan, rain, an engine), 10+ for speech,
   * a bark or a bang even when it fills only a few frames of the window.
   */
  dynamicsDb: number;
}

/** The band spectral flatness is measured in, Hz. */
const FLATNESS_BAND_HZ = [100, 7000] as const;

/** Frame length for the activity measures: ~32 ms, a power of two for the FFT. */
function frameLength(rate: number): number {
  let n = 64;
  while (n * 2 <= rate * 0.032) n *= 2;
  return n;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i] as number;
}

/**
 * Level, flatness and level dynamics of the real part of an audio window. Frames that are all zeros (gaps
 * the buffer filled, front padding) are skipped: they say nothing about the sound.
 */
export function audioActivity(window: AudioWindow): AudioActivity {
  const all = window.samples;
  const real = all.subarray(Math.max(0, all.length - Math.round(all.length * Math.min(1, Math.max(0, window.coverage)))));
  let sumSq = 0;
  for (let i = 0; i < real.length; i++) sumSq += (real[i] as number) ** 2;
  const dbfs = real.length === 0 || sumSq === 0 ? -Infinity : 10 * Math.log10(sumSq / real.length);
  const n = frameLength(window.rate);
  const frames = Math.floor(real.length / n);
  const frame = new Float64Array(n);
  const spec = new Float64Array(n / 2 + 1);
  const mean = new Float64Array(n / 2 + 1);
  const levels: number[] = [];
  const hann = new Float64Array(n);
  for (let i = 0; i < n; i++) hann[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  for (let f = 0; f < frames; f++) {
    let e = 0;
    for (let i = 0; i < n; i++) {
      const v = real[f * n + i] as number;
      e += v * v;
      frame[i] = v * (hann[i] as number);
    }
    if (e === 0) continue;
    levels.push(10 * Math.log10(e / n));
    realSpectrum(frame, spec, true);
    for (let k = 0; k < mean.length; k++) mean[k] = (mean[k] as number) + (spec[k] as number);
  }
  if (levels.length === 0) return { dbfs, flatness: 0, dynamicsDb: 0 };
  // Flatness over 100 Hz - 7 kHz: the band every microphone rate carries. Above it a 44.1 kHz recording is
  // often empty (anti-alias filters, codecs), which would make any noise look tonal; below it, DC and hum.
  const lo = Math.max(1, Math.ceil((FLATNESS_BAND_HZ[0] * n) / window.rate));
  const hi = Math.min(mean.length - 2, Math.floor((Math.min(FLATNESS_BAND_HZ[1], 0.45 * window.rate) * n) / window.rate));
  let logSum = 0;
  let sum = 0;
  let bins = 0;
  for (let k = lo; k <= hi; k++) {
    const p = (mean[k] as number) / levels.length + 1e-30;
    logSum += Math.log(p);
    sum += p;
    bins++;
  }
  const flatness = bins === 0 ? 0 : Math.exp(logSum / bins) / (sum / bins);
  const sorted = Float64Array.from(levels).sort();
  return { dbfs, flatness, dynamicsDb: percentile(sorted, 0.98) - percentile(sorted, 0.5) };
}

/** Sampling stride for frame comparisons: about 64 x 48 points whatever the resolution. */
function strideOf(width: number, height: number): { sx: number; sy: number } {
  return { sx: Math.max(1, Math.floor(width / 64)), sy: Math.max(1, Math.floor(height / 48)) };
}

/**
 * A small fingerprint of a frame for change detection: raw values on a sparse grid (no averaging, so
 * sensor noise survives and a live camera never looks frozen). Vision: luma; depth and thermal: their values.
 */
export function frameFingerprint(sample: VisionSample | DepthSample | ThermalSample): Float32Array {
  const { width, height } = sample;
  const { sx, sy } = strideOf(width, height);
  const out = new Float32Array(Math.ceil(width / sx) * Math.ceil(height / sy));
  let k = 0;
  for (let y = 0; y < height; y += sy) {
    for (let x = 0; x < width; x += sx) {
      const i = y * width + x;
      if (sample.modality === 'vision') {
        const rgb = sample.rgb;
        out[k++] = 0.299 * (rgb[3 * i] as number) + 0.587 * (rgb[3 * i + 1] as number) + 0.114 * (rgb[3 * i + 2] as number);
      } else {
        out[k++] = (sample.modality === 'depth' ? sample.metres : sample.values)[i] as number;
      }
    }
  }
  return out.subarray(0, k);
}

/** Fraction of fingerprint points whose value changed at all (two NaNs count as unchanged). */
export function changedFraction(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length || a.length === 0) return 1;
  let changed = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) changed++;
  }
  return changed / a.length;
}

/** Mean luma of a vision fingerprint, 0-255. */
export function meanLuma(fingerprint: Float32Array): number {
  let s = 0;
  for (let i = 0; i < fingerprint.length; i++) s += fingerprint[i] as number;
  return fingerprint.length === 0 ? 0 : s / fingerprint.length;
}

/** Fraction of depth fingerprint points with a finite positive range (REP-117: NaN and +-Inf are no return). */
export function validDepthFraction(fingerprint: Float32Array): number {
  let valid = 0;
  for (let i = 0; i < fingerprint.length; i++) {
    const v = fingerprint[i] as number;
    if (Number.isFinite(v) && v > 0) valid++;
  }
  return fingerprint.length === 0 ? 0 : valid / fingerprint.length;
}

export interface ImuMotion {
  /** Largest per-axis standard deviation of specific force over the window, m/s^2. */
  accStd: number;
  /** Largest per-axis RMS angular rate over the window, rad/s (bias included: turning in place is motion). */
  gyroRms: number;
}

/** How much the body moved during an IMU window (canonical channel-major ax, ay, az, gx, gy, gz). */
export function imuMotion(window: ImuWindow): ImuMotion {
  const n = window.count;
  let accStd = 0;
  let gyroRms = 0;
  for (let c = 0; c < 6; c++) {
    const ch = window.channels.subarray(c * n, (c + 1) * n);
    let s = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = ch[i] as number;
      s += v;
      sq += v * v;
    }
    if (c < 3) accStd = Math.max(accStd, Math.sqrt(Math.max(0, sq / n - (s / n) ** 2)));
    else gyroRms = Math.max(gyroRms, Math.sqrt(sq / n));
  }
  return { accStd, gyroRms };
}

/** Mean specific force over an IMU window (the gravity direction when at rest), m/s^2. */
export function meanAcceleration(window: ImuWindow): [number, number, number] {
  const n = window.count;
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += window.channels[c * n + i] as number;
    out[c] = s / n;
  }
  return out;
}
