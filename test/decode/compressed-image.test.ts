import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeCompressedDepth, decodeCompressedVision } from '../../src/decode/compressed-image.js';
import { mustData } from '../helpers/data.js';
import { encodePng } from './png-encode.js';

const msg = (format: string, data: Uint8Array) => ({ header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, format, data });

function configHeader(format: number, a: number, b: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeInt32LE(format, 0);
  h.writeFloatLE(a, 4);
  h.writeFloatLE(b, 8);
  return h;
}

describe('CompressedImage', () => {
  it('png colour decodes to exact RGB', async () => {
    const pixels = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
    const s = await decodeCompressedVision(msg('png', encodePng(2, 2, 'rgb8', pixels)), '/c', 3n);
    expect([s.width, s.height, s.stamp]).toEqual([2, 2, 3n]);
    expect(Array.from(s.rgb)).toEqual(pixels);
  });

  it('jpeg decodes (flat colour survives JPEG within 2 levels) including image_transport format strings', async () => {
    const jpeg = await sharp({ create: { width: 16, height: 8, channels: 3, background: { r: 200, g: 100, b: 50 } } }).jpeg({ quality: 95 }).toBuffer();
    const s = await decodeCompressedVision(msg('bgr8; jpeg compressed bgr8', jpeg), '/c', 0n);
    expect([s.width, s.height, s.rgb.length]).toEqual([16, 8, 16 * 8 * 3]);
    for (let i = 0; i < s.rgb.length; i += 3) {
      expect(Math.abs(s.rgb[i]! - 200)).toBeLessThanOrEqual(2);
      expect(Math.abs(s.rgb[i + 1]! - 100)).toBeLessThanOrEqual(2);
      expect(Math.abs(s.rgb[i + 2]! - 50)).toBeLessThanOrEqual(2);
    }
  });

  it('real RGB-D colour JPEG (rtabmap) decodes at its size', async () => {
    const jpeg = await readFile(mustData('depth/rtabmap/rgb/17.jpg'));
    const meta = await sharp(jpeg).metadata();
    const s = await decodeCompressedVision(msg('jpeg', jpeg), '/c', 0n);
    expect([s.width, s.height]).toEqual([meta.width, meta.height]);
  });

  it('16UC1 compressedDepth: ConfigHeader + 16-bit PNG in mm, 0 = NaN', async () => {
    const png = encodePng(2, 2, 'grey16', [0, 1000, 65535, 1234]);
    const s = await decodeCompressedDepth(msg('16UC1; compressedDepth png', Buffer.concat([configHeader(0, 0, 0), png])), '/d', 0n);
    const m = Array.from(s.metres);
    expect(Number.isNaN(m[0])).toBe(true);
    expect(m.slice(1)).toEqual([1, Math.fround(65.535), Math.fround(1.234)]);
  });

  it('32FC1 compressedDepth: inverse depth quantisation metres = A / (v - B)', async () => {
    // compressed_depth_image_transport: depthQuantA = depth_quantization * (depth_quantization + 1), B = 1 - A / max_depth
    const qa = 100 * 101;
    const qb = 1 - qa / 10;
    const depths = [0.5, 2, 8];
    const values = depths.map((d) => Math.round(qa / d + qb));
    const png = encodePng(4, 1, 'grey16', [0, ...values]);
    const s = await decodeCompressedDepth(msg('32FC1; compressedDepth', Buffer.concat([configHeader(0, qa, qb), png])), '/d', 0n);
    const m = Array.from(s.metres);
    expect(Number.isNaN(m[0])).toBe(true);
    values.forEach((v, i) => expect(m[i + 1]).toBe(Math.fround(Math.fround(qa) / (v - Math.fround(qb)))));
    depths.forEach((d, i) => expect(Math.abs(m[i + 1]! - d)).toBeLessThan(0.01 * d));
  });

  it('16UC1 compressedDepth rvl: hand-encoded stream decodes exactly', async () => {
    // pixels [0, 0, 1000, 1003, 0]: zeros=2, nonzeros=2, deltas +1000, +3 (zig-zag 2000, 6), zeros=1, nonzeros=0
    // VLE nibbles (3-bit payloads, low bits first, 8 = more): 2 | 2 | 2000 = 0b11_111_010_000 -> 8|0, 8|2, 8|7, 3
    // | 6 | 1 | 0, packed MSB-first into a little-endian uint32 word, padded with zero nibbles
    const nibbles = [2, 2, 0x8, 0xa, 0xf, 3, 6, 1, 0];
    while (nibbles.length % 8 !== 0) nibbles.push(0);
    const words = Buffer.alloc(nibbles.length / 2);
    for (let w = 0; w < nibbles.length / 8; w++) {
      let v = 0;
      for (let k = 0; k < 8; k++) v = v * 16 + nibbles[w * 8 + k]!;
      words.writeUInt32LE(v, w * 4);
    }
    const size = Buffer.alloc(8);
    size.writeUInt32LE(5, 0);
    size.writeUInt32LE(1, 4);
    const s = await decodeCompressedDepth(msg('16UC1; compressedDepth rvl', Buffer.concat([configHeader(0, 0, 0), size, words])), '/d', 0n);
    expect([s.width, s.height]).toEqual([5, 1]);
    const m = Array.from(s.metres);
    expect(m.map((v) => (Number.isNaN(v) ? 'nan' : v))).toEqual(['nan', 'nan', 1, Math.fround(1.003), 'nan']);
  });

  it('real 16-bit depth PNG (rtabmap, mm) on a vision topic is bad, not a black frame', async () => {
    const png = await readFile(mustData('depth/rtabmap/depth/17.png'));
    await expect(decodeCompressedVision(msg('png', png), '/c', 0n)).rejects.toThrow(/format "png": a 16-bit single-channel PNG \(a depth or thermal frame\), not a camera picture; map the topic to depth or thermal/);
    // The 8-bit colour frame of the same camera still decodes.
    const jpeg = await readFile(mustData('depth/rtabmap/rgb/17.jpg'));
    expect((await decodeCompressedVision(msg('jpeg', jpeg), '/c', 0n)).width).toBe(640);
  });

  it('real 16-bit depth PNG (rtabmap, mm) as plain png mapped to depth', async () => {
    const png = await readFile(mustData('depth/rtabmap/depth/17.png'));
    const s = await decodeCompressedDepth(msg('16UC1; png', png), '/d', 0n);
    const valid = Array.from(s.metres).filter((v) => Number.isFinite(v));
    expect(s.width * s.height).toBe(s.metres.length);
    expect(valid.length).toBeGreaterThan(s.metres.length / 4);
    expect(valid.reduce((a, b) => Math.min(a, b))).toBeGreaterThan(0.1);
    expect(valid.reduce((a, b) => Math.max(a, b))).toBeLessThan(20);
  });

  it('malformed: garbage bytes, missing header, RVL, depth format on vision', async () => {
    await expect(decodeCompressedVision(msg('jpeg', new Uint8Array([1, 2, 3])), '/c', 0n)).rejects.toThrow(/format "jpeg": cannot decode/);
    await expect(decodeCompressedDepth(msg('32FC1; compressedDepth', encodePng(1, 1, 'grey16', [5])), '/d', 0n)).rejects.toThrow(/needs its ConfigHeader/);
    await expect(decodeCompressedDepth(msg('16UC1; compressedDepth rvl', Buffer.concat([configHeader(0, 0, 0), Buffer.from([4, 0, 0, 0, 4, 0, 0, 0])])), '/d', 0n)).rejects.toThrow(/RVL data ends early/);
    await expect(decodeCompressedDepth(msg('16UC1; compressedDepth', new Uint8Array(40)), '/d', 0n)).rejects.toThrow(/12-byte ConfigHeader then a PNG/);
    await expect(decodeCompressedVision(msg('16UC1; compressedDepth', new Uint8Array(4)), '/c', 0n)).rejects.toThrow(/is depth/);
  });
});
