import { describe, expect, it } from 'vitest';
import { logLinearPool } from '../../src/match/fusion.js';
import { ModalityCalibration } from '../../src/match/calibration.js';

describe('log-linear fusion over present modalities', () => {
  it('is the weighted geometric mean of the present terms', () => {
    expect(logLinearPool([{ probability: 0.8, weight: 1 }, { probability: 0.2, weight: 1 }])).toBeCloseTo(0.4, 9);
    expect(logLinearPool([{ probability: 0.8, weight: 3 }, { probability: 0.2, weight: 1 }])).toBeCloseTo(Math.exp((3 * Math.log(0.8) + Math.log(0.2)) / 4), 9);
  });
  it('a missing modality removes evidence instead of voting zero', () => {
    const both = logLinearPool([{ probability: 0.9, weight: 1 }, { probability: 0.9, weight: 1 }]);
    const one = logLinearPool([{ probability: 0.9, weight: 1 }]);
    expect(one).toBeCloseTo(0.9, 9);
    expect(both).toBeCloseTo(0.9, 9);
    expect(logLinearPool([])).toBeUndefined();
    expect(logLinearPool([{ probability: 0.9, weight: 0 }])).toBeUndefined();
  });
});

describe('per-modality calibration', () => {
  it('removes a constant prompt bias and standardises, so a rise means the same in every modality', () => {
    // Two modalities with very different raw cosine ranges and logit scales; concept 0 rises by 3 spreads.
    const run = (base: number[], noise: number, scale: number) => {
      const cal = new ModalityCalibration('audio', base.length, { warmupSnapshots: 1, noneLogit: 2, beta: 1 });
      const out = new Float32Array(base.length);
      const frozen = new Uint8Array(base.length);
      let t = 0;
      for (let i = 0; i < 40; i++) {
        const cos = Float32Array.from(base.map((b, k) => b + noise * Math.sin(i * 1.7 + k)));
        cal.calibrate(cos, scale, (t += 0.5), frozen, out);
      }
      const quiet = out[0]!;
      const cos = Float32Array.from(base.map((b, k) => (k === 0 ? b + 6 * noise : b)));
      frozen[0] = 1;
      cal.calibrate(cos, scale, (t += 0.5), frozen, out);
      return { quiet, event: out[0]!, other: out[1]! };
    };
    const a = run([0.31, 0.29, 0.35, 0.2], 0.01, 20); // bunched cosines, big scale
    const b = run([0.05, 0.6, 0.1, 0.4], 0.05, 1); // spread cosines, no scale
    // Quiet: the concept with the highest raw cosine (0.35 / 0.6) does not dominate after centring.
    expect(a.quiet).toBeLessThan(0.35);
    expect(b.quiet).toBeLessThan(0.35);
    // Event: same calibrated probability in both modalities despite different raw ranges.
    expect(a.event).toBeGreaterThan(0.8);
    expect(Math.abs(a.event - b.event)).toBeLessThan(0.1);
    expect(a.other).toBeLessThan(0.1);
  });

  it('frozen rows keep their statistics (a running event never becomes the norm)', () => {
    const cal = new ModalityCalibration('vision', 2, { warmupSnapshots: 1 });
    const out = new Float32Array(2);
    cal.calibrate(Float32Array.from([0.2, 0.2]), 1, 0, new Uint8Array(2), out);
    const before = cal.meanOf(0);
    for (let i = 1; i < 50; i++) cal.calibrate(Float32Array.from([0.9, 0.2]), 1, i, Uint8Array.from([1, 0]), out);
    expect(cal.meanOf(0)).toBe(before);
    expect(out[0]).toBeGreaterThan(0.9);
  });
});
