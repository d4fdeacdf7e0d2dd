/**
 * Linear resampling of irregularly timed readings onto an even grid. Used for IMU windows (the window
 * stage and IMU files in preprocessing): the sensor may run at any rate, jitter, or skip readings; the
 * model wants exactly `count` evenly spaced steps.
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
  const i0 = new Uint32Array(count);
  const i1 = new Uint32Array(count);
  const frac = new Float64Array(count);
  // Last reading at or before the first grid time.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= first) lo = mid;
    else hi = mid - 1;
  }
  let j = lo;
  for (let k = 0; k < count; k++) {
    const t = first + k * step;
    while (j + 1 < n && times[j + 1]! <= t) j++;
    const t0 = times[j]!;
    if (t <= t0 || j + 1 >= n) {
      i0[k] = i1[k] = t <= t0 ? j : n - 1;
    } else {
      const t1 = times[j + 1]!;
      i0[k] = j;
      i1[k] = j + 1;
      frac[k] = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    }
  }
  for (let c = 0; c < channels.length; c++) {
    const ch = channels[c]!;
    const o = c * count;
    const sc = options.scale?.[c] ?? 1;
    for (let k = 0; k < count; k++) {
      const v0 = ch[i0[k]!]!;
      const f = frac[k]!;
      const v = Math.fround(f === 0 ? v0 : v0 + (ch[i1[k]!]! - v0) * f);
      out[o + k] = sc === 1 ? v : v * sc;
    }
  }
  return out;
}
