import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/sinks/mqtt/backoff.js';

describe('backoffDelay', () => {
  it('doubles from initialMs up to maxMs without jitter at the midpoint', () => {
    const mid = (): number => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelay(a, { initialMs: 500, maxMs: 30_000 }, mid))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it('spreads by the jitter fraction and never exceeds the cap', () => {
    expect(backoffDelay(0, { initialMs: 1000, jitter: 0.2 }, () => 0)).toBe(800);
    expect(backoffDelay(0, { initialMs: 1000, jitter: 0.2 }, () => 1)).toBe(1200);
    expect(backoffDelay(10, { initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 1)).toBe(5000);
    expect(backoffDelay(10, { initialMs: 1000, maxMs: 5000, jitter: 0.2 }, () => 0)).toBe(4000);
  });
});
