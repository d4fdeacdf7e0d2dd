/**
 * A port of Pillow's resampler (libImaging/Resample.c, Pillow 9.x), because ImageBind's images went through
 * it and libvips' cubic differs by a few grey levels: exactness is the reason this is hand-written.
 *
 * Two separable passes, horizontal then vertical, with the filter support widened by the reduction factor
 * (antialiasing). 8-bit images use Pillow's 22-bit fixed-point coefficients and round to uint8 after each
 * pass, exactly as Pillow does; float images ('F' mode) accumulate in double and store float32.
 *
 * Only the output rows/columns inside `region` are computed (resize-then-crop without the waste); each output
 * pixel depends only on its own coefficients, so the values are identical to resizing everything.
 *
 * The WebAssembly kernels (wasm/kernels.c via resize-wasm.ts) run the same algorithm with SIMD and are used
 * where available; this file is the readable reference they are tested against and the fallback.
 */

export type Filter = 'bicubic' | 'bilinear';

const FILTERS: Record<Filter, { support: number; fn: (x: number) => number }> = {
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      if (x < 0) x = -x;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: {
    support: 1,
    fn: (x) => {
      if (x < 0) x = -x;
      return x < 1 ? 1 - x : 0;
    },
  },
};

import { scratchF32, scratchU8 } from './scratch.js';
import { outputBuffer } from './tensor.js';

const PRECISION_BITS = 32 - 8 - 2;

export interface Coeffs {
  ksize: number;
  /** Per output position: first input index and tap count. */
  bounds: Int32Array;
  kk: Float64Array;
}

