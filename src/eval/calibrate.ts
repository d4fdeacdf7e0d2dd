/**
 * Threshold calibration on the robot's own event-free recordings (`sensebind calibrate`).
 *
 * The matching stage is re-run over each recording's collected embeddings with events switched off (so
 * no running event freezes the calibration statistics), recording every concept's fused score per
 * snapshot and each modality's share of it: that is the concept's background score distribution on this
 * robot. Then, per concept, the lowest `on` threshold is found at which the concept's own lifecycle
 * (smoothing, minimum duration, hysteresis, cooldown: lifecycle.ts, exactly as the agent runs it) starts
 * no more events on these recordings than the target rate allows, and a margin is added.
 *
 * Thresholds only rise from a floor (the concept file's threshold, so a re-run starts from the same
 * place): recordings without events can say how high a threshold must be to stay quiet, never how low it
 * may go and still catch the events.
 */
import { SENSOR_MODALITIES, type SensorModality, type SnapshotEmbeddings } from '../core/types.js';
import { SensebindError } from '../core/errors.js';
import { ConceptLifecycle, type LifecycleParams } from '../match/lifecycle.js';
import { ConceptMatcher, lifecycleParams } from '../match/matcher.js';
import type { MatcherOptions } from '../match/options.js';
import type { MemoryState } from '../memory/state.js';
import { allowedEvents, lowestThreshold, thresholdGrid, type CalibrationRow } from '../match/threshold-search.js';

/** One recording's score traces. NaN = no evidence for the concept in that snapshot. */
export interface ScoreTrace {
  bag: string;
  seconds: number;
  /** Snapshot times, seconds on the recording clock. */
  times: Float64Array;
  fused: Map<string, Float64Array>;
  modality: Map<string, Partial<Record<SensorModality, Float64Array>>>;
}

/** Collects every event concept's fused and per-modality scores over each recording, with events off. */
export function traceScores(recordings: readonly { bag: string; snapshots: SnapshotEmbeddings[]; durationSeconds: number }[], state: MemoryState, matcher: MatcherOptions): ScoreTrace[] {
  // on > 1: the lifecycle never starts, so no concept's statistics freeze and the trace is the background.
  const quiet: MemoryState = { ...state, concepts: state.concepts.map((c) => (c.background ? c : { ...c, thresholds: { on: 2, off: 1.5 } })) };
  const events = state.concepts.filter((c) => c.enabled && !c.background);
  return recordings.map((r) => {
    const m = new ConceptMatcher(quiet, { ...matcher, topK: state.concepts.length });
    const n = r.snapshots.length;
    const fused = new Map(events.map((c) => [c.id, new Float64Array(n).fill(NaN)]));
    const modality = new Map(events.map((c) => [c.id, {} as Partial<Record<SensorModality, Float64Array>>]));
    const times = new Float64Array(n);
    r.snapshots.forEach((s, i) => {
      times[i] = Number(s.stamp) / 1e9;
      for (const t of m.process(s).top) {
        const f = fused.get(t.conceptId);
        if (f === undefined) continue;
        f[i] = t.score;
        const per = modality.get(t.conceptId) as Partial<Record<SensorModality, Float64Array>>;
        for (const mod of SENSOR_MODALITIES) {
          const v = t.modalityScores[mod];
          if (v === undefined) continue;
          (per[mod] ??= new Float64Array(n).fill(NaN))[i] = v;
        }
      }
    });
    m.close();
    return { bag: r.bag, seconds: r.durationSeconds, times, fused, modality };
  });
}

/** Events the concept's lifecycle starts on one fused trace at threshold `on`. */
export function countStarts(times: Float64Array, fused: Float64Array, params: LifecycleParams): number {
  const lc = new ConceptLifecycle(params);
  let starts = 0;
  for (let i = 0; i < fused.length; i++) {
    const v = fused[i] as number;
    if (lc.step(Number.isNaN(v) ? undefined : v, times[i] as number)?.type === 'start') starts++;
  }
  return starts;
}

/** "1/8h", "3/day", "0.5/h", "2/30min" -> events per hour. */
export function parseRate(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+(?:\.\d+)?)?\s*(s|sec|min|h|hour|d|day)\s*$/.exec(text);
  if (m === null) throw new SensebindError('USAGE', `--rate "${text}": expected events per time, like 1/8h, 3/day or 0.5/h`);
  const per = Number(m[2] ?? 1) * ({ s: 1 / 3600, sec: 1 / 3600, min: 1 / 60, h: 1, hour: 1, d: 24, day: 24 } as const)[m[3] as 's'];
  const rate = Number(m[1]) / per;
  if (!(rate >= 0) || !Number.isFinite(rate)) throw new SensebindError('USAGE', `--rate "${text}": not a usable rate`);
  return rate;
}

