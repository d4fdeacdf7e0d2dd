/**
 * IMU: readings at any rate -> float32 [6, samples] over `windowSeconds`, linearly resampled, reordered and
 * scaled by the manifest (ImageBind's order, units and scaling are unknown, so they are parameters).
 */
import { resampleLinear } from '../core/resample-linear.js';
import type { ImuWindow } from '../core/types.js';
import { IMU_CHANNELS, type ImuPreprocess } from './params.js';
import { resampleLinearWasm } from './imu-wasm.js';
import { float32Tensor, outputBuffer, type Tensor } from './tensor.js';
import { wasmKernels, type Engine } from './wasm/kernels.js';

/**
 * Readings (times in seconds, ascending; one array per channel) -> `count` steps at start + k * seconds /
 * count, channel-major, edge values held: src/core/resample-linear.ts, shared with the window stage.
 */
export function resampleImu(t: Float64Array, values: readonly Float32Array[], start: number, seconds: number, count: number): Float32Array {
  return resampleLinear(t, values, start, seconds / count, count);
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
export function imuTensorFromReadings(
  t: Float64Array,
  channels: readonly Float32Array[],
  start: number,
  p: ImuPreprocess,
  into?: Float32Array,
  engine: Engine = 'auto',
): Tensor {
  if (channels.length !== 6) throw new RangeError(`IMU readings have ${channels.length} channels, expected 6 (ax ay az gx gy gz)`);
  const ordered = p.channelOrder.map((name) => channels[IMU_CHANNELS.indexOf(name)]!);
  const out = outputBuffer(6 * p.samples, into);
  const step = p.windowSeconds / p.samples;
  const wk = engine === 'auto' ? wasmKernels() : null;
  // The kernel where it runs (same values); resampleLinear otherwise.
  if (wk === null || !resampleLinearWasm(wk, t, ordered, start, step, p.samples, p.scale, out)) {
    resampleLinear(t, ordered, start, step, p.samples, { scale: p.scale, out });
  }
  return float32Tensor([6, p.samples], out);
}

export function imuWindowTensor(window: ImuWindow, p: ImuPreprocess, into?: Float32Array): Tensor {
  return imuTensorFromCanonical(window.channels, window.count, p, into);
}