/** precompute_coeffs() for output positions [first, first + n) of an `outSize` resize of `inSize`. */
function precomputeCoeffs(inSize: number, outSize: number, first: number, n: number, filter: Filter): Coeffs {
  const f = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = f.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(n * 2);
  const kk = new Float64Array(n * ksize);
  const ss = 1 / filterscale;
  for (let i = 0; i < n; i++) {
    const xx = first + i;
    const center = (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    const base = i * ksize;
    for (let x = 0; x < xmax; x++) {
      const w = f.fn((x + xmin - center + 0.5) * ss);
      kk[base + x] = w;
      ww += w;
    }
    if (ww !== 0) for (let x = 0; x < xmax; x++) kk[base + x]! /= ww;
    bounds[i * 2] = xmin;
    bounds[i * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** normalize_coeffs_8bpc(): doubles to 22-bit fixed point, rounding half away from zero. */
function fixedPoint(kk: Float64Array): Int32Array {
  const out = new Int32Array(kk.length);
  const one = 1 << PRECISION_BITS;
  for (let i = 0; i < kk.length; i++) {
    const v = kk[i]!;
    out[i] = v < 0 ? Math.trunc(-0.5 + v * one) : Math.trunc(0.5 + v * one);
  }
  return out;
}

export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Source indices [first, last) the coefficients' outputs read: rows for a vertical pass, columns for a horizontal one. */
export function sourceSpan(v: Coeffs): { first: number; last: number } {
  let first = Infinity;
  let last = 0;
  for (let i = 0; i < v.bounds.length; i += 2) {
    first = Math.min(first, v.bounds[i]!);
    last = Math.max(last, v.bounds[i]! + v.bounds[i + 1]!);
  }
  return { first, last };
}

/** Coefficients are the same for every frame of a stream: keep the last few. */
const coeffCache = new Map<string, { c: Coeffs; fixed: Int32Array }>();
export function cachedCoeffs(inSize: number, outSize: number, first: number, n: number, filter: Filter): { c: Coeffs; fixed: Int32Array } {
  const key = `${inSize}:${outSize}:${first}:${n}:${filter}`;
  let hit = coeffCache.get(key);
  if (hit === undefined) {
    const c = precomputeCoeffs(inSize, outSize, first, n, filter);
    hit = { c, fixed: fixedPoint(c.kk) };
    if (coeffCache.size > 64) coeffCache.clear();
    coeffCache.set(key, hit);
  }
  return hit;
}

/**
 * Horizontal 8-bit pass over `rows` source rows starting at `first`, for the coefficients' output columns.
 * Arithmetic is int32 as in Pillow's C (`Math.imul`, `| 0`): the sums provably fit (|coefficients| sum to
 * about 1.1 * 2^22, times 255), and the explicit int32 ops keep V8 off its overflow checks and doubles.
 */
function horizontalU8(src: Uint8Array, width: number, channels: number, first: number, rows: number, hc: Coeffs, k: Int32Array, out: Uint8Array): void {
  const n = hc.bounds.length / 2;
  const ksize = hc.ksize;
  const bounds = hc.bounds;
  const half = 1 << (PRECISION_BITS - 1);
  const rowLen = width * channels;
  let y = 0;
  if (channels === 3) {
    // Two source rows per sweep: each coefficient load and tap-loop step serves six accumulators.
    const outRow = n * 3;
    for (; y + 1 < rows; y += 2) {
      const rowIn = (y + first) * rowLen;
      let o = y * outRow;
      for (let xx = 0; xx < n; xx++) {
        const kb = xx * ksize;
        const kEnd = kb + bounds[xx * 2 + 1]!;
        let p = rowIn + bounds[xx * 2]! * 3;
        let a0 = half;
        let a1 = half;
        let a2 = half;
        let b0 = half;
        let b1 = half;
        let b2 = half;
        for (let x = kb; x < kEnd; x++, p += 3) {
          const w = k[x]!;
          const q = p + rowLen;
          a0 = (a0 + Math.imul(src[p]!, w)) | 0;
          a1 = (a1 + Math.imul(src[p + 1]!, w)) | 0;
          a2 = (a2 + Math.imul(src[p + 2]!, w)) | 0;
          b0 = (b0 + Math.imul(src[q]!, w)) | 0;
          b1 = (b1 + Math.imul(src[q + 1]!, w)) | 0;
          b2 = (b2 + Math.imul(src[q + 2]!, w)) | 0;
        }
        a0 >>= PRECISION_BITS;
        a1 >>= PRECISION_BITS;
        a2 >>= PRECISION_BITS;
        b0 >>= PRECISION_BITS;
        b1 >>= PRECISION_BITS;
        b2 >>= PRECISION_BITS;
        out[o] = a0 < 0 ? 0 : a0 > 255 ? 255 : a0;
        out[o + 1] = a1 < 0 ? 0 : a1 > 255 ? 255 : a1;
        out[o + 2] = a2 < 0 ? 0 : a2 > 255 ? 255 : a2;
        out[o + outRow] = b0 < 0 ? 0 : b0 > 255 ? 255 : b0;
        out[o + outRow + 1] = b1 < 0 ? 0 : b1 > 255 ? 255 : b1;
        out[o + outRow + 2] = b2 < 0 ? 0 : b2 > 255 ? 255 : b2;
        o += 3;
      }
    }
  }
  for (; y < rows; y++) {
    const rowIn = (y + first) * rowLen;
    let o = y * n * channels;
    for (let xx = 0; xx < n; xx++) {
      const xmin = bounds[xx * 2]!;
      const xmax = bounds[xx * 2 + 1]!;
      const kb = xx * ksize;
      let p = rowIn + xmin * channels;
      if (channels === 3) {
        let s0 = half;
        let s1 = half;
        let s2 = half;
        const kEnd = kb + xmax;
        for (let x = kb; x < kEnd; x++, p += 3) {
          const w = k[x]!;
          s0 = (s0 + Math.imul(src[p]!, w)) | 0;
          s1 = (s1 + Math.imul(src[p + 1]!, w)) | 0;
          s2 = (s2 + Math.imul(src[p + 2]!, w)) | 0;
        }
        s0 >>= PRECISION_BITS;
        s1 >>= PRECISION_BITS;
        s2 >>= PRECISION_BITS;
        out[o++] = s0 < 0 ? 0 : s0 > 255 ? 255 : s0;
        out[o++] = s1 < 0 ? 0 : s1 > 255 ? 255 : s1;
        out[o++] = s2 < 0 ? 0 : s2 > 255 ? 255 : s2;
      } else {
        for (let c = 0; c < channels; c++) {
          let ss = half;
          let q = p + c;
          for (let x = 0; x < xmax; x++, q += channels) ss = (ss + Math.imul(src[q]!, k[kb + x]!)) | 0;
          ss >>= PRECISION_BITS;
          out[o++] = ss < 0 ? 0 : ss > 255 ? 255 : ss;
        }
      }
    }
  }
}

/** Vertical 8-bit pass: per output value, the taps down one column of the (cache-resident) rows. */
function verticalU8(tmp: Uint8Array, stride: number, first: number, vc: Coeffs, k: Int32Array, out: Uint8Array): void {
  const rows = vc.bounds.length / 2;
  const half = 1 << (PRECISION_BITS - 1);
  const ksize = vc.ksize;
  for (let yy = 0; yy < rows; yy++) {
    const base = (vc.bounds[yy * 2]! - first) * stride;
    const ymax = vc.bounds[yy * 2 + 1]!;
    const kb = yy * ksize;
    const o = yy * stride;
    for (let i = 0; i < stride; i++) {
      let ss = half;
      let p = base + i;
      for (let y = 0; y < ymax; y++, p += stride) ss = (ss + Math.imul(tmp[p]!, k[kb + y]!)) | 0;
      ss >>= PRECISION_BITS;
      out[o + i] = ss < 0 ? 0 : ss > 255 ? 255 : ss;
    }
  }
}

/**
 * Vertical pass for interleaved RGB fused with the per-channel 256-entry lookup (ToTensor + Normalize) and
 * the interleaved -> planar reorder: the 8-bit crop is never stored. Three accumulators per pixel share
 * each coefficient load, as in the horizontal pass.
 */
function verticalRgbPlanar(tmp: Uint8Array, w: number, first: number, vc: Coeffs, k: Int32Array, luts: readonly [Float32Array, Float32Array, Float32Array], out: Float32Array): void {
  const rows = vc.bounds.length / 2;
  const half = 1 << (PRECISION_BITS - 1);
  const ksize = vc.ksize;
  const stride = w * 3;
  const plane = rows * w;
  const [lr, lg, lb] = luts;
  for (let yy = 0; yy < rows; yy++) {
    const base = (vc.bounds[yy * 2]! - first) * stride;
    const kb = yy * ksize;
    const kEnd = kb + vc.bounds[yy * 2 + 1]!;
    let o = yy * w;
    let x = 0;
    // Two pixels per sweep down the taps: six accumulators share each coefficient load.
    for (; x + 1 < w; x += 2, o += 2) {
      let a0 = half;
      let a1 = half;
      let a2 = half;
      let b0 = half;
      let b1 = half;
      let b2 = half;
      let p = base + x * 3;
      for (let j = kb; j < kEnd; j++, p += stride) {
        const c = k[j]!;
        a0 = (a0 + Math.imul(tmp[p]!, c)) | 0;
        a1 = (a1 + Math.imul(tmp[p + 1]!, c)) | 0;
        a2 = (a2 + Math.imul(tmp[p + 2]!, c)) | 0;
        b0 = (b0 + Math.imul(tmp[p + 3]!, c)) | 0;
        b1 = (b1 + Math.imul(tmp[p + 4]!, c)) | 0;
        b2 = (b2 + Math.imul(tmp[p + 5]!, c)) | 0;
      }
      a0 >>= PRECISION_BITS;
      a1 >>= PRECISION_BITS;
      a2 >>= PRECISION_BITS;
      b0 >>= PRECISION_BITS;
      b1 >>= PRECISION_BITS;
      b2 >>= PRECISION_BITS;
      out[o] = lr[a0 < 0 ? 0 : a0 > 255 ? 255 : a0]!;
      out[plane + o] = lg[a1 < 0 ? 0 : a1 > 255 ? 255 : a1]!;
      out[2 * plane + o] = lb[a2 < 0 ? 0 : a2 > 255 ? 255 : a2]!;
      out[o + 1] = lr[b0 < 0 ? 0 : b0 > 255 ? 255 : b0]!;
      out[plane + o + 1] = lg[b1 < 0 ? 0 : b1 > 255 ? 255 : b1]!;
      out[2 * plane + o + 1] = lb[b2 < 0 ? 0 : b2 > 255 ? 255 : b2]!;
    }
    for (; x < w; x++, o++) {
      let s0 = half;
      let s1 = half;
      let s2 = half;
      let p = base + x * 3;
      for (let j = kb; j < kEnd; j++, p += stride) {
        const c = k[j]!;
        s0 = (s0 + Math.imul(tmp[p]!, c)) | 0;
        s1 = (s1 + Math.imul(tmp[p + 1]!, c)) | 0;
        s2 = (s2 + Math.imul(tmp[p + 2]!, c)) | 0;
      }
      s0 >>= PRECISION_BITS;
      s1 >>= PRECISION_BITS;
      s2 >>= PRECISION_BITS;
      out[o] = lr[s0 < 0 ? 0 : s0 > 255 ? 255 : s0]!;
      out[plane + o] = lg[s1 < 0 ? 0 : s1 > 255 ? 255 : s1]!;
      out[2 * plane + o] = lb[s2 < 0 ? 0 : s2 > 255 ? 255 : s2]!;
    }
  }
}

/**
 * Resizes an interleaved 8-bit image (`channels` per pixel) to outW x outH and returns only `region` of the
 * result, interleaved, as Pillow's Image.resize(...).crop(region) would. `into` (exactly the crop's size)
 * receives it instead of a new array.
 */
export function resizeU8(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
  region: Region,
  filter: Filter,
  into?: Uint8Array,
): Uint8Array {
  const needH = outW !== width;
  const needV = outH !== height;
  const h = cachedCoeffs(width, outW, region.left, region.width, filter);
  const v = cachedCoeffs(height, outH, region.top, region.height, filter);
  // Horizontal pass over the source rows the vertical pass needs (all requested rows when no vertical pass).
  const { first, last } = needV ? sourceSpan(v.c) : { first: region.top, last: region.top + region.height };
  const stride = region.width * channels;
  const tmp = scratchU8('resize.u8', stride * (last - first));
  if (needH) {
    horizontalU8(src, width, channels, first, last - first, h.c, h.fixed, tmp);
  } else {
    for (let y = 0; y < last - first; y++) {
      const s = ((y + first) * width + region.left) * channels;
      tmp.set(src.subarray(s, s + stride), y * stride);
    }
  }
  if (!needV) {
    const out = into ?? new Uint8Array(tmp.length);
    out.set(tmp);
    return out;
  }
  const out = into ?? new Uint8Array(stride * region.height);
  verticalU8(tmp, stride, first, v.c, v.fixed, out);
  return out;
}

/**
 * resizeU8 for interleaved RGB, followed by a per-channel lookup into planar float32 [3, h, w] (`out`,
 * exactly the crop's size): the values are those of resizeU8 then the lookup, computed in one pass.
 */
export function resizeRgbPlanar(
  src: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  region: Region,
  filter: Filter,
  luts: readonly [Float32Array, Float32Array, Float32Array],
  out: Float32Array,
): void {
  if (outH === height) {
    // No vertical pass (never for ImageBind's geometry): resize, then look up.
    const crop = resizeU8(src, width, height, 3, outW, outH, region, filter, scratchU8('resize.rgb', region.width * region.height * 3));
    const plane = region.width * region.height;
    const [lr, lg, lb] = luts;
    for (let i = 0, p = 0; i < plane; i++, p += 3) {
      out[i] = lr[crop[p]!]!;
      out[plane + i] = lg[crop[p + 1]!]!;
      out[2 * plane + i] = lb[crop[p + 2]!]!;
    }
    return;
  }
  const h = cachedCoeffs(width, outW, region.left, region.width, filter);
  const v = cachedCoeffs(height, outH, region.top, region.height, filter);
  const { first, last } = sourceSpan(v.c);
  const stride = region.width * 3;
  const tmp = scratchU8('resize.u8', stride * (last - first));
  if (outW !== width) {
    horizontalU8(src, width, 3, first, last - first, h.c, h.fixed, tmp);
  } else {
    for (let y = 0; y < last - first; y++) {
      const s = ((y + first) * width + region.left) * 3;
      tmp.set(src.subarray(s, s + stride), y * stride);
    }
  }
  verticalRgbPlanar(tmp, region.width, first, v.c, v.fixed, luts, out);
}

/**
 * Converts `n` source values starting at `start` into `out` (float32), e.g. depth metres -> disparity.
 * Applied row by row to the columns the resize reads, so no full-size converted copy is ever made.
 */
export type RowTransform = (src: Float32Array, start: number, n: number, out: Float32Array) => void;

/**
 * The same for a single-channel float image (Pillow mode 'F'): double accumulation, float32 storage.
 * `transform`, when given, maps source values first (exactly as if the image had been converted beforehand);
 * `norm`, when given, is applied to each stored float32 result as torch's float32 (x - mean) / std.
 */
export function resizeF32(
  src: Float32Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  region: Region,
  filter: Filter,
  into?: Float32Array,
  transform?: RowTransform,
  norm?: { mean: number; std: number },
): Float32Array {
  const needH = outW !== width;
  const needV = outH !== height;
  const hc = cachedCoeffs(width, outW, region.left, region.width, filter).c;
  const vc = cachedCoeffs(height, outH, region.top, region.height, filter).c;
  const { first, last } = needV ? sourceSpan(vc) : { first: region.top, last: region.top + region.height };
  const tmpW = region.width;
  const tmpH = last - first;
  const tmp = scratchF32('resize.f32', tmpW * tmpH);
  if (needH) {
    const k = hc.kk;
    const ksize = hc.ksize;
    // Source columns the requested outputs read.
    const { first: colFirst, last: colLast } = sourceSpan(hc);
    const span = Math.max(0, colLast - colFirst);
    const rowBufA = scratchF32('resize.row', span);
    const rowBufB = scratchF32('resize.row2', span);
    const bounds = hc.bounds;
    // Two source rows per sweep: each coefficient load and tap-loop step serves two accumulators (each
    // still sums its own taps from 0 in Pillow's order, so results are unchanged).
    for (let y = 0; y < tmpH; y += 2) {
      const two = y + 1 < tmpH;
      let rowA: Float32Array = src;
      let rowB: Float32Array = src;
      let inA = (y + first) * width;
      let inB = two ? inA + width : inA;
      if (transform !== undefined) {
        transform(src, inA + colFirst, span, rowBufA);
        if (two) transform(src, inB + colFirst, span, rowBufB);
        rowA = rowBufA;
        rowB = two ? rowBufB : rowBufA;
        inA = -colFirst;
        inB = -colFirst;
      }
      const oA = y * tmpW;
      for (let xx = 0; xx < tmpW; xx++) {
        const xmin = bounds[xx * 2]!;
        const kb = xx * ksize;
        const kEnd = kb + bounds[xx * 2 + 1]!;
        let a = 0;
        let b = 0;
        for (let j = kb, pa = inA + xmin, pb = inB + xmin; j < kEnd; j++, pa++, pb++) {
          const w = k[j]!;
          a += rowA[pa]! * w;
          b += rowB[pb]! * w;
        }
        tmp[oA + xx] = a;
        if (two) tmp[oA + tmpW + xx] = b;
      }
    }
  } else {
    for (let y = 0; y < tmpH; y++) {
      const s = (y + first) * width + region.left;
      const dst = tmp.subarray(y * tmpW, (y + 1) * tmpW);
      if (transform !== undefined) transform(src, s, tmpW, dst);
      else dst.set(src.subarray(s, s + tmpW));
    }
  }
  const m = norm === undefined ? 0 : Math.fround(norm.mean);
  const sd = norm === undefined ? 1 : Math.fround(norm.std);
  if (!needV) {
    const out = outputBuffer(tmp.length, into);
    out.set(tmp);
    if (norm !== undefined) for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i]! - m) / sd;
    return out;
  }
  const out = outputBuffer(region.width * region.height, into);
  const k = vc.kk;
  const ksize = vc.ksize;
  for (let yy = 0; yy < region.height; yy++) {
    const base = (vc.bounds[yy * 2]! - first) * tmpW;
    const kb = yy * ksize;
    const kEnd = kb + vc.bounds[yy * 2 + 1]!;
    const o = yy * tmpW;
    // Same sum order as Pillow (from 0, tap by tap, in double) so the float32 results match bit for bit;
    // the normalisation is torch's float32 (x - mean) / std of the stored float32 value.
    // Two columns per sweep down the taps (shared coefficient loads), each summed in Pillow's order.
    let i = 0;
    for (; i + 1 < tmpW; i += 2) {
      let a = 0;
      let b = 0;
      for (let j = kb, p = base + i; j < kEnd; j++, p += tmpW) {
        const w = k[j]!;
        a += tmp[p]! * w;
        b += tmp[p + 1]! * w;
      }
      if (norm === undefined) {
        out[o + i] = a;
        out[o + i + 1] = b;
      } else {
        out[o + i] = Math.fround(Math.fround(a) - m) / sd;
        out[o + i + 1] = Math.fround(Math.fround(b) - m) / sd;
      }
    }
    for (; i < tmpW; i++) {
      let a = 0;
      for (let j = kb, p = base + i; j < kEnd; j++, p += tmpW) a += tmp[p]! * k[j]!;
      out[o + i] = norm === undefined ? a : Math.fround(Math.fround(a) - m) / sd;
    }
  }
  return out;
}
