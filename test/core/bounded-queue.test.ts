import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/core/bounded-queue.js';
import { Stage } from '../../src/core/stage.js';

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

describe('Stage', () => {
  it('processes in order, batches, and resolves idle() when done', async () => {
    const seen: number[][] = [];
    const out: number[] = [];
    const stage = new Stage<number, number>({
      name: 'double',
      capacity: 100,
      batch: 4,
      work: async (items) => {
        seen.push(items);
        await new Promise((r) => setTimeout(r, 1));
        return items.map((x) => x * 2);
      },
      emit: (o) => out.push(o),
    });
    for (let i = 0; i < 10; i++) stage.push(i);
    await stage.idle();
    expect(out).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(seen[0]).toEqual([0]);
    expect(Math.max(...seen.map((b) => b.length))).toBe(4);
    expect(stage.stats()).toMatchObject({ processed: 10, errors: 0, depth: 0 });
  });

  it('a slow stage drops the oldest work instead of growing, and survives errors', async () => {
    const errors: unknown[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const stage = new Stage<number, number>({
      name: 'slow',
      capacity: 2,
      work: async (items) => {
        await gate;
        if (items[0] === 9) throw new Error('boom');
        return items;
      },
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 10; i++) stage.push(i);
    expect(stage.stats().depth).toBeLessThanOrEqual(2);
    release();
    await stage.idle();
    expect(stage.stats().dropped).toBe(7);
    expect(errors).toHaveLength(1);
    expect(stage.stats().errors).toBe(1);
  });
});
