import { describe, expect, it } from 'vitest';
import { StreamGaps, headerStampNs } from '../../src/ros2/stream-gaps.js';

const MS = 1_000_000n;
const t0 = 1_700_000_000_000_000_000n;

describe('StreamGaps: middleware loss from header stamp holes', () => {
  it('a 200 Hz stream with jitter and no loss counts nothing; holes count the missing messages', () => {
    const g = new StreamGaps();
    const stamps: bigint[] = [];
    for (let i = 0; i < 400; i++) if (!(i >= 100 && i < 103) && i !== 250) stamps.push(t0 + BigInt(i) * 5n * MS + BigInt((i * 7919) % 1000) * 1000n);
    const lost = stamps.map((s) => g.push(s)).reduce((a, b) => a + b, 0);
    expect(lost).toBe(4);
    expect(g.stats()).toMatchObject({ lost: 4, gaps: 2 });
    expect(g.stats().periodMs).toBeCloseTo(5, 0);
  });

  it('a stream that settles on a slower rate is re-learnt, not counted as loss forever', () => {
    const g = new StreamGaps();
    let t = t0;
    for (let i = 0; i < 50; i++) g.push((t += 33n * MS));
    for (let i = 0; i < 64; i++) g.push((t += 66n * MS)); // counted while the faster rate is remembered
    const before = g.stats().lost;
    expect(before).toBeLessThanOrEqual(64);
    for (let i = 0; i < 50; i++) g.push((t += 66n * MS));
    expect(g.stats().lost).toBe(before);
    expect(g.stats().periodMs).toBeCloseTo(66, 0);
  });

  it('heavy loss (two of three frames gone) is still counted right', () => {
    const g = new StreamGaps();
    const kept = [...Array(150).keys()].filter((i) => i < 10 || i % 3 === 0);
    for (const i of kept) g.push(t0 + BigInt(i) * 66n * MS);
    expect(g.stats().lost).toBe(kept.at(-1)! + 1 - kept.length);
  });

  it('holes in the very first messages (a start under load) are counted once the period is known', () => {
    const g = new StreamGaps();
    const kept = [0, 3, 4, 5, 6, 7, 8, 12, 13];
    const lost = kept.map((i) => g.push(t0 + BigInt(i) * 66n * MS)).reduce((a, b) => a + b, 0);
    expect(lost).toBe(2 + 3);
    expect(g.stats()).toMatchObject({ lost: 5, gaps: 2 });
  });

  it('unstamped and reordered messages teach nothing', () => {
    const g = new StreamGaps();
    expect([g.push(0n), g.push(t0), g.push(t0 - MS), g.push(t0 + 5n * MS)]).toEqual([0, 0, 0, 0]);
    expect(headerStampNs({ header: { stamp: { sec: 2, nanosec: 5 } } })).toBe(2_000_000_005n);
    expect(headerStampNs({ data: 'x' })).toBe(0n);
  });
});
