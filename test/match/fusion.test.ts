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
  it('one threshold for every modality: bunched and spread cosines at different logit scales calibrate alike', () => {
    // Audio-to-text cosines bunch (emergent pair), vision-to-text ones spread; the logit scales differ too.
    // Standardising by the modality's running spread across concepts makes the probabilities the same.
    const vision = [0.6, 0.2, 0.1, 0.3, 0.25];
    const audio = vision.map((c) => 0.3 + 0.2 * c); // same ranking, five times less spread
    const run = (cos: number[], scale: number) => {
      const cal = new ModalityCalibration('audio', cos.length, { warmupSnapshots: 1, noneLogit: -100, beta: 2, center: 0, standardise: true });
      const out = new Float32Array(cos.length);
      for (let i = 0; i < 10; i++) cal.calibrate(Float32Array.from(cos), scale, i * 0.5, new Uint8Array(cos.length), out);
      return Array.from(out);
    };
    const pv = run(vision, 12.5);
    const pa = run(audio, 166);
    pv.forEach((p, i) => expect(pa[i]).toBeCloseTo(p, 4));
    expect(pv[0]).toBeGreaterThan(0.5);
    // without standardisation the bunched modality is far flatter
    const flat = new ModalityCalibration('audio', 5, { warmupSnapshots: 1, noneLogit: -100, standardise: false, beta: 1, center: 0 });
    const out = new Float32Array(5);
    flat.calibrate(Float32Array.from(audio), 1, 0, new Uint8Array(5), out);
    expect(out[0]!).toBeLessThan(0.25);
  });

  it('centring removes a constant prompt bias; frozen rows keep their running mean', () => {
    const cal = new ModalityCalibration('vision', 3, { warmupSnapshots: 1, center: 1, noneLogit: 0, standardise: true });
    const out = new Float32Array(3);
    // concept 1's prompt is close to everything (0.7 always); concept 0 rises during an event
    for (let i = 0; i < 20; i++) cal.calibrate(Float32Array.from([0.3, 0.7, 0.2]), 1, i, new Uint8Array(3), out);
    expect(out[1]!).toBeLessThan(0.5); // the biased concept does not win when nothing changes
    const before = cal.meanOf(0);
    for (let i = 20; i < 40; i++) cal.calibrate(Float32Array.from([0.6, 0.7, 0.2]), 1, i, Uint8Array.from([1, 0, 0]), out);
    expect(cal.meanOf(0)).toBe(before);
    expect(out[0]!).toBeGreaterThan(out[1]!);
    expect(out[0]!).toBeGreaterThan(0.5);
  });
});
