import { describe, expect, it } from 'vitest';
import { float32ToHalf, fromHalfBits, halfToFloat32, toHalfBits } from '../../src/embed/float16.js';

describe('float16 conversion', () => {
  it('encodes known values exactly', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff); // largest half
    expect(toHalfBits(1e6)).toBe(0x7c00); // overflow -> Inf
    expect(toHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalfBits(2 ** -26)).toBe(0x0000); // underflow
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // halfway: ties to even (down)
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway: ties to even (up)
  });

  it('decodes every finite half back to the value that encodes to it', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = fromHalfBits(h);
      if (Number.isNaN(x)) continue;
      expect(toHalfBits(x)).toBe(h === 0x8000 ? 0x8000 : h);
    }
  });

  it('round-trips arrays within half precision', () => {
    const src = new Float32Array([0.1, -0.333, 3.14159, 1e-5, 1000]);
    const back = halfToFloat32(float32ToHalf(src));
    src.forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -24));
  });
});
