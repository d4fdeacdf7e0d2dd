/**
 * The Pillow-exact resizes of resize-pil.ts run by the WebAssembly SIMD kernels (wasm/kernels.c): same
 * coefficients (computed here in TypeScript, cached), same values bit for bit, three to four times faster.
 * Each function returns false when the case is not one the kernels cover (only one axis resized), and the
 * caller then uses resize-pil.ts.
 */
import { cachedCoeffs, sourceSpan, type Filter, type Region } from './resize-pil.js';
import type { WasmKernels } from './wasm/kernels.js';

/**
 * resizeRgbPlanar with ToTensor + Normalize as float32 arithmetic (mean/std per channel) instead of lookup
 * tables: the same correctly rounded float32 operations the tables were built from.
 */
export function resizeRgbNormalisedWasm(
  wk: WasmKernels,
  src: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  region: Region,
  filter: Filter,
  mean: readonly number[],
  std: readonly number[],
  out: Float32Array,
): boolean {
  if (outW === width || outH === height) return false;
  const h = cachedCoeffs(width, outW, region.left, region.width, filter);
  const v = cachedCoeffs(height, outH, region.top, region.height, filter);
  const { first, last } = sourceSpan(v.c);
  const rows = last - first;
  const n = region.width;
  const rowLen = width * 3;
  const plane = region.width * region.height;
  const placed = wk.place([
    rows * rowLen,
    h.c.bounds.byteLength,
    h.fixed.byteLength,
    v.c.bounds.byteLength,
    v.fixed.byteLength,
    3 * rows * n,
    12,
    12,
    3 * plane * 4,
  ]);
  if (placed === null) return false;
  const [pSrc, pHb, pHk, pVb, pVk, pTmp, pMean, pStd, pOut] = placed as [number, number, number, number, number, number, number, number, number];
  // Only the rows the vertical pass reads are copied in (the kernel's row 0 is source row `first`).
  wk.u8(pSrc, rows * rowLen).set(src.subarray(first * rowLen, last * rowLen));
  wk.i32(pHb, h.c.bounds.length).set(h.c.bounds);
  wk.i32(pHk, h.fixed.length).set(h.fixed);
  wk.i32(pVb, v.c.bounds.length).set(v.c.bounds);
  wk.i32(pVk, v.fixed.length).set(v.fixed);
  wk.f32(pMean, 3).set(mean.slice(0, 3));
  wk.f32(pStd, 3).set(std.slice(0, 3));
  wk.fn.h_rgb_planar(pSrc, width, 0, rows, n, pHb, pHk, h.c.ksize, pTmp);
  wk.fn.v_planar_normalise(pTmp, rows, n, first, region.height, pVb, pVk, v.c.ksize, pMean, pStd, pOut);
  out.set(wk.f32(pOut, 3 * plane));
  return true;
}

/** Per-pixel unit conversion applied before a float resize, as the kernels know them (see depth.ts). */
export type UnitsKernel =
  | { mode: 'none' }
  | { mode: 'depth'; k: number; invalidValue: number; minMetres: number; maxMetres: number; clampMax: number; divisor: number; disparity: boolean }
  | { mode: 'thermal'; rangeMin: number; span: number; clamp: boolean };

function unitsParams(u: UnitsKernel): { mode: number; params: number[] } {
  switch (u.mode) {
    case 'none':
      return { mode: 0, params: [] };
    case 'depth':
      return { mode: 1, params: [u.k, u.invalidValue, u.minMetres, u.maxMetres, u.clampMax, u.divisor, u.disparity ? 1 : 0] };
    case 'thermal':
      return { mode: 2, params: [u.rangeMin, u.span, u.clamp ? 1 : 0] };
  }
}

/** resizeF32 (Pillow 'F' mode) with the units conversion and (x - mean) / std, into `out`. */
export function resizeF32Wasm(
  wk: WasmKernels,
  src: Float32Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  region: Region,
  filter: Filter,
  units: UnitsKernel,
  norm: { mean: number; std: number } | undefined,
  out: Float32Array,
): boolean {
  if (outW === width || outH === height) return false;
  const hc = cachedCoeffs(width, outW, region.left, region.width, filter).c;
  const vc = cachedCoeffs(height, outH, region.top, region.height, filter).c;
  const { first, last } = sourceSpan(vc);
  const rows = last - first;
  const n = region.width;
  // Source columns the requested outputs read: only those are converted.
  const { first: colFirst, last: colLast } = sourceSpan(hc);
  const span = Math.max(0, colLast - colFirst);
  const { mode, params } = unitsParams(units);
  const placed = wk.place([
    rows * width * 4,
    hc.bounds.byteLength,
    hc.kk.byteLength,
    vc.bounds.byteLength,
    vc.kk.byteLength,
    8 * Math.max(1, params.length),
    16 * span,
    4 * rows * n,
    4 * n * region.height,
  ]);
  if (placed === null) return false;
  const [pSrc, pHb, pHk, pVb, pVk, pParams, pPairs, pTmp, pOut] = placed as [number, number, number, number, number, number, number, number, number];
  wk.f32(pSrc, rows * width).set(src.subarray(first * width, last * width));
  wk.i32(pHb, hc.bounds.length).set(hc.bounds);
  wk.f64(pHk, hc.kk.length).set(hc.kk);
  wk.i32(pVb, vc.bounds.length).set(vc.bounds);
  wk.f64(pVk, vc.kk.length).set(vc.kk);
  wk.f64(pParams, params.length).set(params);
  wk.fn.h_float(pSrc, width, 0, rows, colFirst, span, n, pHb, pHk, hc.ksize, mode, pParams, pPairs, pTmp);
  const m = norm === undefined ? 0 : Math.fround(norm.mean);
  const sd = norm === undefined ? 1 : Math.fround(norm.std);
  wk.fn.v_float(pTmp, n, first, region.height, pVb, pVk, vc.ksize, norm === undefined ? 0 : 1, m, sd, pOut);
  out.set(wk.f32(pOut, n * region.height));
  return true;
}
