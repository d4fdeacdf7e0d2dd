// The live background estimate's maths: the lifecycles it runs at every candidate threshold count what
// calibrate counts on the same scores, the threshold it picks is calibrate's, forgetting, bounds, events
// left out, clock jumps, and the stored form.
import { describe, expect, it } from 'vitest';
import type { ConceptTrace } from '../../src/core/types.js';
import { calibrateThresholds, countStarts, type ScoreTrace } from '../../src/eval/calibrate.js';
import { BackgroundEstimate, type BackgroundOptions } from '../../src/match/background.js';
import { lifecycleParams } from '../../src/match/matcher.js';
import { thresholdGrid } from '../../src/match/threshold-search.js';
import { BUILTIN_DEFAULTS, resolveConcept, type ConceptDef } from '../../src/memory/concept.js';
import type { MemoryState } from '../../src/memory/state.js';

const concept = resolveConcept({ id: 'bang', minDurationSeconds: 0.5, cooldownSeconds: 1 }, BUILTIN_DEFAULTS);
const byId = (c: ConceptDef = concept) => (id: string) => (id === c.id ? c : undefined);
const options = (o: Partial<BackgroundOptions> = {}): BackgroundOptions => ({ ratePerHour: 0.125, timeConstantHours: 1e9, maxRaise: 0.699, margin: 0.02, skipEvents: true, matcher: {}, ...o });

/** 1 h at 2 Hz, background 0.1 with bumps to 0.45, 0.55 and 0.7 lasting 2 s each (as calibrate's test). */
function scores(): { times: Float64Array; fused: Float64Array } {
  const n = 7200;
  const times = Float64Array.from({ length: n }, (_, i) => i * 0.5);
  const fused = new Float64Array(n).fill(0.1);
  for (const [at, v] of [[1000, 0.45], [3000, 0.55], [5000, 0.7]] as const) for (let i = at; i < at + 4; i++) fused[i] = v;
  return { times, fused };
}
const trace = (fused: number | null, active = false, c: ConceptDef = concept): ConceptTrace[] => [
  { conceptId: c.id, label: c.label, fused, smoothed: 0, on: c.thresholds.on, off: c.thresholds.off, active, modalityScores: fused === null ? {} : { audio: fused } },
];
function feed(est: BackgroundEstimate, s: { times: Float64Array; fused: Float64Array }, offsetS = 0, c: ConceptDef = concept): void {
  for (let i = 0; i < s.times.length; i++) est.observe(trace(s.fused[i] as number, false, c), byId(c), (s.times[i] as number) + offsetS);
}

