/**
 * The matching study behind docs/concepts.md: every bag is embedded once (all modalities), then the
 * matching stage re-runs over the collected embeddings for each condition: all modalities, each modality
 * dropped, each modality alone, and text-only concepts vs concepts with taught exemplars. Dropping a
 * modality here equals --drop upstream (the windower reports it missing; nothing is embedded for it).
 */
import { SENSOR_MODALITIES, type SensorModality, type SnapshotEmbeddings } from '../core/types.js';
import type { Logger } from '../core/log.js';
import { exemplarsFromSnapshots } from '../memory/exemplar.js';
import type { MemoryState, ModalityVectorLists } from '../memory/state.js';
import type { MatcherOptions } from '../match/options.js';
import type { TruthEvent } from '../sim/truth.js';
import type { EvalReport } from './metrics.js';
import type { Config } from '../config/schema.js';
import { openPipeline } from '../pipeline/open.js';
import type { PipelineOptions } from '../pipeline/options.js';
import { runBag } from '../pipeline/run-bag.js';
import { dropModalities, rematch, scoreRuns, type ScoredRun } from './score-run.js';

export interface CollectedBag {
  bag: string;
  snapshots: SnapshotEmbeddings[];
  truth: TruthEvent[];
  durationSeconds: number;
  end: bigint | undefined;
}

/** Embeds bags once; returns the collected snapshots and the memory state (with prototypes) used. */
export async function collectBags(
  bags: readonly string[],
  config: Config,
  options: PipelineOptions,
  logger?: Logger,
): Promise<{ collected: CollectedBag[]; state: MemoryState; modalities: SensorModality[]; textScale: number; familiarity: MatcherOptions['familiarity'] }> {
  const pipeline = await openPipeline(options, { logger });
  try {
    const collected: CollectedBag[] = [];
    for (const bag of bags) {
      const t0 = performance.now();
      const r = await runBag(pipeline, config, bag, { collect: true, hopSeconds: options.hopSeconds, ...(logger ? { logger } : {}) });
      collected.push({ bag, snapshots: r.snapshots, truth: r.truth, durationSeconds: r.summary.durationSeconds, end: r.summary.last });
      logger?.info({ bag, snapshots: r.snapshots.length, seconds: Math.round(performance.now() - t0) / 1000 }, 'bag embedded');
    }
    const modalities = SENSOR_MODALITIES.filter((m) => collected.some((c) => c.snapshots.some((s) => s.embeddings[m] !== undefined)));
    // The matching re-runs use the thresholds the agent had in force (match.background in apply mode).
    const applied = pipeline.background?.status().applied ?? {};
    const base = pipeline.memory.state;
    const concepts = base.concepts.map((c) => {
      const on = applied[c.id];
      return on === undefined ? c : { ...c, thresholds: { ...c.thresholds, on } };
    });
    const state = { ...base, concepts };
    return { collected, state, modalities, textScale: pipeline.runtime.scale('text'), familiarity: pipeline.matcherOptions.familiarity };
  } finally {
    await pipeline.close();
  }
}

/**
 * Teaches `perConcept` exemplars per concept from the ground truth of `bags`: each exemplar is the mean
 * embedding, per modality the concept may be observed in, of the snapshots inside one truth interval.
 * Background concepts are taught the same way from quiet stretches (at least 2 s with no truth), as a user
 * would teach "nothing happening": exemplars only for events would bias every taught concept against the
 * untaught background.
 */
