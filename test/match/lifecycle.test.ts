import { describe, expect, it } from 'vitest';
import { ConceptLifecycle, type LifecycleParams } from '../../src/match/lifecycle.js';

const base: LifecycleParams = { on: 0.5, off: 0.3, minDurationSeconds: 0, maxDurationSeconds: 30, cooldownSeconds: 2, smoothing: 1, updateDelta: 0.1, maxGapSeconds: 2 };

/** Feeds scores at 0.5 s steps; returns "t:type" strings. */
function drive(params: Partial<LifecycleParams>, scores: (number | undefined)[]): string[] {
  const l = new ConceptLifecycle({ ...base, ...params });
  const out: string[] = [];
  scores.forEach((s, i) => {
    const tr = l.step(s, i * 0.5);
    if (tr) out.push(`${i * 0.5}:${tr.type}${tr.reason ? `:${tr.reason}` : ''}`);
  });
  return out;
}

describe('event lifecycle', () => {
  it('hysteresis: starts at on, holds between off and on, ends below off', () => {
    expect(drive({}, [0.1, 0.6, 0.45, 0.35, 0.31, 0.29, 0.45, 0.55])).toEqual(['0.5:start', '2.5:end:below-off']);
  });

  it('a score hovering around one threshold does not flicker', () => {
    expect(drive({}, [0.49, 0.51, 0.49, 0.51, 0.49, 0.51, 0.49])).toEqual(['0.5:start']);
  });

  it('minimum duration drops blips and starts sustained events once confirmed', () => {
    expect(drive({ minDurationSeconds: 1 }, [0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.9])).toEqual(['2.5:start']);
  });

  it('cooldown: no restart until cooldown seconds after the end', () => {
    // ends at 1.0, cooldown 2 s -> earliest restart at 3.0 even though the score is high from 1.5
    expect(drive({}, [0.9, 0.9, 0.1, 0.9, 0.9, 0.9, 0.9, 0.9])).toEqual(['0:start', '1:end:below-off', '3:start']);
  });

  it('maximum duration ends a long event, which restarts after the cooldown', () => {
    const scores = Array.from({ length: 14 }, () => 0.9);
    expect(drive({ maxDurationSeconds: 2, cooldownSeconds: 1 }, scores)).toEqual(['0:start', '2:end:max-duration', '3:start', '5:end:max-duration', '6:start']);
  });

  it('updates when the peak rises by updateDelta', () => {
    expect(drive({}, [0.55, 0.6, 0.66, 0.7, 0.9, 0.8])).toEqual(['0:start', '1:update', '2:update']);
  });

  it('missing evidence neither starts nor sustains nor ends an event at once; a long gap ends it', () => {
    expect(drive({}, [undefined, undefined, 0.9, undefined, undefined, 0.9])).toEqual(['1:start']);
    expect(drive({}, [0.9, undefined, undefined, undefined, undefined, undefined])).toEqual(['0:start', '2:end:no-evidence']);
    // missing is not zero: the smoothed score is untouched by the gap
    const l = new ConceptLifecycle({ ...base, smoothing: 0.5 });
    l.step(0.8, 0);
    l.step(undefined, 0.5);
    expect(l.smoothed).toBeCloseTo(0.8, 9);
  });

  it('smoothing delays onsets of single-snapshot spikes', () => {
    expect(drive({ smoothing: 0.4 }, [0, 0.9, 0, 0, 0])).toEqual([]);
    expect(drive({ smoothing: 0.4 }, [0, 0.9, 0.9, 0.9, 0])).toEqual(['1:start', '1.5:update']); // 0.36, 0.58, 0.71 (peak +0.13)
  });

  it('finish ends a running event and nothing else', () => {
    const l = new ConceptLifecycle(base);
    expect(l.finish(0)).toBeUndefined();
    l.step(0.9, 0);
    expect(l.finish(1)).toMatchObject({ type: 'end', reason: 'finish', startS: 0 });
    expect(l.active).toBe(false);
  });
});