describe('background estimate', () => {
  it('counts at each threshold what calibrate counts, and picks the threshold calibrate picks', () => {
    const s = scores();
    const est = new BackgroundEstimate(options());
    feed(est, s);
    const row = est.rows([concept])[0]!;
    expect(row.before.events).toBe(countStarts(s.times, s.fused, lifecycleParams(concept, 0.3, {})));
    expect(row.before.events).toBe(3);
    expect(row.hoursWithEvidence).toBeCloseTo(7199 * 0.5 / 3600, 3);
    const state: MemoryState = { defaults: BUILTIN_DEFAULTS, concepts: [concept], exemplars: new Map(), prototypes: undefined };
    const cal = calibrateThresholds([{ bag: 'x', seconds: 3600, times: s.times, fused: new Map([['bang', s.fused]]), modality: new Map() } satisfies ScoreTrace], state, {}, { ratePerHour: 0.125, margin: 0.02 })[0]!;
    expect(est.choose(concept)!.on).toBeCloseTo(cal.after.on, 4); // calibrate reports 4 decimals
    expect(row.after.events).toBe(0);
    expect(est.thresholds([concept], 0.5).get('bang')).toBeCloseTo(cal.after.on, 4);
    // Not yet applied with less evidence than asked for.
    expect(est.thresholds([concept], 2).size).toBe(0);
    // A target of 2.5 per hour allows the two lower bumps (forgotten counts compared with rate x hours).
    const lax = new BackgroundEstimate(options({ ratePerHour: 2.5, margin: 0 }));
    feed(lax, s);
    expect(lax.choose(concept)!.on).toBeLessThanOrEqual(0.455);
    expect(lax.choose(concept)!.on).toBeGreaterThan(0.3);
    expect(row.modalities.audio!.max).toBeGreaterThanOrEqual(0.7);
    expect(row.modalities.audio!.max).toBeLessThan(0.72);
  });

  it('never raises a threshold more than maxRaise, and says so', () => {
    const est = new BackgroundEstimate(options({ maxRaise: 0.2 }));
    feed(est, scores());
    expect(est.choose(concept)).toMatchObject({ on: 0.5, saturated: true });
    // A concept whose own threshold is above the grid's ceiling keeps it.
    const high = { ...concept, thresholds: { on: 0.9995, off: 0.5 } };
    const top = new BackgroundEstimate(options());
    feed(top, scores(), 0, high);
    expect(top.choose(high)).toMatchObject({ on: 0.9995, saturated: false });
  });

  it('forgets with the time constant: counts and hours decay together, so the rate stays', () => {
    const s = scores();
    const est = new BackgroundEstimate(options({ timeConstantHours: 1 }));
    feed(est, s);
    const before = est.rows([concept])[0]!;
    // One more hour of plain background (no bumps): everything learnt before weighs e^-1.
    feed(est, { times: s.times, fused: new Float64Array(s.times.length).fill(0.1) }, 3600);
    const after = est.rows([concept])[0]!;
    expect(after.before.events).toBeCloseTo(before.before.events * Math.exp(-1), 1);
    // An hour lived with a time constant of one hour adds 1 - e^-1 of an hour.
    expect(before.hoursWithEvidence).toBeCloseTo(1 - Math.exp(-1), 3);
    expect(after.hoursWithEvidence).toBeCloseTo(before.hoursWithEvidence * Math.exp(-1) + (1 - Math.exp(-1)), 3);
  });

  it('leaves out snapshots while the concept event runs but counts the one that starts it (skipEvents)', () => {
    const s = scores();
    const run = (skipEvents: boolean) => {
      const est = new BackgroundEstimate(options({ skipEvents }));
      // The matcher reports the concept active from the snapshot its lifecycle at 0.3 starts (0.5 s into
      // the two higher bumps) until the bump is over.
      for (let i = 0; i < s.times.length; i++) {
        const active = (i >= 3001 && i < 3010) || (i >= 5001 && i < 5010);
        est.observe(trace(s.fused[i] as number, active), byId(), s.times[i] as number);
      }
      return { row: est.rows([concept])[0]!, on: est.choose(concept)!.on };
    };
    const all = run(false);
    const skipped = run(true);
    expect(all.row.before.events).toBe(3);
    // The starts at the threshold in force are seen either way...
    expect(skipped.row.before.events).toBe(3);
    // ...but not how far a running event climbs: the threshold learnt lies under the one learnt from everything.
    expect(skipped.row.samples).toBe(7200 - 16);
    expect(skipped.on).toBeGreaterThan(0.45);
    expect(skipped.on).toBeLessThan(all.on - 0.1);
  });

  it('treats a clock jump as a new recording: the lifecycles restart, nothing is forgotten, no hours are added', () => {
    const est = new BackgroundEstimate(options({ timeConstantHours: 1 }));
    const s = scores();
    feed(est, s);
    const a = est.rows([concept])[0]!;
    // Another recording 10 h later on its own clock: what was learnt decays over the hour lived, not over the
    // ten between (that would leave e^-11 of it), and the second recording counts its bumps from a fresh start.
    feed(est, s, 36_000);
    const b = est.rows([concept])[0]!;
    expect(b.before.events).toBeCloseTo(a.before.events * (1 + Math.exp(-1)), 1);
    expect(b.hoursWithEvidence).toBeCloseTo(a.hoursWithEvidence * (1 + Math.exp(-1)), 3);
    // A clock that goes back (a restart on another clock) is a jump too.
    feed(est, s, -100_000);
    expect(est.rows([concept])[0]!.before.events).toBeCloseTo(b.before.events * Math.exp(-1) + a.before.events, 1);
  });

  it('snapshots and restores; a concept whose definition changed starts afresh', () => {
    const est = new BackgroundEstimate(options());
    feed(est, scores());
    const saved = JSON.parse(JSON.stringify(est.snapshot()));
    const back = new BackgroundEstimate(options());
    expect(back.restore(saved, byId())).toEqual([]);
    expect(back.rows([concept])).toEqual(est.rows([concept]));
    const changed = { ...concept, thresholds: { on: 0.4, off: 0.2 } };
    const other = new BackgroundEstimate(options());
    expect(other.restore(saved, byId(changed))).toEqual(['bang (its thresholds or durations changed)']);
    expect(other.rows([changed])).toEqual([]);
    expect(other.restore(saved, () => undefined)).toEqual(['bang (no such concept)']);
  });

  it('keeps a bounded state: the same size after one hour as after ten', () => {
    const est = new BackgroundEstimate(options({ timeConstantHours: 2 }));
    const s = scores();
    feed(est, s);
    const size1 = JSON.stringify(est.snapshot()).length;
    for (let h = 1; h < 10; h++) feed(est, s, h * 3600);
    const size10 = JSON.stringify(est.snapshot()).length;
    expect(Math.abs(size10 - size1)).toBeLessThan(size1 * 0.2);
    // One lifecycle and one count per candidate threshold of calibrate's grid, whatever the hours.
    expect(est.snapshot().concepts[0]!.starts.length).toBe(thresholdGrid(0.3, 0.999).length);
  });
});