export function teachFromTruth(state: MemoryState, bags: readonly CollectedBag[], perConcept = 3, background = false): MemoryState {
  const exemplars = new Map(state.exemplars);
  const quiet: { b: CollectedBag; t: { start: bigint; end: bigint } }[] = [];
  for (const b of bags) {
    const times = b.snapshots.map((s) => s.stamp);
    let runStart: bigint | undefined;
    for (const stamp of times) {
      const busy = b.truth.some((t) => t.start - 1_000_000_000n <= stamp && t.end + 1_000_000_000n >= stamp);
      if (busy) {
        runStart = undefined;
        continue;
      }
      runStart ??= stamp;
      if (stamp - runStart >= 2_000_000_000n) {
        quiet.push({ b, t: { start: runStart, end: stamp } });
        runStart = undefined;
      }
    }
  }
  for (const c of state.concepts) {
    if (c.background && !background) continue;
    const intervals = c.background ? quiet.slice(0, perConcept) : bags.flatMap((b) => b.truth.filter((t) => t.label === c.id).map((t) => ({ b, t }))).slice(0, perConcept);
    if (intervals.length === 0) continue;
    const lists: ModalityVectorLists = {};
    const modalities = SENSOR_MODALITIES.filter((m) => c.modalities === undefined || c.modalities.includes(m));
    for (const { b, t } of intervals) {
      const means = exemplarsFromSnapshots(b.snapshots, modalities, t);
      for (const m of modalities) if (means[m] !== undefined) (lists[m] ??= []).push(means[m]);
    }
    exemplars.set(c.id, lists);
  }
  return { ...state, exemplars };
}

/** Matches every bag under one condition and scores them together. */
export function scoreCondition(bags: readonly CollectedBag[], state: MemoryState, options: MatcherOptions, keep: readonly SensorModality[] | undefined, concepts: readonly string[]): EvalReport {
  const runs: ScoredRun[] = bags.map((b) => {
    const drop = keep === undefined ? [] : SENSOR_MODALITIES.filter((m) => !keep.includes(m));
    const events = rematch(dropModalities(b.snapshots, drop), state, options);
    const run: ScoredRun = { events, truth: b.truth, durationSeconds: b.durationSeconds };
    if (b.end !== undefined) run.end = b.end;
    return run;
  });
  return scoreRuns(runs, { concepts });
}

export interface StudyRow {
  condition: string;
  modalities: SensorModality[];
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  falsePositivesPerMinute: number;
  /** False positives per minute of concepts none of the condition's modalities can observe. */
  unobservableFalsePositivesPerMinute: number;
  meanOnsetLatency: number | null;
  perConcept: Record<string, number>;
}

export function studyRows(bags: readonly CollectedBag[], state: MemoryState, options: MatcherOptions, modalities: readonly SensorModality[], concepts: readonly string[], label = ''): StudyRow[] {
  const minutes = bags.reduce((a, b) => a + b.durationSeconds, 0) / 60;
  const row = (condition: string, keep: readonly SensorModality[]): StudyRow => {
    const observable = concepts.filter((id) => {
      const c = state.concepts.find((x) => x.id === id);
      return c === undefined || c.modalities === undefined || c.modalities.some((m) => keep.includes(m));
    });
    const report = scoreCondition(bags, state, options, keep, concepts);
    const scored = scoreCondition(bags, state, options, keep, observable);
    let unobservableFp = 0;
    for (const id of concepts) if (!observable.includes(id)) unobservableFp += report.concepts[id]?.fp ?? 0;
    return {
      condition: `${label}${condition}`,
      modalities: [...keep],
      macroF1: scored.macro.f1,
      macroPrecision: scored.macro.precision,
      macroRecall: scored.macro.recall,
      falsePositivesPerMinute: report.falsePositivesPerMinute,
      unobservableFalsePositivesPerMinute: Math.round((unobservableFp / Math.max(minutes, 1e-9)) * 1000) / 1000,
      meanOnsetLatency: report.onsetLatency.mean,
      perConcept: Object.fromEntries(Object.entries(scored.concepts).map(([k, v]) => [k, v.f1])),
    };
  };
  const rows = [row('all', modalities)];
  for (const m of modalities) rows.push(row(`drop ${m}`, modalities.filter((x) => x !== m)));
  for (const m of modalities) rows.push(row(`only ${m}`, [m]));
  return rows;
}

export function logRows(logger: Logger | undefined, rows: readonly StudyRow[]): void {
  for (const r of rows) logger?.info({ condition: r.condition, f1: r.macroF1, fpPerMin: r.falsePositivesPerMinute }, 'study');
}
