/**
 * Kaldi filterbank features exactly as torchaudio.compliance.kaldi.fbank computes them (0.13), for the
 * settings a manifest can carry (audioPreprocessSchema): snip_edges framing, optional dither, per-frame DC
 * removal, pre-emphasis with the first sample replicated, the analysis window, zero padding to a power of
 * two, power (or magnitude) spectrum, triangular mel filters on the 1127 ln(1 + f/700) scale over the first
 * N/2 FFT bins (the Nyquist bin has weight 0, as in torchaudio), natural log floored at float32 epsilon.
 * Computed in float64 (torch: float32), so values agree to float32 rounding.
 */
import type { AudioPreprocess } from './params.js';
import { realSpectrum } from '../core/fft.js';
import { scratchF64 } from './scratch.js';

const FLOAT32_EPSILON = 1.1920928955078125e-7;

export interface FbankSettings {
  sampleRate: number;
  frameLengthMs: number;
  frameShiftMs: number;
  melBins: number;
  window: AudioPreprocess['window'];
  blackmanCoeff: number;
  dither: number;
  preemphasis: number;
  removeDcOffset: boolean;
  roundToPowerOfTwo: boolean;
  lowFreq: number;
  highFreq: number;
  usePower: boolean;
  useLogFbank: boolean;
}

export interface Fbank {
  frames: number;
  bins: number;
  /** Row-major [frames][bins]; a scratch buffer, valid until the next kaldiFbank call. */
  data: Float64Array;
}

const melScale = (f: number) => 1127 * Math.log(1 + f / 700);

function windowFunction(kind: FbankSettings['window'], n: number, blackman: number): Float64Array {
  const w = new Float64Array(n);
  const a = (2 * Math.PI) / (n - 1);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'hanning':
        w[i] = 0.5 - 0.5 * Math.cos(a * i);
        break;
      case 'povey':
        w[i] = (0.5 - 0.5 * Math.cos(a * i)) ** 0.85;
        break;
      case 'hamming':
        w[i] = 0.54 - 0.46 * Math.cos(a * i);
        break;
      case 'rectangular':
        w[i] = 1;
        break;
      case 'blackman':
        w[i] = blackman - 0.5 * Math.cos(a * i) + (0.5 - blackman) * Math.cos(2 * a * i);
        break;
    }
  }
  return w;
}

interface Plan {
  size: number;
  shift: number;
  padded: number;
  window: Float64Array;
  /**
   * Mel filters, flattened (one array, no per-bin objects in the frame loop): bin b weighs FFT bins
   * bankFirst[b] .. with weights[bankStart[b] .. bankStart[b + 1]).
   */
  bankFirst: Int32Array;
  bankStart: Int32Array;
  weights: Float64Array;
  frame: Float64Array;
  spectrum: Float64Array;
}

const plans = new Map<string, Plan>();

