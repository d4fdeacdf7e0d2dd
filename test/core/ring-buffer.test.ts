import { describe, expect, it } from 'vitest';
import { Float32Ring, Float64Ring } from '../../src/core/ring-buffer.js';

describe('Float32Ring', () => {
  it('keeps the newest values in order and counts evictions', () => {
    const ring = new Float32Ring(5);
    expect(ring.push(Float32Array.of(1, 2, 3))).toBe(0);
    expect(ring.push(Float32Array.of(4, 5, 6, 7))).toBe(2);
    expect(Array.from(ring.latest(5))).toEqual([3, 4, 5, 6, 7]);
    expect(Array.from(ring.latest(2))).toEqual([6, 7]);
    expect(ring.evicted).toBe(2);
    expect(ring.pushed).toBe(7);
    expect(ring.at(0)).toBe(3);
  });

  it('accepts a push larger than its capacity, keeping only the tail', () => {
    const ring = new Float32Ring(3);
    ring.push([9]);
    expect(ring.push([1, 2, 3, 4, 5])).toBe(3);
    expect(Array.from(ring.latest(3))).toEqual([3, 4, 5]);
    expect(ring.evicted).toBe(3);
  });

  it('fills gaps with zeros, including gaps longer than the ring', () => {
    const ring = new Float32Ring(4);
    ring.push([1, 2]);
    ring.pushZeros(1);
    expect(Array.from(ring.latest(3))).toEqual([1, 2, 0]);
    expect(ring.pushZeros(10)).toBe(3 + 6);
    expect(Array.from(ring.latest(4))).toEqual([0, 0, 0, 0]);
    expect(ring.pushed).toBe(13);
  });

  it('refuses reads beyond what it holds and bad capacities', () => {
    const ring = new Float32Ring(4);
    ring.push([1]);
    expect(() => ring.latest(2)).toThrow(/only 1/);
    expect(() => ring.at(1)).toThrow(RangeError);
    expect(() => new Float32Ring(0)).toThrow(/positive integer/);
  });

  it('wraps correctly across many pushes (matches a reference array)', () => {
    const ring = new Float32Ring(7);
    const all: number[] = [];
    let v = 0;
    for (let i = 0; i < 50; i++) {
      const chunk = Array.from({ length: (i % 4) + 1 }, () => v++);
      all.push(...chunk);
      ring.push(Float32Array.from(chunk));
      expect(Array.from(ring.latest(ring.length))).toEqual(all.slice(-ring.length));
    }
    expect(ring.evicted).toBe(all.length - 7);
  });
});

describe('Float64Ring', () => {
  it('holds float64 exactly and evicts the oldest', () => {
    const ring = new Float64Ring(2);
    expect(ring.push(1e15 + 0.5)).toBe(false);
    ring.push(2);
    expect(ring.push(3)).toBe(true);
    expect(ring.at(0)).toBe(2);
    expect(ring.last()).toBe(3);
  });
});
