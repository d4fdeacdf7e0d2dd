/**
 * sensor_msgs/CompressedImage -> VisionSample or DepthSample, through sharp (libvips).
 * Formats as image_transport writes them: "jpeg", "png", "bgr8; jpeg compressed bgr8" (colour), and
 * compressed_depth_image_transport's "16UC1; compressedDepth [png]" / "32FC1; compressedDepth [png]":
 * a 12-byte ConfigHeader {int32 format; float32 depthQuantA, depthQuantB} then a 16-bit PNG holding
 * millimetres (16UC1) or quantised inverse depth (32FC1: metres = A / (v - B), v = 0 invalid); or, with
 * `... compressedDepth rvl`, the header, uint32 width, uint32 height and RVL-coded values (rvl.ts).
 */
import type { Sharp } from 'sharp';
import { loadSharp } from '../core/sharp.js';
import type { DepthSample, VisionSample } from '../core/types.js';
import { errorMessage } from '../core/errors.js';
import { bad, bytes, str, type Fields } from './fields.js';
import { decodeRvl } from './rvl.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const CONFIG_HEADER_BYTES = 12;

export function isCompressedDepthFormat(format: string): boolean {
  return format.toLowerCase().includes('compresseddepth');
}

function isPng(data: Uint8Array, at: number): boolean {
  return PNG_MAGIC.every((b, i) => data[at + i] === b);
}

async function decodeRaw(data: Uint8Array, what: string, depth: 'uchar' | 'ushort'): Promise<{ pixels: Uint8Array; width: number; height: number; channels: number }> {
  try {
    let img: Sharp = (await loadSharp())(data, { failOn: 'error' });
    img = depth === 'uchar' ? img.toColourspace('srgb').removeAlpha() : img.toColourspace('grey16');
    const { data: out, info } = await img.raw({ depth }).toBuffer({ resolveWithObject: true });
    return { pixels: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    return bad(`${what}: cannot decode: ${errorMessage(err)}`);
  }
}

/** PNG IHDR: bit depth 16 and colour type 0 (grey) or 4 (grey + alpha). */
function isGrey16Png(data: Uint8Array): boolean {
  return isPng(data, 0) && data.length > 25 && data[24] === 16 && (data[25] === 0 || data[25] === 4);
}

/** A colour/grey JPEG or PNG as packed RGB8. */
export async function decodeCompressedVision(msg: Fields, sensorId: string, stamp: bigint): Promise<VisionSample> {
  const format = str(msg, 'format');
  const data = bytes(msg, 'data');
  if (isCompressedDepthFormat(format)) bad(`format "${format}" is depth; map the topic to depth`);
  if (isGrey16Png(data)) bad(`format "${format}": a 16-bit single-channel PNG (a depth or thermal frame), not a camera picture; map the topic to depth or thermal`);
  const { pixels, width, height, channels } = await decodeRaw(data, `format "${format}"`, 'uchar');
  if (channels !== 3) bad(`format "${format}": decoded to ${channels} channels, expected 3`);
  return { modality: 'vision', sensorId, stamp, width, height, rgb: pixels };
}

/** compressedDepth (or a plain 16-bit PNG in millimetres) as metres. */
export async function decodeCompressedDepth(msg: Fields, sensorId: string, stamp: bigint): Promise<DepthSample> {
  const format = str(msg, 'format');
  const data = bytes(msg, 'data');
  const lower = format.toLowerCase();
  const compressedDepth = isCompressedDepthFormat(format);
  const float = lower.startsWith('32fc1');
  let png = data;
  let quantA = 0;
  let quantB = 0;
  const rvl = compressedDepth && lower.includes('rvl');
  if (rvl) {
    // header parsed below with the RVL size fields
  } else if (compressedDepth && !isPng(data, 0)) {
    if (data.length < CONFIG_HEADER_BYTES + 8 || !isPng(data, CONFIG_HEADER_BYTES)) {
      bad(`format "${format}": expected a 12-byte ConfigHeader then a PNG (${data.length} bytes)`);
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    quantA = view.getFloat32(4, true);
    quantB = view.getFloat32(8, true);
    png = data.subarray(CONFIG_HEADER_BYTES);
  } else if (float) {
    bad(`format "${format}": 32FC1 compressedDepth needs its ConfigHeader (quantisation parameters)`);
  }
  let values: Uint16Array;
  let width: number;
  let height: number;
  if (rvl) {
    if (data.length < CONFIG_HEADER_BYTES + 8) bad(`format "${format}": expected a 12-byte ConfigHeader, width and height (${data.length} bytes)`);
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    quantA = view.getFloat32(4, true);
    quantB = view.getFloat32(8, true);
    width = view.getUint32(CONFIG_HEADER_BYTES, true);
    height = view.getUint32(CONFIG_HEADER_BYTES + 4, true);
    if (width === 0 || height === 0 || width * height > 64 * 1024 * 1024) bad(`format "${format}": implausible size ${width}x${height}`);
    values = decodeRvl(data.subarray(CONFIG_HEADER_BYTES + 8), width * height);
  } else {
    const raw = await decodeRaw(png, `format "${format}"`, 'ushort');
    if (raw.channels !== 1) bad(`format "${format}": depth PNG has ${raw.channels} channels, expected 1`);
    const aligned = raw.pixels.byteOffset % 2 === 0 ? raw.pixels : raw.pixels.slice();
    ({ width, height } = raw);
    values = new Uint16Array(aligned.buffer, aligned.byteOffset, width * height);
  }
  const metres = new Float32Array(width * height);
  for (let i = 0; i < metres.length; i++) {
    const v = values[i]!;
    if (v === 0) metres[i] = Number.NaN;
    else metres[i] = float ? quantA / (v - quantB) : v / 1000;
  }
  return { modality: 'depth', sensorId, stamp, width, height, metres };
}
