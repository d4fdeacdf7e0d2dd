import { describe, expect, it } from 'vitest';
import { SequenceTracker } from '../../src/serial/sequence-tracker.js';

describe('SequenceTracker', () => {
  it('counts gaps per stream, across the 16-bit wrap', () => {
    const t = new SequenceTracker();
    expect(t.check(1, 65533, 10)).toBe('first');
    expect(t.check(1, 65534, 20)).toBe('next');
    expect(t.check(1, 1, 30)).toBe('gap'); // 65535 and 0 lost
    expect(t.check(2, 7, 5)).toBe('first');
    expect(t.check(2, 8, 6)).toBe('next');
    expect(t.stats()).toEqual({ lostFrames: 2, lostByStream: { 1: 2 }, replayed: 0, resyncs: 0 });
  });
  it('drops duplicates, old frames and time going back as replays', () => {
    const t = new SequenceTracker();
    t.check(1, 10, 1000);
    expect(t.check(1, 10, 1000)).toBe('replay');
    expect(t.check(1, 9, 900)).toBe('replay');
    expect(t.check(1, 11, 999)).toBe('replay'); // sequence ahead but the clock went back
    expect(t.check(1, 11, 1100)).toBe('next');
    expect(t.stats().replayed).toBe(3);
  });
  it('takes a run of backward frames as a restart the HELLO of which was missed', () => {
    const t = new SequenceTracker({ resyncAfter: 3 });
    t.check(1, 500, 50_000);
    expect(t.check(1, 0, 100)).toBe('replay');
    expect(t.check(1, 1, 200)).toBe('replay');
    expect(t.check(1, 2, 300)).toBe('resync');
    expect(t.check(1, 3, 400)).toBe('next');
    expect(t.stats()).toMatchObject({ replayed: 2, resyncs: 1, lostFrames: 0 });
  });
});
