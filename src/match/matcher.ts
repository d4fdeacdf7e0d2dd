/**
 * The matching stage (core SnapshotMatcher): one snapshot of embeddings in, lifecycle events out.
 * Per present modality: similarities to every concept (matrix.ts), calibration (calibration.ts); then
 * log-linear fusion over present modalities (fusion.ts) and one lifecycle per concept (lifecycle.ts).
 * The matcher follows the concept memory: a committed change rebuilds the matrices; lifecycles of concepts
 * that survive the change keep their state (a running event is not cut by an unrelated edit).
 */
import { randomBytes } from 'node:crypto';
import {
  SENSOR_MODALITIES,
  type ConceptScore,
  type ConceptTrace,
  type MatchOutput,
  type SenseEvent,
  type SensorModality,
  type SnapshotEmbeddings,
  type SnapshotMatcher,
  type StampNs,
} from '../core/types.js';
import { nsToIso } from '../core/clock.js';
import type { ConceptDef } from '../memory/concept.js';
import type { ConceptMemory } from '../memory/memory.js';
import type { MemoryState } from '../memory/state.js';
import { ModalityCalibration } from './calibration.js';
import { isFamiliar, type FamiliarityCheck } from './familiarity.js';
import { LogLinearPool } from './fusion.js';
import { ConceptLifecycle, type LifecycleParams, type Transition } from './lifecycle.js';
import { buildModalityMatrix, similarities, type ModalityMatrix } from './matrix.js';
import { CALIBRATION_DEFAULTS, FUSION_DEFAULT_WEIGHTS, GATED_DEFAULT_SCORES, LIFECYCLE_DEFAULTS, type MatcherOptions } from './options.js';

interface ModalityStage {
  matrix: ModalityMatrix;
  calibration: ModalityCalibration;
  /** Concept index -> row, -1 when the modality may not observe the concept. */
  rowOf: Int32Array;
  sims: Float32Array;
  /** Best exemplar similarity per row (NaN: no exemplar). */
  exBest: Float32Array;
  probs: Float32Array;
  frozen: Uint8Array;
  scratch: { ex: Float32Array };
  /** Per row, the familiarity check (undefined: not checked), and this snapshot's verdict (1 familiar). */
  checks: (FamiliarityCheck | undefined)[];
  familiar: Uint8Array;
}

interface TraceInputs {
  snapshot: number;
  concepts: readonly ConceptDef[];
  lifecycles: readonly (ConceptLifecycle | undefined)[];
  fused: Float64Array;
  stages: readonly { m: SensorModality; stage: ModalityStage; fixed: number | undefined }[];
}

interface OpenEvent {
  id: string;
  start: StampNs;
  /** As of the event's last start/update: what its end says if the concept leaves the memory meanwhile. */
  label: string;
  score: number;
  peak: number;
  modalityScores: Partial<Record<SensorModality, number>>;
}

export interface MatcherStats {
  snapshots: number;
  events: { start: number; update: number; end: number };
  /** Snapshots in which each modality gave evidence. */
  modalityEvidence: Partial<Record<SensorModality, number>>;
  /** Snapshots in which a gated modality gave its fixed score (fusion.gatedScores), per modality. */
  gatedVotes: Partial<Record<SensorModality, number>>;
  /**
   * Familiarity gate (src/match/familiarity.ts): per modality, votes that were not evidence because the
   * embedding was far from every exemplar of the concept; `unanchored`: concept scores withheld because
   * every checked modality was unfamiliar and no unchecked one gave evidence.
   */
  familiarity: { refused: Partial<Record<SensorModality, number>>; unanchored: number };
  /** Snapshots whose embeddings came from another model than the prototypes (ignored modality). */
  dimensionMismatches: number;
  concepts: number;
  meanProcessMs: number;
}

/**
 * A concept's event lifecycle parameters with the on-threshold `on`: the concept's own thresholds and
 * durations, the matcher's smoothing, update and gap settings. The matcher and `calibrate` (which replays
 * lifecycles on score traces at candidate thresholds) share it, so a calibrated threshold means what it
 * means live.
 */
export function lifecycleParams(c: ConceptDef, on: number, matcher: Pick<MatcherOptions, 'lifecycle'>): LifecycleParams {
  const l = { ...LIFECYCLE_DEFAULTS, ...matcher.lifecycle };
  return {
    on,
    off: c.thresholds.off,
    minDurationSeconds: c.minDurationSeconds,
    maxDurationSeconds: c.maxDurationSeconds,
    cooldownSeconds: c.cooldownSeconds,
    smoothing: l.smoothing,
    updateDelta: l.updateDelta,
    maxGapSeconds: l.maxGapSeconds,
  };
}

