import { describe, expect, it } from 'vitest';
import type { ConceptTrace } from '../../src/core/types.js';
import { audioLevelMessage, imuMessages, modalitiesMessage, scoresMessage, scoresRosMessage } from '../../src/live/messages.js';

const trace = (id: string, smoothed: number, active = false): ConceptTrace => ({
  conceptId: id, label: id, fused: smoothed, smoothed, on: 0.3, off: 0.1, active, modalityScores: { audio: smoothed },
});

describe('live messages', () => {
  it('scores: one flat row per concept, null for modalities without evidence; a long list keeps running and highest', () => {
    const m = scoresMessage([trace('a', 0.2), trace('b', 0.9)], 1_500_000_000n, 3);
    expect(m).toEqual({
      timestamp: { sec: 1, nsec: 500_000_000 }, seq: 3, total: 2,
      concepts: [
        { id: 'a', label: 'a', fused: 0.2, smoothed: 0.2, on: 0.3, off: 0.1, active: false, vision: null, audio: 0.2, depth: null, thermal: null, imu: null },
        { id: 'b', label: 'b', fused: 0.9, smoothed: 0.9, on: 0.3, off: 0.1, active: false, vision: null, audio: 0.9, depth: null, thermal: null, imu: null },
      ],
    });
    const cut = scoresMessage([trace('low', 0.1, true), trace('x', 0.5), trace('y', 0.7), trace('z', 0.2)], 0n, 0, 2);
    expect(cut.total).toBe(4);
    expect(cut.concepts.map((c) => c.id)).toEqual(['low', 'y']);
    const ros = scoresRosMessage(m) as { seq: bigint; concepts: { vision: number; audio: number }[]; timestamp: object };
    expect(ros.timestamp).toEqual({ sec: 1, nanosec: 500_000_000 });
    expect(ros.seq).toBe(3n);
    expect(Number.isNaN(ros.concepts[0]!.vision)).toBe(true);
    expect(ros.concepts[0]!.audio).toBe(0.2);
  });

  it('audio level: RMS, peak and dBFS of the newest span, leaving out the zero padding of a short window', () => {
    const samples = new Float32Array(32000);
    samples.fill(0.5, 16000, 24000);
    samples.fill(-0.25, 24000);
    const full = audioLevelMessage({ kind: 'audio', rate: 16000, samples, start: 0n, end: 2_000_000_000n, coverage: 1 }, 0.5);
    expect(full.rms).toBeCloseTo(0.25, 6);
    expect(full.peak).toBe(0.25);
    expect(full.dbfs).toBeCloseTo(20 * Math.log10(0.25), 6);
    expect(full.seconds).toBe(0.5);
    const both = audioLevelMessage({ kind: 'audio', rate: 16000, samples, start: 0n, end: 2_000_000_000n, coverage: 1 }, 1);
    expect(both.rms).toBeCloseTo(Math.sqrt((0.25 + 0.0625) / 2), 6);
    // Only 0.25 s real: the level covers those 4000 samples, not the requested second.
    const short = audioLevelMessage({ kind: 'audio', rate: 16000, samples, start: 0n, end: 2_000_000_000n, coverage: 0.125 }, 1);
    expect(short.seconds).toBe(0.25);
    const silent = audioLevelMessage({ kind: 'audio', rate: 16000, samples: new Float32Array(100), start: 0n, end: 1n, coverage: 1 }, 1);
    expect(silent.dbfs).toBe(-120);
  });

  it('IMU: the window steps after the last published stamp, decimated to maxHz, ending on the newest', () => {
    // 11 steps over 1 s (100 ms apart); channel k holds k*100 + step index.
    const count = 11;
    const channels = new Float32Array(6 * count);
    for (let k = 0; k < 6; k++) for (let i = 0; i < count; i++) channels[k * count + i] = k * 100 + i;
    const w = { kind: 'imu' as const, count, channels, start: 0n, end: 1_000_000_000n, readings: 11, coverage: 1 };
    const all = imuMessages(w, -1n);
    expect(all).toHaveLength(11);
    expect(all[10]).toEqual({ timestamp: { sec: 1, nsec: 0 }, acc: { x: 10, y: 110, z: 210 }, gyro: { x: 310, y: 410, z: 510 } });
    expect(imuMessages(w, 700_000_000n).map((m) => m.acc.x)).toEqual([8, 9, 10]);
    expect(imuMessages(w, -1n, 5).map((m) => m.acc.x)).toEqual([0, 2, 4, 6, 8, 10]);
  });

  it('modalities: embed state per present modality, the evidence gate for a held-back one, absent otherwise', () => {
    const m = modalitiesMessage({
      snapshot: { seq: 4, stamp: 2_000_000_000n, windows: {}, present: ['vision', 'audio'], missing: ['depth', 'thermal', 'imu'], gated: { imu: 'at-rest' } },
      embeddings: { seq: 4, stamp: 2_000_000_000n, present: ['vision'], missing: ['audio', 'depth', 'thermal', 'imu'], embeddings: {} },
      match: { events: [], top: [] },
      embedStates: { vision: 'reused', audio: 'rate-cap' },
    });
    expect(m.modalities).toEqual([
      { name: 'vision', present: true, evidence: true, state: 'reused', gate: null },
      { name: 'audio', present: true, evidence: false, state: 'rate-cap', gate: null },
      { name: 'depth', present: false, evidence: false, state: 'absent', gate: null },
      { name: 'thermal', present: false, evidence: false, state: 'absent', gate: null },
      { name: 'imu', present: false, evidence: false, state: 'gated', gate: 'at-rest' },
    ]);
  });
});
