import { describe, expect, it } from 'vitest';
import { IMAGEBIND_HUGE_CPU_SECONDS, processorSharing, simulateGovernor } from '../../src/bench/governor-sim.js';

const CAPS = { vision: 2, depth: 2, thermal: 2, audio: 0, imu: 0 };

describe('governor simulation (the real EmbedGovernor on a simulated clock)', () => {
  it('shares the CPU equally among parallel embeddings', () => {
    expect(processorSharing([1])).toEqual([1]);
    expect(processorSharing([1, 1])).toEqual([2, 2]);
    // 3 jobs: the 1 s job ends when each got 1 s (3 s); then 2 share: the 2 s job at 3 + 2 = 5; the 4 s at 5 + 2 = 7.
    expect(processorSharing([4, 1, 2])).toEqual([7, 3, 5]);
  });

  it('a light model keeps every modality at one embedding per snapshot, nothing degraded', () => {
    const r = simulateGovernor({ latencySeconds: { vision: 0.02, audio: 0.01, imu: 0.005 }, caps: CAPS, hopSeconds: 0.5, durationSeconds: 120 });
    expect(r.embedHz).toEqual({ vision: 2, audio: 2, imu: 2 });
    expect(r.skippedShare).toBe(0);
    expect(r.degraded).toEqual([]);
    expect(r.saturated).toBe(false);
  });

  it('ImageBind-huge vision on a 2-core CPU: degraded to the floor, saturated, one frame per 7.5 s (7.4 s rounded up to the hop)', () => {
    const r = simulateGovernor({ latencySeconds: { vision: 7.4 }, caps: CAPS, hopSeconds: 0.5 });
    expect(r.rateHz.vision).toBe(0.25);
    expect(r.saturated).toBe(true);
    expect(r.embedHz.vision).toBeCloseTo(1 / 7.5, 2);
  });

  it('ImageBind-huge with camera, microphone, depth and IMU: about one snapshot every 10 s for all', () => {
    const r = simulateGovernor({ latencySeconds: IMAGEBIND_HUGE_CPU_SECONDS, caps: CAPS, hopSeconds: 0.5 });
    // A snapshot embeds all four in parallel: 7.4 + 2.2 + 0.29 + 0.27 = 10.16 s of CPU, next hop at 10.5 s.
    expect(r.tickHz).toBeCloseTo(1 / 10.5, 2);
    for (const m of ['vision', 'audio', 'depth', 'imu'] as const) expect(r.embedHz[m]).toBeCloseTo(1 / 10.5, 2);
    expect(r.degraded).toEqual(['vision', 'depth']);
  });
});