export interface CalibrationOptions {
  /** Target false events per hour per concept. */
  ratePerHour: number;
  /** Added to the lowest threshold that meets the target. @default 0.02 */
  margin?: number;
  /** Per concept id: the threshold calibration starts from (never goes below). @default the concept's own */
  floors?: ReadonlyMap<string, number>;
  /** Highest `on` tried. @default 0.999 */
  ceiling?: number;
}

function quantiles(values: Float64Array[]): { p99: number; max: number } {
  const all: number[] = [];
  for (const v of values) for (const x of v) if (!Number.isNaN(x)) all.push(x);
  if (all.length === 0) return { p99: NaN, max: NaN };
  all.sort((a, b) => a - b);
  return { p99: all[Math.min(all.length - 1, Math.floor(0.99 * all.length))] as number, max: all[all.length - 1] as number };
}

const round = (x: number, k = 1e4) => Math.round(x * k) / k;

/** Per event concept: the lowest threshold meeting the target rate on the traces, plus the margin. */
export function calibrateThresholds(traces: readonly ScoreTrace[], state: MemoryState, matcher: MatcherOptions, options: CalibrationOptions): CalibrationRow[] {
  const { ratePerHour, margin = 0.02, ceiling = 0.999 } = options;
  const hours = traces.reduce((a, t) => a + t.seconds, 0) / 3600;
  const allowed = allowedEvents(ratePerHour, hours);
  const rows: CalibrationRow[] = [];
  for (const c of state.concepts) {
    if (c.background || !c.enabled) continue;
    const fused = traces.map((t) => t.fused.get(c.id) as Float64Array);
    const events = (on: number) => traces.reduce((a, t, i) => a + countStarts(t.times, fused[i] as Float64Array, lifecycleParams(c, on, matcher)), 0);
    const floor = options.floors?.get(c.id) ?? c.thresholds.on;
    const { on, saturated } = lowestThreshold(thresholdGrid(floor, ceiling), events, allowed, margin, ceiling);
    const mods: CalibrationRow['modalities'] = {};
    for (const m of SENSOR_MODALITIES) {
      const per = traces.map((t) => t.modality.get(c.id)?.[m]).filter((v): v is Float64Array => v !== undefined);
      if (per.length > 0) {
        const q = quantiles(per);
        mods[m] = { p99: round(q.p99), max: round(q.max) };
      }
    }
    const q = quantiles(fused);
    let evidenceSeconds = 0;
    for (const t of traces) {
      const f = t.fused.get(c.id) as Float64Array;
      let k = 0;
      for (const v of f) if (!Number.isNaN(v)) k++;
      evidenceSeconds += f.length > 0 ? (t.seconds * k) / f.length : 0;
    }
    const beforeEvents = events(c.thresholds.on);
    const afterEvents = events(on);
    const perHour = (n: number) => (hours > 0 ? round(n / hours, 100) : 0);
    rows.push({
      id: c.id,
      hoursWithEvidence: round(evidenceSeconds / 3600),
      modalities: mods,
      fused: { p99: round(q.p99), max: round(q.max) },
      before: { on: c.thresholds.on, events: beforeEvents, perHour: perHour(beforeEvents) },
      after: { on: round(on, 1e4), off: c.thresholds.off, events: afterEvents, perHour: perHour(afterEvents) },
      saturated,
    });
  }
  return rows;
}

/** The rows as a fixed-width text table (for the terminal). */
export function formatCalibrationTable(rows: readonly CalibrationRow[]): string {
  const header = ['concept', 'evidence h', 'per-modality p99 / max', 'fused p99 / max', 'on before', 'events/h before', 'on after', 'events/h after'];
  const fmt = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(3));
  const lines = rows.map((r) => [
    r.id + (r.saturated ? ' (!)' : ''),
    r.hoursWithEvidence.toFixed(3),
    Object.entries(r.modalities)
      .map(([m, q]) => `${m} ${fmt(q.p99)}/${fmt(q.max)}`)
      .join(', ') || '-',
    `${fmt(r.fused.p99)}/${fmt(r.fused.max)}`,
    r.before.on.toFixed(3),
    r.before.perHour.toFixed(2),
    r.after.on.toFixed(3),
    r.after.perHour.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ');
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}
