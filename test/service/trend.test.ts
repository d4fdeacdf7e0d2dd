import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/core/types.js';
import { LoopSource } from '../../src/service/loop-source.js';
import { slope, soakTrend, type SoakPoint } from '../../src/service/trend.js';

describe('soakTrend', () => {
  it('measures RSS growth after warm-up and the lag slope', () => {
    const points: SoakPoint[] = [];
    for (let t = 0; t <= 100; t += 1) {
      // Warm-up ramp to 100 MiB by t = 10, then +1% over the rest; lag flat at 2 ms.
      const rss = (t < 10 ? 50 + 5 * t : 100 + (t - 10) / 90) * 2 ** 20;
      points.push({ t, rssBytes: rss, heapUsedBytes: rss / 2, lagP99: 0.002 });
    }
    const r = soakTrend(points);
    expect(r.warmupSeconds).toBe(20);
    expect(r.rssGrowthPercent).toBeGreaterThan(0.5);
    expect(r.rssGrowthPercent).toBeLessThan(1);
    expect(r.lagSlopeMsPerHour).toBeCloseTo(0, 6);
    expect(r.lagP99StartMs).toBeCloseTo(2);
  });

  it('slope is a least-squares fit', () => {
    expect(slope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2);
  });
});

describe('LoopSource', () => {
  it('loops samples with continuous stamps at the requested speed, then finishes', async () => {
    const samples: Sample[] = [0, 1, 2, 3, 4].map((i) => ({ modality: 'imu', sensorId: '/imu', stamp: BigInt(i) * 10_000_000n, acc: [0, 0, 9.8], gyro: [0, 0, 0] }));
    const src = new LoopSource('sim', { samples, loopNs: 50_000_000n, speed: 10, loops: 3, periodMs: 2 });
    const got: bigint[] = [];
    const t0 = performance.now();
    await src.start((s) => void got.push(s.stamp));
    await src.finished;
    const wall = performance.now() - t0;
    expect(got).toEqual(Array.from({ length: 15 }, (_, i) => BigInt(i) * 10_000_000n));
    // 140 ms of stamps at 10x: about 14 ms of wall time, never faster.
    expect(wall).toBeGreaterThanOrEqual(13);
    expect(src.stats()).toMatchObject({ received: 15, decoded: 15, connected: false });
  });
});
