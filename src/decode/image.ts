/**
 * sensor_msgs/Image -> VisionSample (packed RGB8), DepthSample (metres) or ThermalSample (raw values).
 * `step` (bytes per row, may include padding) and `is_bigendian` are honoured; the data must hold
 * step * height bytes. YUV 4:2:2 follows ROS's names: `yuv422`/`uyvy` is U Y0 V Y1, `yuv422_yuy2`/`yuyv`
 * is Y0 U Y1 V, converted with OpenCV's fixed-point BT.601 video-range coefficients (what cv_bridge does).
 * Depth follows REP-118: 16UC1 in millimetres with 0 = invalid (-> NaN), 32FC1 in metres as is.
 */
import type { DepthSample, ThermalSample, VisionSample } from '../core/types.js';
import { bad, bytes, num, str, type Fields } from './fields.js';

export type FrameModality = 'vision' | 'depth' | 'thermal';
export type FrameSample = VisionSample | DepthSample | ThermalSample;

interface Layout {
  /** Bytes per pixel in the message. */
  bpp: number;
  kind: 'rgb' | 'bgr' | 'rgba' | 'bgra' | 'mono8' | 'mono16' | 'float32' | 'uyvy' | 'yuyv';
}

const LAYOUTS: Record<string, Layout> = {
  rgb8: { bpp: 3, kind: 'rgb' },
  bgr8: { bpp: 3, kind: 'bgr' },
  '8uc3': { bpp: 3, kind: 'bgr' }, // OpenCV's default channel order
  rgba8: { bpp: 4, kind: 'rgba' },
  bgra8: { bpp: 4, kind: 'bgra' },
  '8uc4': { bpp: 4, kind: 'bgra' },
  mono8: { bpp: 1, kind: 'mono8' },
  '8uc1': { bpp: 1, kind: 'mono8' },
  mono16: { bpp: 2, kind: 'mono16' },
  '16uc1': { bpp: 2, kind: 'mono16' },
  '32fc1': { bpp: 4, kind: 'float32' },
  yuv422: { bpp: 2, kind: 'uyvy' },
  uyvy: { bpp: 2, kind: 'uyvy' },
  yuv422_yuy2: { bpp: 2, kind: 'yuyv' },
  yuyv: { bpp: 2, kind: 'yuyv' },
};

const IMAGE_ENCODINGS = Object.keys(LAYOUTS);

/** The modality an image of `encoding` becomes when the config does not say (REP-118 depth encodings). */
export function defaultImageModality(encoding: string): FrameModality {
  const e = encoding.toLowerCase();
  return e === '16uc1' || e === '32fc1' ? 'depth' : 'vision';
}

/**
 * Decodes a sensor_msgs/Image; throws SensebindError('INPUT') naming the field on a malformed message.
 * `owned`: the message's bytes are not reused after this call (a live message). Then packed rgb8 pixels
 * are used in place, and other layouts are converted on first read of `rgb`/`metres`/`values` (memoised),
 * because a live camera replaces most frames in the newest-frame slot before a snapshot reads one. Every
 * check happens here, so the deferred conversion cannot fail.
 */
export function decodeImage(msg: Fields, modality: FrameModality | undefined, sensorId: string, stamp: bigint, owned = false): FrameSample {
  const width = num(msg, 'width');
  const height = num(msg, 'height');
  const encoding = str(msg, 'encoding');
  const step = num(msg, 'step');
  const bigEndian = num(msg, 'is_bigendian') !== 0;
  const data = bytes(msg, 'data');
  const layout = LAYOUTS[encoding.toLowerCase()];
  if (layout === undefined) bad(`encoding "${encoding}" is not supported (expected one of ${IMAGE_ENCODINGS.join(', ')})`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    bad(`size ${width}x${height}: expected positive integers`);
  }
  if ((layout.kind === 'uyvy' || layout.kind === 'yuyv') && width % 2 !== 0) bad(`${encoding}: width ${width} must be even`);
  if (!Number.isInteger(step) || step < width * layout.bpp) bad(`step ${step} < width ${width} * ${layout.bpp} bytes per pixel`);
  if (data.length < step * height) bad(`data has ${data.length} bytes, expected step ${step} * height ${height} = ${step * height}`);
  const target = modality ?? defaultImageModality(encoding);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (owned) {
    const reason = unconvertible(layout, target, encoding);
    if (reason !== undefined) bad(reason);
    const base = { sensorId, stamp, width, height };
    switch (target) {
      case 'vision':
        if (layout.kind === 'rgb' && step === width * 3) return { modality: 'vision', ...base, rgb: data.subarray(0, width * height * 3) };
        return deferred({ modality: 'vision' as const, ...base }, 'rgb', () => toRgb(data, view, layout, width, height, step, bigEndian, encoding));
      case 'depth':
        return deferred({ modality: 'depth' as const, ...base }, 'metres', () => toMetres(view, layout, width, height, step, bigEndian, encoding));
      case 'thermal':
        return deferred({ modality: 'thermal' as const, ...base }, 'values', () => toValues(data, view, layout, width, height, step, bigEndian, encoding));
    }
  }
  switch (target) {
    case 'vision':
      return { modality: 'vision', sensorId, stamp, width, height, rgb: toRgb(data, view, layout, width, height, step, bigEndian, encoding) };
    case 'depth':
      return { modality: 'depth', sensorId, stamp, width, height, metres: toMetres(view, layout, width, height, step, bigEndian, encoding) };
    case 'thermal':
      return { modality: 'thermal', sensorId, stamp, width, height, values: toValues(data, view, layout, width, height, step, bigEndian, encoding) };
  }
}

