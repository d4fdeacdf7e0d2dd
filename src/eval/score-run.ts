/**
 * Scores a run: emitted events (from a replay or a JSONL file) against a bag's ground truth, and re-runs
 * the matching stage alone over collected snapshot embeddings (parameter tuning, exemplar studies, modality
 * drops without embedding again: dropping a modality before the matcher is what --drop does upstream,
 * because the windower then reports it missing and nothing is embedded for it).
 */
import { SENSOR_MODALITIES, type SensorModality, type SenseEvent, type SnapshotEmbeddings } from '../core/types.js';
import { ConceptMatcher } from '../match/matcher.js';
import type { MatcherOptions } from '../match/options.js';
import type { MemoryState } from '../memory/state.js';
import type { TruthEvent } from '../sim/truth.js';
import { evaluate, eventIntervals, type EvalReport, type Interval } from './metrics.js';

export interface ScoredRun {
  events: readonly SenseEvent[];
  truth: readonly TruthEvent[];
  durationSeconds: number;
  /** End of the recording, ns (closes events that never ended). */
  end?: bigint;
}

/** Scores one or more runs together (intervals pooled, durations summed). */
export function scoreRuns(runs: readonly ScoredRun[], options: { collarSeconds?: number; concepts?: readonly string[] } = {}): EvalReport {
  const predicted: Interval[] = [];
  const truth: Interval[] = [];
  let duration = 0;
  // Each run gets its own time offset so intervals of different bags never overlap each other.
  let offset = 0n;
  for (const r of runs) {
    for (const p of eventIntervals(r.events, r.end)) predicted.push({ ...p, start: p.start + offset, end: p.end + offset });
    for (const t of r.truth) truth.push({ label: t.label, start: t.start + offset, end: t.end + offset });
    duration += r.durationSeconds;
    offset += 10n ** 15n;
  }
  const opts: Parameters<typeof evaluate>[2] = { durationSeconds: duration };
  if (options.collarSeconds !== undefined) opts.collarSeconds = options.collarSeconds;
  if (options.concepts !== undefined) opts.concepts = options.concepts;
  return evaluate(predicted, truth, opts);
}

/** Removes modalities from collected snapshots, as if their sensors were unplugged. */
export function dropModalities(snapshots: readonly SnapshotEmbeddings[], drop: readonly SensorModality[]): SnapshotEmbeddings[] {
  if (drop.length === 0) return [...snapshots];
  const d = new Set(drop);
  return snapshots.map((s) => {
    const embeddings: SnapshotEmbeddings['embeddings'] = {};
    for (const m of SENSOR_MODALITIES) if (!d.has(m) && s.embeddings[m] !== undefined) embeddings[m] = s.embeddings[m];
    const out: SnapshotEmbeddings = { ...s, embeddings, present: s.present.filter((m) => !d.has(m)), missing: SENSOR_MODALITIES.filter((m) => d.has(m) || !s.present.includes(m)) };
    // A dropped sensor is not there at all, so it cannot have been found quiet either.
    if (s.gated !== undefined) out.gated = Object.fromEntries(Object.entries(s.gated).filter(([m]) => !d.has(m as SensorModality)));
    return out;
  });
}

/** Runs a fresh matcher over snapshots and returns every event (finish() included). */
export function rematch(snapshots: readonly SnapshotEmbeddings[], state: MemoryState, options: MatcherOptions = {}): SenseEvent[] {
  const matcher = new ConceptMatcher(state, { runId: 'eval', now: () => new Date(0), ...options });
  const events: SenseEvent[] = [];
  for (const s of snapshots) events.push(...matcher.process(s).events);
  const last = snapshots[snapshots.length - 1];
  if (last !== undefined) events.push(...matcher.finish(last.stamp));
  return events;
}
