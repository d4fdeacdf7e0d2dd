// The per-topic clock rule on its own: which topics are taken as they are, mapped, grouped, refused, and
// what is said about them (one warning per topic with the offset, the first jump, nothing for good clocks).
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { TopicClocks, formatOffset } from '../../src/core/topic-clocks.js';

const S = 1_000_000_000n;
const T0 = 1_750_000_000n * S;

function capture() {
  const lines: { msg: string; topic?: string; offsetSeconds?: number; topicsOnReceiveClock?: string[] }[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', format: 'json', destination }), lines };
}

describe('TopicClocks', () => {
  it('keeps stamps within the tolerance (latency, audio chunks) and says nothing', () => {
    const { logger, lines } = capture();
    const c = new TopicClocks({ logger });
    expect(c.map('/cam', T0 - S / 10n, T0)).toEqual({ kind: 'ok', stamp: T0 - S / 10n });
    expect(c.map('/cam', T0 + 4n * S, T0)).toEqual({ kind: 'ok', stamp: T0 + 4n * S });
    expect(c.report()).toEqual({});
    expect(lines).toEqual([]);
  });

  it('maps a topic an hour behind onto the receive clock by one fixed offset, keeping its spacing, said once', async () => {
    const { logger, lines } = capture();
    const c = new TopicClocks({ logger, receiveClock: 'bag log time' });
    c.map('/cam', T0, T0);
    const hour = 3600n * S;
    const got = [0n, 1n, 2n].map((k) => c.map('/audio', T0 + k * S / 10n - hour, T0 + k * S / 10n + 3_000_000n));
    // The first message's latency (3 ms) becomes part of the offset; the spacing stays exact.
    expect(got).toEqual([0n, 1n, 2n].map((k) => ({ kind: 'ok', stamp: T0 + k * S / 10n + 3_000_000n })));
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toBe('topic /audio stamps on another clock: -3600.003 s from the bag log time; mapped onto the bag log time by a fixed offset');
    expect(lines[0]).toMatchObject({ topic: '/audio', topicsOnReceiveClock: ['/cam'] });
    expect(c.report()).toEqual({ '/audio': { offsetSeconds: -3600.003, action: 'mapped', messages: 3, jumps: 0 } });
  });

  it('topics on one foreign clock share its offset, so they stay aligned with each other', () => {
    const c = new TopicClocks();
    const boot = -T0 + 42n * S; // a device counting from boot
    expect(c.map('/imu', T0 + boot, T0)).toEqual({ kind: 'ok', stamp: T0 });
    // The camera on the same device arrives 200 ms late: its stamp keeps its place 200 ms before arrival.
    expect(c.map('/cam', T0 + S + boot, T0 + S + S / 5n)).toEqual({ kind: 'ok', stamp: T0 + S });
    expect(Object.keys(c.report())).toEqual(['/imu', '/cam']);
  });

  it('a single stamp a year ahead is mapped to its receive time; the topic goes back to its own stamps', async () => {
    const { logger, lines } = capture();
    const c = new TopicClocks({ logger });
    const year = 365n * 86400n * S;
    expect(c.map('/imu', T0, T0)).toEqual({ kind: 'ok', stamp: T0 });
    expect(c.map('/imu', T0 + S / 200n + year, T0 + S / 200n)).toEqual({ kind: 'ok', stamp: T0 + S / 200n });
    expect(c.map('/imu', T0 + S / 100n, T0 + S / 100n)).toEqual({ kind: 'ok', stamp: T0 + S / 100n });
    expect(c.map('/imu', T0 + year, T0 + S / 50n)).toEqual({ kind: 'ok', stamp: T0 + S / 50n });
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.msg)).toEqual([
      'topic /imu stamps on another clock: +31536000.000 s from the receive time (after a jump); mapped onto the receive time by a fixed offset',
      'topic /imu clock jumped: offset from the receive time +31536000.000 s -> +0.000 s; further jumps are counted, not logged',
    ]);
    expect(c.report()['/imu']).toMatchObject({ action: 'mapped', jumps: 2, messages: 2 });
  });

  it('policy refuse: the off-clock topic is refused with the reason, the others pass', () => {
    const c = new TopicClocks({ mode: 'refuse', toleranceSeconds: 1 });
    expect(c.map('/cam', T0, T0)).toEqual({ kind: 'ok', stamp: T0 });
    expect(c.map('/audio', T0 + 3600n * S, T0)).toEqual({ kind: 'refused', reason: 'stamps +3600.000 s off the receive time (clock policy refuse)' });
    expect(c.map('/audio', T0 + 3601n * S, T0 + S)).toMatchObject({ kind: 'refused' });
    expect(c.report()).toEqual({ '/audio': { offsetSeconds: 3600, action: 'refused', messages: 2, jumps: 0 } });
    expect(() => new TopicClocks({ toleranceSeconds: 0 })).toThrow(/toleranceSeconds must be a positive number, got 0/);
  });

  it('formats offsets with a sign and milliseconds', () => {
    expect(formatOffset(-3_600_000_000_000n)).toBe('-3600.000 s');
    expect(formatOffset(1_600_000n)).toBe('+0.002 s');
  });
});
