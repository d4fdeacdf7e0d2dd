/**
 * Band-limited resampling exactly as torchaudio.functional.resample (0.13, "sinc_interpolation"): a
 * Hann-windowed sinc (cos^2 window), `lowpassFilterWidth` zero crossings, cutoff `rolloff` x the lower
 * Nyquist rate, polyphase with one filter per output phase after reducing the rates by their gcd, zero
 * padding at both ends, output length ceil(new * n / orig).
 *
 * torchaudio convolves with the full padded kernel (2 * width + orig taps); most of those taps are zero
 * (the window clamps them), so each phase keeps only its non-zero span: same sums, far fewer operations.
 */

import { resampleSincWasm } from './resample-wasm.js';
import { wasmKernels, type Engine } from './wasm/kernels.js';

export interface SincOptions {
  lowpassFilterWidth: number;
  rolloff: number;
}

export interface Kernel {
  orig: number;
  next: number;
  width: number;
  /** Per output phase: first tap index, the taps. */
  phases: { first: number; taps: Float64Array }[];
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

const kernels = new Map<string, Kernel>();

function kernelFor(origRate: number, newRate: number, opts: SincOptions): Kernel {
  const key = `${origRate}:${newRate}:${opts.lowpassFilterWidth}:${opts.rolloff}`;
  const cached = kernels.get(key);
  if (cached) return cached;
  const g = gcd(origRate, newRate);
  const orig = origRate / g;
  const next = newRate / g;
  const lw = opts.lowpassFilterWidth;
  const baseFreq = Math.min(orig, next) * opts.rolloff;
  const width = Math.ceil((lw * orig) / baseFreq);
  const scale = baseFreq / orig;
  const taps = 2 * width + orig;
  const phases: Kernel['phases'] = [];
  for (let j = 0; j < next; j++) {
    const full = new Float64Array(taps);
    let first = -1;
    let last = -1;
    for (let k = 0; k < taps; k++) {
      let t = (-j / next + (k - width) / orig) * baseFreq;
      if (t < -lw) t = -lw;
      if (t > lw) t = lw;
      const window = Math.cos((t * Math.PI) / lw / 2) ** 2;
      const tp = t * Math.PI;
      // torchaudio computes the kernel in float32; round the same way so sums start from the same taps.
      const v = Math.fround((tp === 0 ? 1 : Math.sin(tp) / tp) * window * scale);
      full[k] = v;
      if (Math.abs(v) > 1e-12) {
        if (first < 0) first = k;
        last = k;
      }
    }
    phases.push(first < 0 ? { first: 0, taps: new Float64Array(0) } : { first, taps: full.slice(first, last + 1) });
  }
  const kernel = { orig, next, width, phases };
  kernels.set(key, kernel);
  return kernel;
}

/** Output length of resampleSinc for `n` input samples (torchaudio's ceil(new * n / orig) on reduced rates). */
export function resampledLength(n: number, origRate: number, newRate: number): number {
  const g = gcd(origRate, newRate);
  return Math.ceil(((newRate / g) * n) / (origRate / g));
}

/**
 * Resamples one channel from `origRate` to `newRate` (integers, Hz). Returns the input when they are equal.
 * `into` (length resampledLength(...)) receives the output instead of a new array. The WebAssembly kernel
 * computes it where available (engine 'auto'), with the same sums in the same order.
 */
export function resampleSinc(x: Float32Array, origRate: number, newRate: number, opts: SincOptions, into?: Float32Array, engine: Engine = 'auto'): Float32Array {
  if (!Number.isInteger(origRate) || !Number.isInteger(newRate) || origRate <= 0 || newRate <= 0) {
    throw new RangeError(`resample rates must be positive integers, got ${origRate} -> ${newRate} Hz`);
  }
  if (origRate === newRate) return x;
  const kernel = kernelFor(origRate, newRate, opts);
  const { orig, next, width, phases } = kernel;
  const n = x.length;
  const outLen = Math.ceil((next * n) / orig);
  if (into !== undefined && into.length !== outLen) throw new RangeError(`resample output buffer has ${into.length} samples, expected ${outLen}`);
  const out = into ?? new Float32Array(outLen);
  const wk = engine === 'auto' ? wasmKernels() : null;
  if (wk !== null && resampleSincWasm(wk, kernel, x, out)) return out;
  for (let i = 0; i < outLen; i++) {
    const m = Math.floor(i / next);
    const { first, taps } = phases[i - m * next]!;
    // Tap k of this phase reads x[m * orig - width + first + k].
    const base = m * orig - width + first;
    const kLo = base < 0 ? -base : 0;
    const kHi = Math.min(taps.length, n - base);
    let s = 0;
    for (let k = kLo; k < kHi; k++) s += x[base + k]! * taps[k]!;
    out[i] = s;
  }
  return out;
}
