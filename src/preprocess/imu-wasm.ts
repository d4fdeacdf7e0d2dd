/**
 * resampleLinear (src/core/resample-linear.ts) by the WebAssembly kernel, for a window of float32 readings:
 * only the readings the window's steps can touch are copied in, and the kernel runs the same loop with the
 * same double arithmetic, so the float32 values are the same.
 */
import { lastAtOrBefore } from '../core/resample-linear.js';
import type { WasmKernels } from './wasm/kernels.js';

/**
 * Writes channels.length x count values into `out` (channel-major) and returns true, or returns false
 * (nothing written) when the inputs are not ones the kernel takes (channels other than Float32Array).
 */
export function resampleLinearWasm(
  wk: WasmKernels,
  times: ArrayLike<number>,
  channels: readonly Float32Array[] | readonly ArrayLike<number>[],
  first: number,
  step: number,
  count: number,
  scale: readonly number[] | undefined,
  out: Float32Array,
): boolean {
  const n = times.length;
  const nch = channels.length;
  if (n === 0 || count <= 0 || !channels.every((c) => c instanceof Float32Array && c.length >= n)) return false;
  // resampleLinear's start: the last reading at or before the first step.
  const lo = lastAtOrBefore(times, first);
  // How far the loop's reading index can advance: its `while (times[j + 1] <= t) j++` run once with the
  // last step's time ends where it ends after all steps. It then reads one reading beyond.
  const tLast = first + (count - 1) * step;
  let h = lo;
  while (h + 1 < n && times[h + 1]! <= tLast) h++;
  const end = Math.min(n, h + 2);
  const m = end - lo;
  const placed = wk.place([8 * m, 4 * nch * m, 8 * nch, 4 * nch * count]);
  if (placed === null) return false;
  const [pT, pCh, pScale, pOut] = placed as [number, number, number, number];
  const t = wk.f64(pT, m);
  if (times instanceof Float64Array) t.set(times.subarray(lo, end));
  else for (let i = 0; i < m; i++) t[i] = times[lo + i]!;
  const ch = wk.f32(pCh, nch * m);
  channels.forEach((c, i) => ch.set((c as Float32Array).subarray(lo, end), i * m));
  const sc = wk.f64(pScale, nch);
  for (let i = 0; i < nch; i++) sc[i] = scale?.[i] ?? 1;
  wk.fn.resample_linear(pT, m, pCh, nch, first, step, count, pScale, pOut);
  out.set(wk.f32(pOut, nch * count));
  return true;
}
