import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/core/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from initialMs up to maxMs, exactly, with the jitter centred', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelayMs(a, {}, mid))).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    const serial = { initialMs: 250, maxMs: 5000 };
    expect([0, 1, 2, 3, 4, 5, 6, 10, 1000].map((a) => backoffDelayMs(a, serial, mid))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000, 5000, 5000]);
  });

  it('spreads by the jitter fraction and never exceeds the cap', () => {
    expect(backoffDelayMs(0, { initialMs: 1000, jitter: 0.2 }, () => 0)).toBe(800);
    expect(backoffDelayMs(0, { initialMs: 1000, jitter: 0.2 }, () => 1)).toBe(1200);
    expect(backoffDelayMs(10, { initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 1)).toBe(5000);
    expect(backoffDelayMs(10, { initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 0)).toBe(4000);
  });

  it('without jitter is deterministic; negative attempts count as the first', () => {
    expect(backoffDelayMs(2, { jitter: 0, initialMs: 10, factor: 3 })).toBe(90);
    expect(backoffDelayMs(-5, { jitter: 0, initialMs: 250 })).toBe(250);
  });
});
