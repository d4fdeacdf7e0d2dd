import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/serial/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from initialMs up to maxMs, exactly, with the jitter centred', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 10, 1000].map((a) => backoffDelayMs(a, {}, mid))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
  });
  it('spreads each delay by +-jitter/2', () => {
    const opts = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0.2 };
    expect(backoffDelayMs(0, opts, () => 0)).toBe(90);
    expect(backoffDelayMs(0, opts, () => 0.999999)).toBe(110);
    expect(backoffDelayMs(3, opts, () => 0)).toBe(720);
    expect(backoffDelayMs(9, opts, () => 0.999999)).toBe(1100);
  });
  it('without jitter is deterministic; negative attempts count as the first', () => {
    expect(backoffDelayMs(2, { jitter: 0, initialMs: 10, factor: 3 })).toBe(90);
    expect(backoffDelayMs(-5, { jitter: 0 })).toBe(250);
  });
});
