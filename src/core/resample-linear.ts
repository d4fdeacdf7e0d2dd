/**
 * Linear resampling of irregularly timed readings onto an even grid. Used for IMU windows (the window
 * stage and IMU files in preprocessing): the sensor may run at any rate, jitter, or skip readings; the
 * model wants exactly `count` evenly spaced steps.
 *
 * Speed: a window is 6 channels x 2000 steps, several times a second, and the per-output work is a few
 * flops, so loop overhead decides. The common case (six channels, grid inside the readings) runs in one
 * fused sweep with the channels unrolled and without per-output scale/rounding work when every scale is 1;
 * everything else (other channel counts, steps at or after the last reading) takes the general loop. Both
 * evaluate exactly the same double expressions, so every output is bit-identical whichever path ran.
 */

export interface ResampleLinearOptions {
  /** Per-channel factor applied after interpolation (the value is rounded to float32 first). */
  scale?: readonly number[];
  /** Output buffer of channels.length * count values (avoids an allocation per window). */
  out?: Float32Array;
}

/**
 * Resamples `channels` (each aligned with `times`, ascending, in seconds) onto `count` steps at
 * first + k * step, channel-major [channels][count]. Before the first reading the first value is held,
 * after the last the last value (edge extension): a window that is only partly covered still has the
 * model's shape, and the caller reports the coverage.
 *
 * The grid is located once (binary search for the first step, then one sweep) and shared by all channels,
 * so a window inside a long recording costs O(count), not O(readings).
 */
export function resampleLinear(
  times: ArrayLike<number>,
  channels: readonly ArrayLike<number>[],
  first: number,
  step: number,
  count: number,
  options: ResampleLinearOptions = {},
): Float32Array {
  const n = times.length;
  const out = options.out ?? new Float32Array(channels.length * count);
  if (out.length < channels.length * count) throw new RangeError(`resampleLinear: out holds ${out.length} values, needs ${channels.length * count}`);
  if (n === 0) return out;
  const lo = lastAtOrBefore(times, first);
  const scale = options.scale;
  let k = 0;
  let j = lo;
  // Scaled channels (only the TypeScript fallback of imuTensorFromReadings asks for them) take the general loop.
  if (channels.length === 6 && n >= 2 && (scale === undefined || scale.every((s, c) => c >= 6 || s === 1))) {
    k = sweepUnit6(times, channels, first, step, count, out, j);
    j = sweepState.j;
  }
  sweepGeneral(times, channels, first, step, count, out, j, k, scale);
  return out;
}

/** Index of the last reading at or before `t` (0 when none is): where the sweep starts (binary search). */
export function lastAtOrBefore(times: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Where the fast sweep stopped (its grid index is the return value). */
const sweepState = { j: 0 };

/*
 * The fast sweep covers the steps before the last reading (t < times[n - 1], n >= 2). There the general
 * loop's `j + 1 < n` guard always holds (times[n - 1] > t stops the advance), so the per-step logic
 * reduces to: hold reading j when t <= t0 or the fraction is 0, else interpolate v0 + (v1 - v0) * f.
 * With unit scale (the only case it takes) the float32 store does the rounding Math.fround did.
 */

function sweepUnit6(times: ArrayLike<number>, ch: readonly ArrayLike<number>[], first: number, step: number, count: number, out: Float32Array, j: number): number {
  const c0 = ch[0]!, c1 = ch[1]!, c2 = ch[2]!, c3 = ch[3]!, c4 = ch[4]!, c5 = ch[5]!;
  const o1 = count, o2 = 2 * count, o3 = 3 * count, o4 = 4 * count, o5 = 5 * count;
  const tLast = times[times.length - 1]!;
  let k = 0;
  for (; k < count; k++) {
    const t = first + k * step;
    if (!(t < tLast)) break;
    while (times[j + 1]! <= t) j++;
    const t0 = times[j]!;
    const t1 = times[j + 1]!;
    const f = t > t0 && t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    if (f === 0) {
      out[k] = c0[j]!;
      out[o1 + k] = c1[j]!;
      out[o2 + k] = c2[j]!;
      out[o3 + k] = c3[j]!;
      out[o4 + k] = c4[j]!;
      out[o5 + k] = c5[j]!;
    } else {
      const b = j + 1;
      let v = c0[j]!;
      out[k] = v + (c0[b]! - v) * f;
      v = c1[j]!;
      out[o1 + k] = v + (c1[b]! - v) * f;
      v = c2[j]!;
      out[o2 + k] = v + (c2[b]! - v) * f;
      v = c3[j]!;
      out[o3 + k] = v + (c3[b]! - v) * f;
      v = c4[j]!;
      out[o4 + k] = v + (c4[b]! - v) * f;
      v = c5[j]!;
      out[o5 + k] = v + (c5[b]! - v) * f;
    }
  }
  sweepState.j = j;
  return k;
}

/** Any channel count, any step from `k` on (the edges, scaled channels, and what the fast sweep leaves). */
function sweepGeneral(
  times: ArrayLike<number>,
  channels: readonly ArrayLike<number>[],
  first: number,
  step: number,
  count: number,
  out: Float32Array,
  j: number,
  k: number,
  scale: readonly number[] | undefined,
): void {
  const n = times.length;
  for (; k < count; k++) {
    const t = first + k * step;
    while (j + 1 < n && times[j + 1]! <= t) j++;
    const t0 = times[j]!;
    let a = j;
    let b = j;
    let f = 0;
    if (t <= t0 || j + 1 >= n) {
      a = b = t <= t0 ? j : n - 1;
    } else {
      const t1 = times[j + 1]!;
      b = j + 1;
      f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    }
    for (let c = 0; c < channels.length; c++) {
      const ch = channels[c]!;
      const v0 = ch[a]!;
      const v = Math.fround(f === 0 ? v0 : v0 + (ch[b]! - v0) * f);
      const sc = scale?.[c] ?? 1;
      out[c * count + k] = sc === 1 ? v : v * sc;
    }
  }
}
