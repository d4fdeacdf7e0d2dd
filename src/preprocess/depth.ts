/**
 * Depth: metres (REP-117 specials allowed) -> float32 [1, crop, crop]. ImageBind released no depth loader;
 * the recipe is the author's (Omnivore issue #12) with every constant a manifest parameter: clip metres,
 * convert to disparity (baseline * focal / metres), clamp, divide, then the vision geometry (Pillow 'F'
 * bicubic resize + centre crop) and a mean/std normalisation.
 * Invalid pixels (NaN, 0 from 16UC1, +Inf = no return) become `invalidValue`; -Inf (too close) is treated
 * as the nearest allowed depth.
 */
import type { DepthPreprocess, ThermalPreprocess } from './params.js';
import { resizeCropGeometry } from './geometry.js';
import { resizeF32, type RowTransform } from './resize-pil.js';
import { resizeF32Wasm, type UnitsKernel } from './resize-wasm.js';
import { float32Tensor, outputBuffer, type Tensor } from './tensor.js';
import { wasmKernels, type Engine } from './wasm/kernels.js';

export interface FloatImage {
  width: number;
  height: number;
  values: Float32Array;
}

/** The depth conversion's parameters, in the form both implementations take. */
function depthUnits(p: DepthPreprocess): Extract<UnitsKernel, { mode: 'depth' }> {
  return {
    mode: 'depth',
    k: p.baselineMetres * p.focalPx,
    invalidValue: p.invalidValue,
    minMetres: p.minMetres,
    maxMetres: p.maxMetres,
    clampMax: p.clampMax,
    divisor: p.divisor,
    disparity: p.representation === 'disparity',
  };
}

/** Metres -> model units for a run of values (a RowTransform for the TypeScript resize; kernels.c's twin). */
function depthTransform(u: Extract<UnitsKernel, { mode: 'depth' }>): RowTransform {
  // Parameters in locals: the hot loop must not look properties up on an object.
  const { k, invalidValue, minMetres, maxMetres, clampMax, divisor, disparity } = u;
  return (metres, start, n, out) => {
    for (let i = 0; i < n; i++) {
      let m = metres[start + i]!;
      if (m !== m || m === Infinity || m === 0) {
        out[i] = invalidValue; // NaN (m !== m), no return, or 16UC1's 0
        continue;
      }
      if (m < minMetres) m = minMetres; // includes -Inf (too close)
      else if (m > maxMetres) m = maxMetres;
      let v = disparity ? k / m : m;
      if (v < 0) v = 0;
      else if (v > clampMax) v = clampMax;
      out[i] = v / divisor;
    }
  };
}

/** Thermal: linear map of [rangeMin, rangeMax] to [0, 1] (optionally clamped); kernels.c's twin. */
function thermalTransform(u: Extract<UnitsKernel, { mode: 'thermal' }>): RowTransform {
  const { rangeMin, span, clamp } = u;
  return (src, start, n, out) => {
    for (let i = 0; i < n; i++) {
      let x = (src[start + i]! - rangeMin) / span;
      if (x !== x) x = 0; // NaN
      if (clamp) x = x < 0 ? 0 : x > 1 ? 1 : x;
      out[i] = x;
    }
  };
}

/**
 * Resize + crop + (x - mean) / std of a single-channel float image, float32 arithmetic as torch does, after
 * the per-pixel `units` conversion. WebAssembly SIMD kernels where available (engine 'auto'), else the
 * TypeScript port; the values are the same.
 */
function singleChannelTensor(
  img: FloatImage,
  p: { size: number; crop: number; interpolation: DepthPreprocess['interpolation']; mean: number; std: number },
  into?: Float32Array,
  units: UnitsKernel = { mode: 'none' },
  engine: Engine = 'auto',
): Tensor {
  if (img.width <= 0 || img.height <= 0) throw new RangeError(`image is ${img.width}x${img.height}, expected at least 1x1 pixels`);
  if (img.values.length < img.width * img.height) throw new RangeError(`${img.values.length} values for a ${img.width}x${img.height} image`);
  const g = resizeCropGeometry(img.width, img.height, p.size, p.crop);
  const region = { left: g.left, top: g.top, width: g.crop, height: g.crop };
  const norm = { mean: p.mean, std: p.std };
  const wk = engine === 'auto' ? wasmKernels() : null;
  if (wk !== null) {
    const out = outputBuffer(g.crop * g.crop, into);
    if (resizeF32Wasm(wk, img.values, img.width, img.height, g.width, g.height, region, p.interpolation, units, norm, out)) {
      return float32Tensor([1, g.crop, g.crop], out);
    }
  }
  const transform = units.mode === 'depth' ? depthTransform(units) : units.mode === 'thermal' ? thermalTransform(units) : undefined;
  // Normalisation fused into the resize's vertical pass (same float32 steps as a separate loop).
  const crop = resizeF32(img.values, img.width, img.height, g.width, g.height, region, p.interpolation, into, transform, norm);
  return float32Tensor([1, g.crop, g.crop], crop);
}

export function depthTensor(img: FloatImage, p: DepthPreprocess, into?: Float32Array, engine: Engine = 'auto'): Tensor {
  return singleChannelTensor(img, p, into, depthUnits(p), engine);
}

/** Thermal: linear map of [rangeMin, rangeMax] to [0, 1] (optionally clamped), then the same geometry. */
export function thermalTensor(img: FloatImage, p: ThermalPreprocess, into?: Float32Array, engine: Engine = 'auto'): Tensor {
  const span = p.rangeMax - p.rangeMin;
  if (span === 0) throw new RangeError('thermal rangeMax equals rangeMin');
  return singleChannelTensor(img, p, into, { mode: 'thermal', rangeMin: p.rangeMin, span, clamp: p.clamp }, engine);
}
