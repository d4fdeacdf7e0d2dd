/**
 * Vision: packed RGB8 -> ImageBind's float32 [3, crop, crop] (torchvision Resize(bicubic) + CenterCrop +
 * ToTensor + Normalize on a PIL image). The default resizer is the Pillow port (resize-pil.ts), which is
 * bit-exact; 'sharp' hands the resize to libvips for comparison and very large frames.
 */
import { loadSharp } from '../core/sharp.js';
import type { VisionPreprocess } from './params.js';
import { resizeCropGeometry } from './geometry.js';
import { resizeRgbPlanar, resizeU8 } from './resize-pil.js';
import { resizeRgbNormalisedWasm } from './resize-wasm.js';
import { wasmKernels, type Engine } from './wasm/kernels.js';
import { float32Tensor, outputBuffer, type Tensor } from './tensor.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, row-major R, G, B. */
  rgb: Uint8Array;
}

/**
 * Per channel, the 256 possible outputs of ToTensor + Normalize, computed with float32 rounding after each
 * step as torch does (fround of a double op on float32 operands is the correctly rounded float32 result).
 */
function normalisationTables(mean: readonly number[], std: readonly number[]): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const m = Math.fround(mean[c]!);
    const s = Math.fround(std[c]!);
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = Math.fround(Math.fround(Math.fround(v / 255) - m) / s);
    return lut;
  });
}

const tableCache = new Map<string, Float32Array[]>();
function tablesFor(params: VisionPreprocess): Float32Array[] {
  const key = `${params.mean.join(',')}|${params.std.join(',')}`;
  let t = tableCache.get(key);
  if (t === undefined) {
    t = normalisationTables(params.mean, params.std);
    tableCache.set(key, t);
  }
  return t;
}

/** The 256-entry lookup table per channel (exported for the golden test against torch). */
export function normalisationTable(params: VisionPreprocess): Float32Array[] {
  return tablesFor(params);
}

/** Interleaved RGB crop -> planar normalised float32 [3, h, w]. */
export function normaliseRgb(rgb: Uint8Array, width: number, height: number, params: VisionPreprocess, into?: Float32Array): Tensor {
  const [r, g, b] = tablesFor(params) as [Float32Array, Float32Array, Float32Array];
  const plane = width * height;
  const out = outputBuffer(3 * plane, into);
  for (let i = 0, p = 0; i < plane; i++, p += 3) {
    out[i] = r[rgb[p]!]!;
    out[plane + i] = g[rgb[p + 1]!]!;
    out[2 * plane + i] = b[rgb[p + 2]!]!;
  }
  return float32Tensor([3, height, width], out);
}

function checkImage(img: RgbImage, what: string): void {
  if (img.width <= 0 || img.height <= 0) throw new RangeError(`${what}: image is ${img.width}x${img.height}, expected at least 1x1 pixels`);
  if (img.rgb.length < img.width * img.height * 3) {
    throw new RangeError(`${what}: ${img.rgb.length} bytes of RGB for ${img.width}x${img.height}, expected ${img.width * img.height * 3}`);
  }
}

/** The resized, centre-cropped 8-bit RGB (interleaved) that Pillow would hand to ToTensor. */
export function visionCrop(img: RgbImage, params: VisionPreprocess, what = 'vision frame', into?: Uint8Array): Uint8Array {
  checkImage(img, what);
  const g = resizeCropGeometry(img.width, img.height, params.size, params.crop);
  const region = { left: g.left, top: g.top, width: g.crop, height: g.crop };
  return resizeU8(img.rgb, img.width, img.height, 3, g.width, g.height, region, params.interpolation, into);
}

/**
 * The Pillow-exact path: synchronous, no native calls; resize, crop and normalisation in one pass, in
 * WebAssembly SIMD where available. `engine: 'typescript'` forces the TypeScript port (tests compare the two).
 */
export function visionTensor(img: RgbImage, params: VisionPreprocess, what = 'vision frame', into?: Float32Array, engine: Engine = 'auto'): Tensor {
  checkImage(img, what);
  const g = resizeCropGeometry(img.width, img.height, params.size, params.crop);
  const region = { left: g.left, top: g.top, width: g.crop, height: g.crop };
  const out = outputBuffer(3 * g.crop * g.crop, into);
  // The SIMD kernels when they can run here and cover this geometry; the TypeScript port otherwise (same values).
  const wk = engine === 'auto' ? wasmKernels() : null;
  if (wk === null || !resizeRgbNormalisedWasm(wk, img.rgb, img.width, img.height, g.width, g.height, region, params.interpolation, params.mean, params.std, out)) {
    const luts = tablesFor(params) as [Float32Array, Float32Array, Float32Array];
    resizeRgbPlanar(img.rgb, img.width, img.height, g.width, g.height, region, params.interpolation, luts, out);
  }
  return float32Tensor([3, g.crop, g.crop], out);
}

/** The libvips path: sharp's cubic (Catmull-Rom, like Pillow's a = -0.5) resize, then the same crop. */
export async function visionCropSharp(img: RgbImage, params: VisionPreprocess, what = 'vision frame'): Promise<Uint8Array> {
  checkImage(img, what);
  const g = resizeCropGeometry(img.width, img.height, params.size, params.crop);
  const kernel = params.interpolation === 'bicubic' ? 'cubic' : 'linear';
  const crop = await (await loadSharp())(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(g.width, g.height, { kernel, fit: 'fill', fastShrinkOnLoad: false })
    .extract({ left: g.left, top: g.top, width: g.crop, height: g.crop })
    .raw()
    .toBuffer();
  return new Uint8Array(crop.buffer, crop.byteOffset, crop.length);
}

export async function visionTensorSharp(img: RgbImage, params: VisionPreprocess, what = 'vision frame', into?: Float32Array): Promise<Tensor> {
  return normaliseRgb(await visionCropSharp(img, params, what), params.crop, params.crop, params, into);
}

export function preprocessRgb(img: RgbImage, params: VisionPreprocess, what?: string, into?: Float32Array): Promise<Tensor> {
  return params.resizer === 'sharp' ? visionTensorSharp(img, params, what, into) : Promise.resolve(visionTensor(img, params, what, into));
}