/** Why an image of `layout` cannot become `target` (what the converters below would throw), or undefined. */
function unconvertible(layout: Layout, target: FrameModality, enc: string): string | undefined {
  switch (target) {
    case 'vision':
      return layout.kind === 'float32' ? `encoding ${enc} is a float image; map the topic to depth or thermal, not vision` : undefined;
    case 'depth':
      return layout.kind === 'mono16' || layout.kind === 'float32' ? undefined : `encoding ${enc} cannot be depth (expected 16UC1 in mm or 32FC1 in m, REP-118)`;
    case 'thermal':
      return layout.kind === 'mono8' || layout.kind === 'mono16' || layout.kind === 'float32'
        ? undefined
        : `encoding ${enc} cannot be thermal (expected a single channel: mono8, mono16, 16UC1 or 32FC1)`;
  }
}

/** `base` with `key` computed on first read and kept (an enumerable accessor, so spreads and clones see a value). */
function deferred<B extends object, K extends string, V>(base: B, key: K, make: () => V): B & Record<K, V> {
  let value: V | undefined;
  return Object.defineProperty(base, key, { enumerable: true, configurable: true, get: () => (value ??= make()) }) as B & Record<K, V>;
}

function toRgb(data: Uint8Array, view: DataView, layout: Layout, w: number, h: number, step: number, be: boolean, enc: string): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * step;
    let o = y * w * 3;
    switch (layout.kind) {
      case 'rgb':
        out.set(data.subarray(row, row + w * 3), o);
        break;
      case 'bgr':
      case 'rgba':
      case 'bgra': {
        const swap = layout.kind !== 'rgba';
        for (let x = 0, i = row; x < w; x++, i += layout.bpp, o += 3) {
          out[o] = data[swap ? i + 2 : i]!;
          out[o + 1] = data[i + 1]!;
          out[o + 2] = data[swap ? i : i + 2]!;
        }
        break;
      }
      case 'mono8':
        for (let x = 0; x < w; x++, o += 3) out[o] = out[o + 1] = out[o + 2] = data[row + x]!;
        break;
      case 'mono16':
        // 16-bit grey to 8-bit keeps the high byte (cv_bridge's mono16 -> mono8 scaling, 1/256).
        for (let x = 0; x < w; x++, o += 3) out[o] = out[o + 1] = out[o + 2] = view.getUint16(row + 2 * x, !be) >> 8;
        break;
      case 'uyvy':
      case 'yuyv': {
        const uyvy = layout.kind === 'uyvy';
        for (let x = 0, i = row; x < w; x += 2, i += 4, o += 6) {
          const u = data[uyvy ? i : i + 1]!;
          const y0 = data[uyvy ? i + 1 : i]!;
          const v = data[uyvy ? i + 2 : i + 3]!;
          const y1 = data[i + 3 - (uyvy ? 0 : 1)]!;
          yuvToRgb(y0, u, v, out, o);
          yuvToRgb(y1, u, v, out, o + 3);
        }
        break;
      }
      case 'float32':
        bad(`encoding ${enc} is a float image; map the topic to depth or thermal, not vision`);
    }
  }
  return out;
}

// OpenCV's ITU-R BT.601 fixed-point coefficients (imgproc color_yuv), 20-bit shift.
const SHIFT = 20;
const HALF = 1 << (SHIFT - 1);
const CY = 1220542;
const CUB = 2116026;
const CUG = -409993;
const CVG = -852492;
const CVR = 1673527;

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** One pixel of video-range BT.601 YUV to RGB, exactly as OpenCV's COLOR_YUV2RGB_UYVY/YUY2. */
export function yuvToRgb(y: number, u: number, v: number, out: Uint8Array, o: number): void {
  const yy = Math.max(0, y - 16) * CY;
  const uu = u - 128;
  const vv = v - 128;
  out[o] = clamp8((yy + HALF + CVR * vv) >> SHIFT);
  out[o + 1] = clamp8((yy + HALF + CVG * vv + CUG * uu) >> SHIFT);
  out[o + 2] = clamp8((yy + HALF + CUB * uu) >> SHIFT);
}

function toMetres(view: DataView, layout: Layout, w: number, h: number, step: number, be: boolean, enc: string): Float32Array {
  const out = new Float32Array(w * h);
  if (layout.kind === 'mono16') {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const mm = view.getUint16(y * step + 2 * x, !be);
        out[y * w + x] = mm === 0 ? Number.NaN : mm / 1000;
      }
    }
    return out;
  }
  if (layout.kind === 'float32') {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = view.getFloat32(y * step + 4 * x, !be);
    return out;
  }
  return bad(`encoding ${enc} cannot be depth (expected 16UC1 in mm or 32FC1 in m, REP-118)`);
}

function toValues(data: Uint8Array, view: DataView, layout: Layout, w: number, h: number, step: number, be: boolean, enc: string): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const at = y * step;
      switch (layout.kind) {
        case 'mono8':
          out[y * w + x] = data[at + x]!;
          break;
        case 'mono16':
          out[y * w + x] = view.getUint16(at + 2 * x, !be);
          break;
        case 'float32':
          out[y * w + x] = view.getFloat32(at + 4 * x, !be);
          break;
        default:
          bad(`encoding ${enc} cannot be thermal (expected a single channel: mono8, mono16, 16UC1 or 32FC1)`);
      }
    }
  }
  return out;
}