function planFor(s: FbankSettings): Plan {
  // A template key, not JSON.stringify: kaldiFbank looks its plan up on every window.
  const key = `${s.sampleRate},${s.frameLengthMs},${s.frameShiftMs},${s.melBins},${s.window},${s.blackmanCoeff},${s.dither},${s.preemphasis},${s.removeDcOffset},${s.roundToPowerOfTwo},${s.lowFreq},${s.highFreq},${s.usePower},${s.useLogFbank}`;
  let p = plans.get(key);
  if (p) return p;
  const size = Math.trunc(s.sampleRate * s.frameLengthMs * 0.001);
  const shift = Math.trunc(s.sampleRate * s.frameShiftMs * 0.001);
  if (size < 2 || shift < 1) throw new RangeError(`fbank frame of ${size} samples / shift ${shift} at ${s.sampleRate} Hz is too short`);
  const padded = s.roundToPowerOfTwo ? 2 ** Math.ceil(Math.log2(size)) : size;
  if ((padded & (padded - 1)) !== 0) throw new RangeError(`fbank: roundToPowerOfTwo false needs a power-of-two frame, got ${size} samples`);
  const nyquist = 0.5 * s.sampleRate;
  const high = s.highFreq <= 0 ? s.highFreq + nyquist : s.highFreq;
  if (!(s.lowFreq >= 0 && s.lowFreq < nyquist && high > 0 && high <= nyquist && s.lowFreq < high)) {
    throw new RangeError(`fbank: bad frequency range lowFreq ${s.lowFreq} .. highFreq ${high} Hz for Nyquist ${nyquist} Hz`);
  }
  const binWidth = s.sampleRate / padded;
  const melLow = melScale(s.lowFreq);
  const melHigh = melScale(high);
  const delta = (melHigh - melLow) / (s.melBins + 1);
  const fftBins = padded / 2;
  const mels = new Float64Array(fftBins);
  for (let k = 0; k < fftBins; k++) mels[k] = melScale(binWidth * k);
  const banks: { first: number; weights: Float64Array }[] = [];
  for (let b = 0; b < s.melBins; b++) {
    const left = melLow + b * delta;
    const center = melLow + (b + 1) * delta;
    const right = melLow + (b + 2) * delta;
    const w = new Float64Array(fftBins);
    let first = -1;
    let last = -1;
    for (let k = 0; k < fftBins; k++) {
      const up = (mels[k]! - left) / (center - left);
      const down = (right - mels[k]!) / (right - center);
      const v = Math.max(0, Math.min(up, down));
      w[k] = v;
      if (v > 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    banks.push(first < 0 ? { first: 0, weights: new Float64Array(0) } : { first, weights: w.slice(first, last + 1) });
  }
  const bankFirst = new Int32Array(s.melBins);
  const bankStart = new Int32Array(s.melBins + 1);
  banks.forEach((bank, b) => {
    bankFirst[b] = bank.first;
    bankStart[b + 1] = bankStart[b]! + bank.weights.length;
  });
  const weights = new Float64Array(bankStart[s.melBins]!);
  banks.forEach((bank, b) => weights.set(bank.weights, bankStart[b]!));
  p = {
    size,
    shift,
    padded,
    window: windowFunction(s.window, size, s.blackmanCoeff),
    bankFirst,
    bankStart,
    weights,
    frame: new Float64Array(padded),
    spectrum: new Float64Array(padded / 2 + 1),
  };
  plans.set(key, p);
  return p;
}

/** Standard normal deviates for dither (Box-Muller); dither 0, the reference setting, never calls it. */
function gaussian(): number {
  const u = 1 - Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
}

function fbankFrameCount(samples: number, s: FbankSettings): number {
  const p = planFor(s);
  return samples < p.size ? 0 : 1 + Math.floor((samples - p.size) / p.shift);
}

export function kaldiFbank(wave: Float32Array, s: FbankSettings): Fbank {
  const p = planFor(s);
  const frames = fbankFrameCount(wave.length, s);
  const bins = s.melBins;
  const data = scratchF64('fbank.data', frames * bins);
  const { size, shift, window, bankFirst, bankStart, weights, frame, spectrum } = p;
  for (let f = 0; f < frames; f++) {
    const off = f * shift;
    const pre = s.preemphasis;
    if (s.dither === 0) {
      // One read pass for the mean, one fused pass for DC removal, pre-emphasis and the window: the same
      // double-precision expressions as the step-by-step version below, without the intermediate writes.
      let mean = 0;
      if (s.removeDcOffset) {
        for (let i = 0; i < size; i++) mean += wave[off + i]!;
        mean /= size;
      }
      let prev = wave[off]! - mean;
      frame[0] = (prev - pre * prev) * window[0]!;
      for (let i = 1; i < size; i++) {
        const v = wave[off + i]! - mean;
        frame[i] = (v - pre * prev) * window[i]!;
        prev = v;
      }
    } else {
      let mean = 0;
      for (let i = 0; i < size; i++) {
        const v = wave[off + i]! + s.dither * gaussian();
        frame[i] = v;
        mean += v;
      }
      if (s.removeDcOffset) {
        mean /= size;
        for (let i = 0; i < size; i++) frame[i]! -= mean;
      }
      if (pre !== 0) {
        for (let i = size - 1; i > 0; i--) frame[i] = frame[i]! - pre * frame[i - 1]!;
        frame[0] = frame[0]! - pre * frame[0]!;
      }
      for (let i = 0; i < size; i++) frame[i]! *= window[i]!;
    }
    // frame[size ..] stays zero: nothing writes past `size` (the plan's buffer starts zeroed).
    realSpectrum(frame, spectrum, s.usePower);
    const row = f * bins;
    for (let b = 0; b < bins; b++) {
      const end = bankStart[b + 1]!;
      let e = 0;
      for (let w = bankStart[b]!, k = bankFirst[b]!; w < end; w++, k++) e += spectrum[k]! * weights[w]!;
      data[row + b] = e;
    }
    if (s.useLogFbank) for (let i = row; i < row + bins; i++) data[i] = Math.log(Math.max(data[i]!, FLOAT32_EPSILON));
  }
  return { frames, bins, data };
}
