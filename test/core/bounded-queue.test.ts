import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/core/bounded-queue.js';

describe('BoundedQueue', () => {
  it('drop-oldest keeps the newest and counts the dropped', () => {
    const q = new BoundedQueue<number>(3, 'drop-oldest');
    for (let i = 0; i < 5; i++) expect(q.offer(i)).toBe(true);
    expect(q.drain()).toEqual([2, 3, 4]);
    expect(q.stats()).toMatchObject({ dropped: 2, offered: 5, depth: 0, maxDepth: 3 });
  });

  it('reject refuses when full and counts it', () => {
    const q = new BoundedQueue<number>(2, 'reject');
    expect(q.offer(1)).toBe(true);
    expect(q.offer(2)).toBe(true);
    expect(q.offer(3)).toBe(false);
    expect(q.poll()).toBe(1);
    expect(q.offer(4)).toBe(true);
    expect(q.drain()).toEqual([2, 4]);
    expect(q.stats().rejected).toBe(1);
  });

  it('stays bounded in memory over a long run', () => {
    const q = new BoundedQueue<number>(4, 'drop-oldest');
    for (let i = 0; i < 100_000; i++) {
      q.offer(i);
      if (i % 3 === 0) q.poll();
    }
    expect(q.length).toBeLessThanOrEqual(4);
    expect(q.stats().dropped).toBeGreaterThan(0);
  });
});
