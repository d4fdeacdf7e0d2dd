/**
 * RVL depth decompression (Wilson, "Fast Lossless Depth Image Compression", 2017), as used by
 * compressed_depth_image_transport's `rvl` format: run lengths of zeros and non-zeros, and zig-zag
 * coded deltas between non-zero pixels, each a variable-length code of 3-bit nibble payloads (high bit =
 * more follows), packed most significant nibble first into little-endian 32-bit words.
 */
import { bad } from './fields.js';

export function decodeRvl(input: Uint8Array, pixels: number): Uint16Array {
  const out = new Uint16Array(pixels);
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  let at = 0;
  let word = 0;
  let nibbles = 0;
  const vle = (): number => {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (nibbles === 0) {
        if (at + 4 > input.length) bad(`RVL data ends early (${input.length} bytes for ${pixels} pixels)`);
        word = view.getUint32(at, true);
        at += 4;
        nibbles = 8;
      }
      const nibble = word >>> 28;
      word = (word << 4) >>> 0;
      nibbles--;
      value += (nibble & 7) * 2 ** shift;
      shift += 3;
      if ((nibble & 8) === 0) return value;
      if (shift > 32) bad('RVL code longer than 32 bits');
    }
  };
  let o = 0;
  let previous = 0;
  while (o < pixels) {
    const zeros = vle();
    if (o + zeros > pixels) bad(`RVL run of ${zeros} zeros overruns ${pixels} pixels`);
    o += zeros; // already 0
    const nonzeros = vle();
    if (o + nonzeros > pixels) bad(`RVL run of ${nonzeros} values overruns ${pixels} pixels`);
    for (let k = 0; k < nonzeros; k++) {
      const positive = vle();
      const delta = (positive >>> 1) ^ -(positive & 1);
      previous = (previous + delta) & 0xffff;
      out[o++] = previous;
    }
  }
  return out;
}