/**
 * An event without what depends on the wall clock or the process (emittedAt, and the run id inside `id`,
 * `<robot>-<run>-<n>`): two runs over the same recording give equal values. For comparing runs.
 */
export function runIndependent(e: SenseEvent): Omit<SenseEvent, 'emittedAt'> {
  const { emittedAt: _wall, ...rest } = e;
  return { ...rest, id: e.id.replace(/^(.*)-[^-]+-(\d+)$/, '$1-$2') };
}

export class ConceptMatcher implements SnapshotMatcher {
  readonly #memory: ConceptMemory | undefined;
  readonly #robot: string;
  readonly #runId: string;
  readonly #topK: number;
  readonly #now: () => Date;
  readonly #o: MatcherOptions;
  #concepts: ConceptDef[] = [];
  #stages = new Map<SensorModality, ModalityStage>();
  #lifecycles: (ConceptLifecycle | undefined)[] = [];
  #open = new Map<string, OpenEvent>();
  #fused = new Float64Array(0);
  #pool = new LogLinearPool();
  #seq = 0;
  #eventCounter = 0;
  #lastStamp: StampNs = 0n;
  #stats: MatcherStats = { snapshots: 0, events: { start: 0, update: 0, end: 0 }, modalityEvidence: {}, gatedVotes: {}, familiarity: { refused: {}, unanchored: 0 }, dimensionMismatches: 0, concepts: 0, meanProcessMs: 0 };
  #unsubscribe: (() => void) | undefined;
  /** Concept id -> `on` threshold in force instead of the concept's own (the live background estimate). */
  #onOverrides: ReadonlyMap<string, number> = new Map();
  #built: MemoryState | undefined;

  /** `source`: a live memory (followed on change) or a fixed state (evaluation, benches). */
  constructor(source: ConceptMemory | MemoryState, options: MatcherOptions = {}) {
    this.#o = options;
    this.#robot = options.robot ?? 'robot';
    this.#runId = options.runId ?? randomBytes(4).toString('hex');
    this.#topK = options.topK ?? 5;
    this.#now = options.now ?? (() => new Date());
    if ('commit' in source) {
      this.#memory = source;
      this.#rebuild(source.state);
      this.#unsubscribe = source.onChange((s) => this.#rebuild(s));
    } else {
      this.#memory = undefined;
      this.#rebuild(source);
    }
  }

  /** Stops following the memory. */
  close(): void {
    this.#unsubscribe?.();
  }

