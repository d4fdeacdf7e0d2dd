/**
 * IMU: readings at any rate -> float32 [6, samples] over `windowSeconds`, linearly resampled, reordered and
 * scaled by the manifest (ImageBind's order, units and scaling are unknown, so they are parameters).
 */
import { resampleLinear } from '../core/resample-linear.js';
import type { ImuWindow } from '../core/types.js';
import { IMU_CHANNELS, type ImuPreprocess } from './params.js';
import { scratchF64 } from './scratch.js';
import { float32Tensor, outputBuffer, type Tensor } from './tensor.js';

/**
 * Linear resampling of readings (times in seconds, ascending; one array per channel) onto `count` steps at
 * start + k * seconds / count; values before the first / after the last reading hold the edge value (the
 * semantics of src/core/resample-linear.ts, which the window stage uses). Returns channel-major
 * [channels][count]. The grid is located once (binary search for the first step, then one sweep) and shared
 * by all channels, so a window inside a long recording costs O(count), not O(readings).
 */
export function resampleImu(t: Float64Array, values: readonly Float32Array[], start: number, seconds: number, count: number): Float32Array {
  return resampleInto(t, values, start, seconds, count, undefined, new Float32Array(values.length * count));
}

/** resampleImu writing `values[c] * scale[c]` into `out` (channel-major): reordering costs nothing extra. */
function resampleInto(t: Float64Array, values: readonly Float32Array[], start: number, seconds: number, count: number, scale: readonly number[] | undefined, out: Float32Array): Float32Array {
  const n = t.length;
  if (n === 0) return out;
  const step = seconds / count;
  // Grid positions: both ends as float64 indices (exact for any realistic reading count) and the fraction.
  const i0 = scratchF64('imu.i0', count);
  const i1 = scratchF64('imu.i1', count);
  const frac = scratchF64('imu.frac', count);
  // Last reading at or before the first grid time.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (t[mid]! <= start) lo = mid;
    else hi = mid - 1;
  }
  let j = lo;
  for (let k = 0; k < count; k++) {
    const x = start + k * step;
    while (j + 1 < n && t[j + 1]! <= x) j++;
    const t0 = t[j]!;
    if (x <= t0 || j + 1 >= n) {
      i0[k] = i1[k] = x <= t0 ? j : n - 1;
      frac[k] = 0;
    } else {
      const t1 = t[j + 1]!;
      i0[k] = j;
      i1[k] = j + 1;
      frac[k] = t1 > t0 ? (x - t0) / (t1 - t0) : 0;
    }
  }
  for (let c = 0; c < values.length; c++) {
    const ch = values[c]!;
    const o = c * count;
    const sc = scale === undefined ? 1 : scale[c]!;
    for (let k = 0; k < count; k++) {
      const v0 = ch[i0[k]!]!;
      const f = frac[k]!;
      // Rounded to float32 first, then scaled: the same values as resampling, then reordering and scaling.
      const v = Math.fround(f === 0 ? v0 : v0 + (ch[i1[k]!]! - v0) * f);
      out[o + k] = sc === 1 ? v : v * sc;
    }
  }
  return out;
}

/** Canonical channel-major [6][count] (ax ay az gx gy gz) -> the model's order and scale, [6, samples]. */
export function imuTensorFromCanonical(channels: Float32Array, count: number, p: ImuPreprocess, into?: Float32Array): Tensor {
  if (channels.length !== 6 * count) throw new RangeError(`IMU window has ${channels.length} values, expected 6 x ${count}`);
  let src = channels;
  let n = count;
  if (count !== p.samples) {
    // A window built for another model: resample its even grid onto ours (both span the same seconds).
    const t = Float64Array.from({ length: count }, (_, k) => k / count);
    const per = Array.from({ length: 6 }, (_, c) => channels.subarray(c * count, (c + 1) * count));
    src = resampleLinear(t, per, 0, 1 / p.samples, p.samples);
    n = p.samples;
  }
  const out = outputBuffer(6 * n, into);
  p.channelOrder.forEach((name, i) => {
    const from = IMU_CHANNELS.indexOf(name);
    const scale = p.scale[i]!;
    const s = src.subarray(from * n, (from + 1) * n);
    const o = i * n;
    for (let k = 0; k < n; k++) out[o + k] = s[k]! * scale;
  });
  return float32Tensor([6, n], out);
}

/**
 * Readings (canonical channels ax..gz) -> the model's tensor in one pass: resampled straight into the
 * manifest's channel order and scale. Identical to resampleImu followed by imuTensorFromCanonical.
 */
export function imuTensorFromReadings(t: Float64Array, channels: readonly Float32Array[], start: number, p: ImuPreprocess, into?: Float32Array): Tensor {
  if (channels.length !== 6) throw new RangeError(`IMU readings have ${channels.length} channels, expected 6 (ax ay az gx gy gz)`);
  const ordered = p.channelOrder.map((name) => channels[IMU_CHANNELS.indexOf(name)]!);
  const out = outputBuffer(6 * p.samples, into);
  resampleInto(t, ordered, start, p.windowSeconds, p.samples, p.scale, out);
  return float32Tensor([6, p.samples], out);
}

export function imuWindowTensor(window: ImuWindow, p: ImuPreprocess, into?: Float32Array): Tensor {
  return imuTensorFromCanonical(window.channels, window.count, p, into);
}
