import { describe, expect, it } from 'vitest';
import { dot, meanNormalized, norm, normalized } from '../../src/core/vector.js';

describe('vector', () => {
  it('normalises into a new array and leaves the input alone', () => {
    const v = Float32Array.of(3, 4);
    expect(Array.from(normalized(v)!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(Array.from(v)).toEqual([3, 4]);
  });

  it('gives no direction for a zero or non-finite vector', () => {
    expect(normalized(new Float32Array(4))).toBeUndefined();
    expect(normalized(Float32Array.of(1, Number.NaN))).toBeUndefined();
    expect(normalized(Float32Array.of(1, Number.POSITIVE_INFINITY))).toBeUndefined();
  });

  it('averages unit vectors and re-normalises the mean', () => {
    const mean = meanNormalized([Float32Array.of(1, 0), Float32Array.of(0, 1)])!;
    expect(norm(mean)).toBeCloseTo(1, 6);
    expect(dot(mean, Float32Array.of(Math.SQRT1_2, Math.SQRT1_2))).toBeCloseTo(1, 6);
    expect(meanNormalized([])).toBeUndefined();
    expect(meanNormalized([Float32Array.of(1, 0), Float32Array.of(-1, 0)])).toBeUndefined();
  });

  it('refuses vectors of different lengths', () => {
    expect(() => meanNormalized([new Float32Array(2), new Float32Array(3)])).toThrow(/lengths 2 and 3/);
  });
});
