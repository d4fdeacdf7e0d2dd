import { describe, expect, it } from 'vitest';
import { decodeImage, yuvToRgb } from '../../src/decode/image.js';

const img = (encoding: string, width: number, height: number, step: number, data: number[] | Uint8Array, is_bigendian = 0) => ({
  header: { stamp: { sec: 1, nanosec: 5 }, frame_id: 'cam' },
  width,
  height,
  encoding,
  is_bigendian,
  step,
  data: data instanceof Uint8Array ? data : Uint8Array.from(data),
});

describe('decodeImage: colour encodings to packed RGB8', () => {
  // 2x2 image, rows padded to step 8 (6 bytes of pixels + 2 padding bytes that must be ignored)
  it('rgb8 with row padding', () => {
    const s = decodeImage(img('rgb8', 2, 2, 8, [1, 2, 3, 4, 5, 6, 99, 99, 7, 8, 9, 10, 11, 12, 99, 99]), undefined, '/c', 7n);
    expect(s.modality).toBe('vision');
    if (s.modality !== 'vision') return;
    expect([s.width, s.height, s.stamp, s.sensorId]).toEqual([2, 2, 7n, '/c']);
    expect(Array.from(s.rgb)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
  it('bgr8 swaps to RGB', () => {
    const s = decodeImage(img('bgr8', 2, 1, 6, [1, 2, 3, 4, 5, 6]), undefined, '/c', 0n);
    expect(Array.from((s as { rgb: Uint8Array }).rgb)).toEqual([3, 2, 1, 6, 5, 4]);
  });
  it('rgba8 drops alpha, bgra8 swaps and drops alpha', () => {
    const a = decodeImage(img('rgba8', 2, 1, 8, [1, 2, 3, 255, 4, 5, 6, 0]), undefined, '/c', 0n);
    expect(Array.from((a as { rgb: Uint8Array }).rgb)).toEqual([1, 2, 3, 4, 5, 6]);
    const b = decodeImage(img('bgra8', 2, 1, 10, [1, 2, 3, 255, 4, 5, 6, 0, 77, 77]), undefined, '/c', 0n);
    expect(Array.from((b as { rgb: Uint8Array }).rgb)).toEqual([3, 2, 1, 6, 5, 4]);
  });
  it('mono8 replicates grey; mono16 keeps the high byte, honouring is_bigendian', () => {
    const m8 = decodeImage(img('mono8', 3, 1, 4, [0, 128, 255, 9]), undefined, '/c', 0n);
    expect(Array.from((m8 as { rgb: Uint8Array }).rgb)).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255]);
    const le = decodeImage(img('mono16', 2, 1, 4, [0x34, 0x12, 0xff, 0xab]), undefined, '/c', 0n);
    expect(Array.from((le as { rgb: Uint8Array }).rgb)).toEqual([0x12, 0x12, 0x12, 0xab, 0xab, 0xab]);
    const be = decodeImage(img('mono16', 2, 1, 4, [0x12, 0x34, 0xab, 0xff], 1), undefined, '/c', 0n);
    expect(Array.from((be as { rgb: Uint8Array }).rgb)).toEqual([0x12, 0x12, 0x12, 0xab, 0xab, 0xab]);
  });
  it('yuv422 (UYVY) and yuyv (YUY2) convert with BT.601 video range', () => {
    // black (Y=16), white (Y=235), neutral chroma
    const uyvy = decodeImage(img('yuv422', 2, 1, 4, [128, 16, 128, 235]), undefined, '/c', 0n);
    expect(Array.from((uyvy as { rgb: Uint8Array }).rgb)).toEqual([0, 0, 0, 255, 255, 255]);
    const yuyv = decodeImage(img('yuyv', 2, 1, 4, [16, 128, 235, 128]), undefined, '/c', 0n);
    expect(Array.from((yuyv as { rgb: Uint8Array }).rgb)).toEqual([0, 0, 0, 255, 255, 255]);
    // colours: R = 1.164(Y-16) + 1.596(V-128), G = 1.164(Y-16) - 0.813(V-128) - 0.391(U-128),
    // B = 1.164(Y-16) + 2.018(U-128), rounded and clamped (values worked out by hand from the formula)
    const out = new Uint8Array(3);
    yuvToRgb(81, 90, 240, out, 0); // studio red: 75.66 + 178.75 = 254.4
    expect(Array.from(out)).toEqual([254, 0, 0]);
    yuvToRgb(145, 54, 34, out, 0); // studio green
    expect(Array.from(out)).toEqual([0, 255, 1]);
    yuvToRgb(200, 100, 160, out, 0);
    expect(Array.from(out)).toEqual([255, 199, 158]);
    yuvToRgb(41, 240, 110, out, 0); // BT.601 blue
    expect(Array.from(out)).toEqual([0, 0, 255]);
    yuvToRgb(126, 128, 128, out, 0); // mid grey: (126-16)*1.164 = 128.04
    expect(Array.from(out)).toEqual([128, 128, 128]);
  });
});

describe('decodeImage: depth (REP-117/118)', () => {
  it('16UC1 is millimetres, 0 = invalid, both byte orders', () => {
    const le = decodeImage(img('16UC1', 3, 1, 6, [0, 0, 0xe8, 0x03, 0x34, 0x12]), undefined, '/d', 0n);
    expect(le.modality).toBe('depth');
    const m = (le as { metres: Float32Array }).metres;
    expect(Number.isNaN(m[0])).toBe(true);
    expect(m[1]).toBe(Math.fround(1));
    expect(m[2]).toBe(Math.fround(0x1234 / 1000));
    const be = decodeImage(img('16UC1', 1, 1, 2, [0x03, 0xe8], 1), undefined, '/d', 0n);
    expect((be as { metres: Float32Array }).metres[0]).toBe(1);
  });
  it('32FC1 is metres with NaN and +-Inf kept; step padding and big-endian honoured', () => {
    const buf = new ArrayBuffer(2 * 12);
    const v = new DataView(buf);
    [1.5, Number.NaN, Number.POSITIVE_INFINITY].forEach((x, i) => v.setFloat32(i * 4, x, true));
    [Number.NEGATIVE_INFINITY, 0.25].forEach((x, i) => v.setFloat32(12 + i * 4, x, true));
    const s = decodeImage(img('32FC1', 2, 2, 12, new Uint8Array(buf)), undefined, '/d', 0n);
    const m = Array.from((s as { metres: Float32Array }).metres);
    expect(m[0]).toBe(1.5);
    expect(Number.isNaN(m[1])).toBe(true);
    expect(m.slice(2)).toEqual([Number.NEGATIVE_INFINITY, 0.25]);
    const bbuf = new DataView(new ArrayBuffer(4));
    bbuf.setFloat32(0, 2.5, false);
    const b = decodeImage(img('32FC1', 1, 1, 4, new Uint8Array(bbuf.buffer), 1), undefined, '/d', 0n);
    expect((b as { metres: Float32Array }).metres[0]).toBe(2.5);
  });
  it('thermal takes single-channel raw values', () => {
    const s = decodeImage(img('mono16', 2, 1, 4, [0x10, 0x27, 1, 0]), 'thermal', '/t', 0n);
    expect(s.modality).toBe('thermal');
    expect(Array.from((s as { values: Float32Array }).values)).toEqual([10000, 1]);
  });
});

describe('decodeImage: malformed messages throw a clear reason', () => {
  it.each([
    [img('rgb8', 2, 2, 6, [1, 2, 3]), /data has 3 bytes, expected step 6 \* height 2 = 12/],
    [img('rgb8', 2, 1, 5, new Uint8Array(6)), /step 5 < width 2 \* 3/],
    [img('hsv8', 1, 1, 3, new Uint8Array(3)), /encoding "hsv8" is not supported/],
    [img('yuv422', 3, 1, 6, new Uint8Array(6)), /width 3 must be even/],
    [img('rgb8', 0, 1, 0, new Uint8Array(0)), /size 0x1/],
    [{ width: 1, height: 1, encoding: 'rgb8', step: 3, is_bigendian: 0 }, /field data: expected a byte array, found nothing/],
  ])('%#', (msg, reason) => {
    expect(() => decodeImage(msg as never, undefined, '/c', 0n)).toThrow(reason);
  });
  it('refuses colour as depth and float as vision', () => {
    expect(() => decodeImage(img('rgb8', 1, 1, 3, new Uint8Array(3)), 'depth', '/c', 0n)).toThrow(/cannot be depth/);
    expect(() => decodeImage(img('32FC1', 1, 1, 4, new Uint8Array(4)), 'vision', '/c', 0n)).toThrow(/float image/);
  });
});

describe('decodeImage of a live message (owned: pixels converted on first read)', () => {
  const cases: Array<[string, ReturnType<typeof img>, 'vision' | 'depth' | 'thermal' | undefined]> = [
    ['rgb8 packed', img('rgb8', 2, 2, 6, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), undefined],
    ['rgb8 with row padding', img('rgb8', 2, 2, 8, [1, 2, 3, 4, 5, 6, 99, 99, 7, 8, 9, 10, 11, 12, 99, 99]), undefined],
    ['bgr8', img('bgr8', 2, 1, 6, [1, 2, 3, 4, 5, 6]), undefined],
    ['mono16 big-endian', img('mono16', 2, 1, 4, [0x12, 0x34, 0xab, 0xff], 1), undefined],
    ['yuyv', img('yuyv', 2, 1, 4, [16, 128, 235, 128]), undefined],
    ['16UC1', img('16UC1', 3, 1, 6, [0, 0, 0xe8, 0x03, 0x34, 0x12]), undefined],
    ['32FC1 padded', img('32FC1', 1, 2, 8, new Uint8Array(new Float32Array([1.5, 7, Number.NaN, 7]).buffer)), undefined],
    ['thermal mono16', img('mono16', 2, 1, 4, [0x10, 0x27, 1, 0]), 'thermal'],
  ];
  it.each(cases)('%s: the same sample as decoding at once', (_name, msg, modality) => {
    const eager = decodeImage(msg, modality, '/c', 3n);
    const live = decodeImage(msg, modality, '/c', 3n, true);
    expect(live).toEqual(eager);
    // a spread or a structured clone (the preprocessing workers) sees the pixels too
    expect({ ...live }).toEqual(eager);
    expect(structuredClone(live)).toEqual(eager);
  });
  it('packed rgb8 is used in place; depth is converted once, when first read', () => {
    const msg = img('16UC1', 2, 1, 4, [0xe8, 0x03, 0xd0, 0x07]);
    const live = decodeImage(msg, undefined, '/d', 0n, true) as { metres: Float32Array };
    msg.data[0] = 0xd0; // 1000 mm -> 2000 mm before anyone read the frame
    msg.data[1] = 0x07;
    const first = live.metres;
    expect(Array.from(first)).toEqual([2, 2]);
    expect(live.metres).toBe(first);
    const rgb = img('rgb8', 1, 1, 3, [1, 2, 3]);
    expect((decodeImage(rgb, undefined, '/c', 0n, true) as { rgb: Uint8Array }).rgb.buffer).toBe(rgb.data.buffer);
  });
  it('still refuses a bad message at once, with the same reasons', () => {
    expect(() => decodeImage(img('rgb8', 1, 1, 3, new Uint8Array(3)), 'depth', '/c', 0n, true)).toThrow(/cannot be depth/);
    expect(() => decodeImage(img('32FC1', 1, 1, 4, new Uint8Array(4)), 'vision', '/c', 0n, true)).toThrow(/float image/);
    expect(() => decodeImage(img('bgr8', 1, 1, 3, new Uint8Array(3)), 'thermal', '/c', 0n, true)).toThrow(/cannot be thermal/);
    expect(() => decodeImage(img('rgb8', 2, 2, 6, [1, 2, 3]), undefined, '/c', 0n, true)).toThrow(/data has 3 bytes/);
  });
});
