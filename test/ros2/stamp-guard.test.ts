import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { StampGuard } from '../../src/ros2/stamp-guard.js';

const S = 1_000_000_000n;
function capture() {
  const lines: Array<{ msg: string; topic?: string; offsetSeconds?: number }> = [];
  const logger = createLogger({ format: 'json', destination: new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }) });
  return { logger, lines };
}

describe('StampGuard: header stamps far from the node clock', () => {
  const now = 1_800_000_000n * S;
  const recorded = now - 540n * 86_400n * S; // a bag's stamps, 540 days old

  it('map (default): the topic is shifted onto the node clock keeping its spacing, said once naming topic and offset', () => {
    const { logger, lines } = capture();
    const g = new StampGuard('map', 5, logger);
    expect(g.adjust('/imu', recorded, now)).toBe(now);
    // 5 ms later on both clocks: the spacing survives even if arrival jitters by 2 ms
    expect(g.adjust('/imu', recorded + 5_000_000n, now + 7_000_000n)).toBe(now + 5_000_000n);
    expect(g.adjust('/imu', recorded + 10_000_000n, now + 9_000_000n)).toBe(now + 10_000_000n);
    // another topic on the node clock is untouched
    expect(g.adjust('/camera', now - 30_000_000n, now)).toBe(now - 30_000_000n);
    const warnings = lines.filter((l) => l.msg.includes('header stamps of'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ topic: '/imu', offsetSeconds: 540 * 86_400 });
    expect(warnings[0]!.msg).toMatch(/header stamps of \/imu are 46656000\.0 s behind the node clock: mapping them onto it/);
    expect(g.stats()).toEqual({ '/imu.stampsFar': 1 });
  });

  it('map: a topic that jumps again (a bag looping) is re-mapped, counted, not logged again', () => {
    const { logger, lines } = capture();
    const g = new StampGuard('map', 5, logger);
    g.adjust('/imu', recorded, now);
    expect(g.adjust('/imu', recorded, now + 60n * S)).toBe(now + 60n * S);
    expect(g.stats()).toEqual({ '/imu.stampsFar': 2, '/imu.stampRemaps': 1 });
    expect(lines.filter((l) => l.msg.includes('header stamps of'))).toHaveLength(1);
  });

  it('receive: far stamps become receive times; keep: left as they are; ahead is said as ahead', () => {
    const { logger, lines } = capture();
    const r = new StampGuard('receive', 5, logger);
    expect(r.adjust('/audio', now + 3600n * S, now)).toBe(now);
    expect(r.adjust('/audio', now + 3600n * S + 1n, now + 2n)).toBe(now + 2n);
    expect(lines[0]!.msg).toMatch(/3600\.0 s ahead of the node clock: using receive times/);
    const k = new StampGuard('keep', 5, logger);
    expect(k.adjust('/audio', recorded, now)).toBe(recorded);
    // within tolerance nothing changes whatever the policy
    expect(new StampGuard('receive', 5, logger).adjust('/x', now - 4n * S, now)).toBe(now - 4n * S);
  });
});
