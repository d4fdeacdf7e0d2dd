/**
 * Linear resampling of irregularly timed readings onto an even grid. Used for IMU windows: the sensor may
 * run at any rate, jitter, or skip readings; the model wants exactly `count` evenly spaced steps.
 */

/**
 * Resamples `channels` (each aligned with `times`, ascending, in seconds) onto `count` steps at
 * first + k * step. Before the first reading the first value is held, after the last the last value
 * (edge extension): a window that is only partly covered still has the model's shape, and the caller
 * reports the coverage.
 */
export function resampleLinear(
  times: ArrayLike<number>,
  channels: readonly ArrayLike<number>[],
  first: number,
  step: number,
  count: number,
): Float32Array {
  const n = times.length;
  const out = new Float32Array(channels.length * count);
  if (n === 0) return out;
  let j = 0; // index of the reading at or before the current grid time
  for (let k = 0; k < count; k++) {
    const t = first + k * step;
    while (j + 1 < n && times[j + 1]! <= t) j++;
    const t0 = times[j]!;
    let frac: number;
    let i0 = j;
    let i1 = j;
    if (t <= t0) {
      frac = 0;
    } else if (j + 1 < n) {
      i1 = j + 1;
      const t1 = times[i1]!;
      frac = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    } else {
      frac = 0;
      i0 = i1 = n - 1;
    }
    for (let c = 0; c < channels.length; c++) {
      const ch = channels[c]!;
      const v0 = ch[i0]!;
      out[c * count + k] = frac === 0 ? v0 : v0 + (ch[i1]! - v0) * frac;
    }
  }
  return out;
}