  stats(): MatcherStats {
    const f = this.#stats.familiarity;
    return { ...this.#stats, events: { ...this.#stats.events }, modalityEvidence: { ...this.#stats.modalityEvidence }, gatedVotes: { ...this.#stats.gatedVotes }, familiarity: { refused: { ...f.refused }, unanchored: f.unanchored }, concepts: this.#concepts.length };
  }

  #params(c: ConceptDef): LifecycleParams {
    return lifecycleParams(c, this.#onOverrides.get(c.id) ?? c.thresholds.on, this.#o);
  }

  /**
   * `on` thresholds to use instead of the concepts' own (src/match/background-live.ts); concepts not in
   * `overrides` use their own. Running events go on under the new threshold.
   */
  setOnThresholds(overrides: ReadonlyMap<string, number>): void {
    this.#onOverrides = overrides;
    this.#concepts.forEach((c, i) => this.#lifecycles[i]?.setParams(this.#params(c)));
  }

  #rebuild(state: MemoryState): void {
    // A change that leaves what matching reads alone (the background estimate's freeze) keeps the running statistics.
    const last = this.#built;
    this.#built = state;
    if (last !== undefined && sameMatching(last, state)) return;
    const previous = new Map(this.#concepts.map((c, i) => [c.id, this.#lifecycles[i]]));
    const concepts = state.concepts.filter((c) => c.enabled);
    const index = new Map(concepts.map((c, i) => [c.id, i]));
    this.#lifecycles = concepts.map((c) => {
      if (c.background) return undefined;
      const kept = previous.get(c.id);
      if (kept !== undefined) {
        kept.setParams(this.#params(c));
        return kept;
      }
      return new ConceptLifecycle(this.#params(c));
    });
    // Events of concepts that were removed or disabled stay open until finish() or the next snapshot ends them.
    const stages = new Map<SensorModality, ModalityStage>();
    const built: { matrix: ModalityMatrix; vectors: Float32Array[] }[] = [];
    for (const m of SENSOR_MODALITIES) {
      const b = buildModalityMatrix(state, m, concepts, index, built);
      if (b === undefined || b.matrix.concepts.length === 0) continue;
      built.push(b);
      const matrix = b.matrix;
      const n = matrix.concepts.length;
      const rowOf = new Int32Array(concepts.length).fill(-1);
      matrix.concepts.forEach((ci, r) => (rowOf[ci] = r));
      stages.set(m, {
        matrix,
        calibration: new ModalityCalibration(m, n, this.#o.calibration),
        rowOf,
        sims: new Float32Array(n),
        exBest: new Float32Array(n),
        probs: new Float32Array(n),
        frozen: new Uint8Array(n),
        scratch: { ex: new Float32Array(0) },
        checks: Array.from(matrix.concepts, (ci) => this.#checkFor(concepts[ci] as ConceptDef, m, matrix.dim)),
        familiar: new Uint8Array(n),
      });
    }
    this.#concepts = concepts;
    this.#stages = stages;
  }

  /** A concept's familiarity check in a modality, when the gate has exemplars of the model's size for it. */
  #checkFor(c: ConceptDef, m: SensorModality, dim: number): FamiliarityCheck | undefined {
    const gate = this.#o.familiarity;
    if (gate === undefined || gate.dim !== dim || c.background) return undefined;
    return gate.check(c.id, m);
  }

  process(input: SnapshotEmbeddings): MatchOutput {
    const t0 = performance.now();
    this.#memory?.observe(input);
    this.#lastStamp = input.stamp;
    const nowS = Number(input.stamp) / 1e9;
    const cal = { ...CALIBRATION_DEFAULTS, ...this.#o.calibration };
    const weights = this.#o.fusion?.weights ?? FUSION_DEFAULT_WEIGHTS;
    const evidence: SensorModality[] = [];
    for (const m of input.present) {
      const stage = this.#stages.get(m);
      const emb = input.embeddings[m];
      if (stage === undefined || emb === undefined) continue;
      if (emb.vector.length !== stage.matrix.dim) {
        this.#stats.dimensionMismatches++;
        continue;
      }
      const hasEx = similarities(stage.matrix, emb.vector, stage.sims, stage.exBest, stage.scratch);
      for (let r = 0; r < stage.frozen.length; r++) stage.frozen[r] = this.#lifecycles[stage.matrix.concepts[r] as number]?.active === true ? 1 : 0;
      for (let r = 0; r < stage.checks.length; r++) {
        const check = stage.checks[r];
        stage.familiar[r] = check === undefined || isFamiliar(check, emb.vector) ? 1 : 0;
      }
      const warm = stage.calibration.warm;
      stage.calibration.calibrate(stage.sims, (cal.modalityScale ? emb.scale : 1) * cal.textScale, nowS, stage.frozen, stage.probs, hasEx ? stage.exBest : undefined);
      if (warm) {
        evidence.push(m);
        this.#stats.modalityEvidence[m] = (this.#stats.modalityEvidence[m] ?? 0) + 1;
      }
    }
    const events: SenseEvent[] = [];
    const n = this.#concepts.length;
    if (this.#fused.length !== n) this.#fused = new Float64Array(n);
    const fused = this.#fused;
    const stages = evidence.map((m) => ({ m, stage: this.#stages.get(m) as ModalityStage, w: weights[m] ?? 1, fixed: undefined as number | undefined }));
    // Gated modalities with a fixed score (an IMU at rest) vote it for every concept they may observe.
    const gatedScores = this.#o.fusion?.gatedScores ?? GATED_DEFAULT_SCORES;
    for (const m of SENSOR_MODALITIES) {
      const reason = input.gated?.[m];
      const stage = this.#stages.get(m);
      if (reason === undefined || stage === undefined || input.embeddings[m] !== undefined) continue;
      stage.calibration.countGated();
      const fixed = gatedScores[reason];
      if (fixed === undefined) continue;
      stages.push({ m, stage, w: weights[m] ?? 1, fixed });
      this.#stats.gatedVotes[m] = (this.#stats.gatedVotes[m] ?? 0) + 1;
    }
    const top: number[] = [];
    const k = this.#topK;
    const pool = this.#pool;
    const imuAtRest = input.gated?.imu === 'at-rest';
    for (let ci = 0; ci < n; ci++) {
      pool.reset();
      const c = this.#concepts[ci] as ConceptDef;
      const needs = c.needsOneOf;
      let anchored = needs === undefined;
      // Familiarity: where a modality is checked for this concept, its vote still counts (a vote against
      // must), but the concept needs at least one familiar or unchecked modality to have a score at all.
      let checked = false;
      let familiar = false;
      for (const { m, stage, w, fixed } of stages) {
        const r = stage.rowOf[ci] as number;
        if (r < 0) continue;
        if (fixed === undefined) {
          if (stage.checks[r] === undefined) familiar = true;
          else {
            checked = true;
            if (stage.familiar[r] === 1) familiar = true;
            else this.#stats.familiarity.refused[m] = (this.#stats.familiarity.refused[m] ?? 0) + 1;
          }
        }
        pool.add(fixed ?? (stage.probs[r] as number), w);
        // A gated modality's fixed vote is evidence against, never the evidence a concept needs.
        if (!anchored && fixed === undefined && (needs as SensorModality[]).includes(m)) anchored = true;
      }
      if (c.background) continue;
      if (checked && !familiar && anchored) {
        anchored = false;
        this.#stats.familiarity.unanchored++;
      }
      const score = bodyMotionVeto(c, imuAtRest) ? 0 : anchored ? pool.value() : undefined;
      fused[ci] = score ?? -1;
      if (score !== undefined && (top.length < k || score > (fused[top[top.length - 1] as number] as number))) {
        let i = top.length < k ? top.length : k - 1;
        top[i] = ci;
        while (i > 0 && (fused[top[i - 1] as number] as number) < score) {
          top[i] = top[i - 1] as number;
          top[i - 1] = ci;
          i--;
        }
      }
      const tr = (this.#lifecycles[ci] as ConceptLifecycle).step(score, nowS);
      if (tr !== undefined) events.push(this.#event(c, tr, input, this.#modalityScores(ci, stages)));
    }
    const scores: ConceptScore[] = top.map((ci) => {
      const c = this.#concepts[ci] as ConceptDef;
      return { conceptId: c.id, label: c.label, score: fused[ci] as number, modalityScores: this.#modalityScores(ci, stages) };
    });
    // Events of concepts that left the memory (removed or disabled) end now.
    const live = new Set(this.#concepts.map((c) => c.id));
    for (const [id, open] of this.#open) {
      if (live.has(id)) continue;
      this.#open.delete(id);
      events.push(this.#endOrphan(id, open, input.stamp, input));
    }
    this.#stats.snapshots++;
    const ms = performance.now() - t0;
    this.#stats.meanProcessMs += (ms - this.#stats.meanProcessMs) / Math.min(this.#stats.snapshots, 100);
    const at = { snapshot: this.#stats.snapshots, concepts: this.#concepts, lifecycles: this.#lifecycles, fused, stages };
    return { events, top: scores, trace: () => this.#trace(at) };
  }

  /** `at` holds this snapshot's arrays, so a concept edit (rebuild) in between does not mix two sets. */
  #trace(at: TraceInputs): ConceptTrace[] {
    // The per-modality buffers are overwritten by the next process(); a late call would mix two snapshots.
    if (at.snapshot !== this.#stats.snapshots) throw new Error(`matcher trace of snapshot ${at.snapshot} asked after snapshot ${this.#stats.snapshots}`);
    const out: ConceptTrace[] = [];
    const stages = at.stages;
    at.concepts.forEach((c, ci) => {
      const lc = at.lifecycles[ci];
      if (lc === undefined) return;
      const fused = at.fused[ci] as number;
      out.push({
        conceptId: c.id,
        label: c.label,
        fused: fused >= 0 ? fused : null,
        smoothed: lc.smoothed,
        on: this.#onOverrides.get(c.id) ?? c.thresholds.on,
        off: c.thresholds.off,
        active: lc.active,
        modalityScores: this.#modalityScores(ci, stages),
      });
    });
    return out;
  }

  #modalityScores(ci: number, stages: readonly { m: SensorModality; stage: ModalityStage; fixed: number | undefined }[]): Partial<Record<SensorModality, number>> {
    const out: Partial<Record<SensorModality, number>> = {};
    for (const { m, stage, fixed } of stages) {
      const r = stage.rowOf[ci] as number;
      if (r >= 0) out[m] = fixed ?? (stage.probs[r] as number);
    }
    return out;
  }

  finish(stamp: StampNs): SenseEvent[] {
    const nowS = Number(stamp) / 1e9;
    const out: SenseEvent[] = [];
    const input: SnapshotEmbeddings = { seq: -1, stamp, present: [], missing: [...SENSOR_MODALITIES], embeddings: {} };
    this.#concepts.forEach((c, ci) => {
      const tr = this.#lifecycles[ci]?.finish(nowS);
      if (tr !== undefined) out.push(this.#event(c, tr, input, {}));
    });
    for (const [id, open] of this.#open) out.push(this.#endOrphan(id, open, stamp, input));
    this.#open.clear();
    return out;
  }

  #event(c: ConceptDef, tr: Transition, input: SnapshotEmbeddings, modalityScores: Partial<Record<SensorModality, number>>): SenseEvent {
    let open = this.#open.get(c.id);
    if (tr.type === 'start' || open === undefined) {
      open = { id: `${this.#robot}-${this.#runId}-${++this.#eventCounter}`, start: input.stamp, label: c.label, score: 0, peak: 0, modalityScores: {} };
      this.#open.set(c.id, open);
    }
    if (tr.type === 'end') this.#open.delete(c.id);
    else Object.assign(open, { label: c.label, score: round(tr.score), peak: round(tr.peak), modalityScores: roundAll(modalityScores) });
    this.#stats.events[tr.type]++;
    return {
      v: 1,
      id: open.id,
      type: tr.type,
      robot: this.#robot,
      concept: { id: c.id, label: c.label },
      score: round(tr.score),
      peakScore: round(tr.peak),
      modalityScores: roundAll(modalityScores),
      present: [...input.present],
      missing: [...input.missing],
      start: open.start.toString(),
      end: tr.type === 'end' ? input.stamp.toString() : null,
      startTime: nsToIso(open.start),
      endTime: tr.type === 'end' ? nsToIso(input.stamp) : null,
      emittedAt: this.#now().toISOString(),
      seq: ++this.#seq,
    };
  }

  #endOrphan(id: string, open: OpenEvent, stamp: StampNs, input: SnapshotEmbeddings): SenseEvent {
    this.#stats.events.end++;
    return {
      v: 1,
      id: open.id,
      type: 'end',
      robot: this.#robot,
      // The concept may be gone from the memory: its last known label and scores, not blanks.
      concept: { id, label: this.#memory?.get(id)?.label ?? open.label },
      score: open.score,
      peakScore: open.peak,
      modalityScores: open.modalityScores,
      present: [...input.present],
      missing: [...input.missing],
      start: open.start.toString(),
      end: stamp.toString(),
      startTime: nsToIso(open.start),
      endTime: nsToIso(stamp),
      emittedAt: this.#now().toISOString(),
      seq: ++this.#seq,
    };
  }

  /** Stamp of the last processed snapshot (for finish() at end of input). */
  get lastStamp(): StampNs {
    return this.#lastStamp;
  }
}

/** Whether two states hold the same concept, exemplar and prototype objects (commits copy the containers). */
function sameMatching(a: MemoryState, b: MemoryState): boolean {
  const pa = a.prototypes;
  const pb = b.prototypes;
  if (pa !== pb && (pa === undefined || pb === undefined || pa.modelId !== pb.modelId || pa.byConcept.size !== pb.byConcept.size)) return false;
  if (pa !== undefined && pb !== undefined) for (const [id, v] of pa.byConcept) if (pb.byConcept.get(id) !== v) return false;
  if (a.concepts.length !== b.concepts.length || a.exemplars.size !== b.exemplars.size) return false;
  if (a.concepts.some((c, i) => c !== b.concepts[i])) return false;
  for (const [id, v] of a.exemplars) if (b.exemplars.get(id) !== v) return false;
  return true;
}

/**
 * An IMU that the evidence gates found at rest over its whole window (5 s for bind-mini) says the body did
 * not move: a concept that is a motion of the body (tipping over, being picked up, a collision) is then
 * observed not to happen, whatever a camera or a microphone makes of the scene. Without an IMU (none
 * fitted, unplugged, stale) nothing is vetoed and the concept's other modalities decide.
 */
function bodyMotionVeto(c: ConceptDef, imuAtRest: boolean): boolean {
  return imuAtRest && c.bodyMotion === true;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
function roundAll(s: Partial<Record<SensorModality, number>>): Partial<Record<SensorModality, number>> {
  const out: Partial<Record<SensorModality, number>> = {};
  for (const m of SENSOR_MODALITIES) if (s[m] !== undefined) out[m] = round(s[m] as number);
  return out;
}
