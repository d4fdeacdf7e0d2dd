/**
 * The live background estimate (pure): while the agent runs, each concept's background on this robot,
 * learnt slowly from the matcher's own scores, in bounded memory, so its `on` threshold can be set for a
 * target false-event rate exactly as `sensebind calibrate` sets it from recordings.
 *
 * What `calibrate` counts on a recording (src/eval/calibrate.ts) is how many events the concept's own
 * lifecycle would start at each candidate threshold. Live there is no recording to replay, so the estimate
 * runs those lifecycles as the scores arrive: one ConceptLifecycle per candidate threshold of the shared
 * grid (threshold-search.ts: the concept's own `on` up to 0.999 in equal logit steps, about a hundred),
 * each counting its starts. Counts and hours of evidence are forgotten exponentially (time constant
 * `timeConstantHours` of the agent clock), so the estimate follows the robot's life as it changes and never
 * grows: per concept a fixed number of lifecycles, start counts and score histograms (fixed bins in logit
 * space, for the report's percentiles).
 *
 * The threshold is the shared search (`lowestThreshold`) on those counts, the target being the same
 * condition on rates as calibrate's: forgotten starts at most `ratePerHour` x forgotten hours. It never goes
 * below the concept's own threshold and never more than `maxRaise` above it.
 *
 * Snapshots in which the concept's event is running are left out (`skipEvents`), so a real event never
 * becomes background; the snapshot that starts it still counts (it is the excursion that crossed the
 * threshold), else nothing could ever be counted at or above the threshold in force and the estimate could
 * never raise it. So a concept firing more often than the target rate has its threshold nudged up, about
 * one step of the grid per round, until it fires no more than the rate allows (docs/concepts.md); with
 * `skipEvents` off every snapshot counts, which is calibrate's assumption (the learning time is
 * event-free): learn, then freeze.
 *
 * A jump of the clock (another recording, a restart) restarts the lifecycles, as calibrate replays each
 * recording from a fresh one, and forgets nothing: the time between is not time the robot lived.
 */
import { SENSOR_MODALITIES, type ConceptTrace, type SensorModality } from '../core/types.js';
import type { ConceptDef } from '../memory/concept.js';
import { ConceptLifecycle, type LifecycleParams } from './lifecycle.js';
import { lifecycleParams } from './matcher.js';
import type { MatcherOptions } from './options.js';
import { lowestThreshold, thresholdGrid, type CalibrationRow } from './threshold-search.js';

export interface BackgroundOptions {
  /** Target false events per concept per hour. */
  ratePerHour: number;
  /** Time constant of the forgetting, hours. */
  timeConstantHours: number;
  /** Largest raise above a concept's own `on`, score units. */
  maxRaise: number;
  /** Added to the lowest threshold meeting the target (threshold-search.ts). */
  margin: number;
  /** Leave out a concept's snapshots while its event runs. */
  skipEvents: boolean;
  /** The matcher's lifecycle settings (smoothing, gaps), so the lifecycles run as the agent's do. */
  matcher: Pick<MatcherOptions, 'lifecycle'>;
}

/** Highest candidate threshold (calibrate's default ceiling). */
const BACKGROUND_CEILING = 0.999;
/** A clock step longer than this (or backwards) is a jump, not time lived. */
const MAX_STEP_SECONDS = 10;

/** Score histograms: fixed bins in logit space (scores bunch near 0 and 1). */
const BIN_LO = -8;
const BIN_STEP = 0.1;
const BINS = 160;
type Channel = 'fused' | SensorModality;
const CHANNELS: readonly Channel[] = ['fused', ...SENSOR_MODALITIES];

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
function binOf(score: number): number {
  const p = Math.min(1 - 1e-9, Math.max(1e-9, score));
  return Math.min(BINS - 1, Math.max(0, Math.floor((Math.log(p / (1 - p)) - BIN_LO) / BIN_STEP)));
}

/** One concept's estimate. */
interface ConceptEstimate {
  /** The lifecycle settings it was learnt under (on = the concept's own): another definition invalidates it. */
  key: string;
  floor: number;
  /** Candidate thresholds, descending, `floor` last. */
  grid: number[];
  bank: ConceptLifecycle[];
  /** Forgotten start counts per grid level. */
  starts: Float64Array;
  /** Forgotten seconds of evidence taken in. */
  exposureS: number;
  /** Snapshots taken in (not forgotten; for the metrics). */
  samples: number;
  hist: Partial<Record<Channel, Float64Array>>;
  /** The concept's event runs (its snapshots are left out): the lifecycles restart after it. */
  skipped: boolean;
}

/** A concept's row of the calibration table (its hours are forgotten hours of event-free evidence). */
export interface BackgroundRow extends CalibrationRow {
  samples: number;
}

/** The estimate as stored beside the concept memory (src/memory/background-file.ts validates it). */
export interface BackgroundSnapshot {
  concepts: {
    id: string;
    key: string;
    floor: number;
    starts: number[];
    exposureS: number;
    samples: number;
    hist: Partial<Record<Channel, number[]>>;
  }[];
}

const round = (x: number, k = 1e4) => Math.round(x * k) / k;

export class BackgroundEstimate {
  readonly #o: BackgroundOptions;
  readonly #byId = new Map<string, ConceptEstimate>();
  #lastS: number | undefined;

  constructor(options: BackgroundOptions) {
    this.#o = options;
  }

  #params(c: ConceptDef, on: number): LifecycleParams {
    return lifecycleParams(c, on, this.#o.matcher);
  }

  #keyOf(c: ConceptDef): string {
    return JSON.stringify(this.#params(c, c.thresholds.on));
  }

  #fresh(c: ConceptDef): ConceptEstimate {
    const floor = c.thresholds.on;
    const grid = floor < BACKGROUND_CEILING ? thresholdGrid(floor, BACKGROUND_CEILING) : [floor];
    return {
      key: this.#keyOf(c),
      floor,
      grid,
      bank: grid.map((on) => new ConceptLifecycle(this.#params(c, on))),
      starts: new Float64Array(grid.length),
      exposureS: 0,
      samples: 0,
      hist: {},
      skipped: false,
    };
  }

  /** The concept's estimate, a fresh one when it has none or its definition changed. */
  #estimate(c: ConceptDef): ConceptEstimate {
    let e = this.#byId.get(c.id);
    if (e === undefined || e.key !== this.#keyOf(c)) {
      e = this.#fresh(c);
      this.#byId.set(c.id, e);
    }
    return e;
  }

  #restart(e: ConceptEstimate, c: ConceptDef): void {
    e.bank = e.grid.map((on) => new ConceptLifecycle(this.#params(c, on)));
  }

  /**
   * Takes in one snapshot: the matcher's trace (every event concept's fused and per-modality scores and
   * whether its event runs) at `nowS` seconds on the agent clock. `concepts` resolves the trace's ids.
   */
  observe(traces: readonly ConceptTrace[], concepts: (id: string) => ConceptDef | undefined, nowS: number): void {
    const last = this.#lastS;
    this.#lastS = nowS;
    const jump = last === undefined || nowS < last || nowS - last > MAX_STEP_SECONDS;
    const dt = jump ? 0 : nowS - last;
    const decay = Math.exp(-dt / (this.#o.timeConstantHours * 3600));
    for (const t of traces) {
      const c = concepts(t.conceptId);
      if (c === undefined) continue;
      const e = this.#estimate(c);
      if (jump) this.#restart(e, c);
      if (decay < 1) {
        for (let i = 0; i < e.starts.length; i++) e.starts[i] = (e.starts[i] as number) * decay;
        e.exposureS *= decay;
        for (const h of Object.values(e.hist)) for (let i = 0; i < h.length; i++) h[i] = (h[i] as number) * decay;
      }
      if (this.#o.skipEvents && t.active) {
        // The snapshot that starts the event is still background's (the excursion that crossed the
        // threshold); the ones while it runs are not.
        const starting = !e.skipped;
        e.skipped = true;
        if (!starting) continue;
      } else if (e.skipped) {
        e.skipped = false;
        this.#restart(e, c);
      }
      const fused = t.fused ?? undefined;
      e.bank.forEach((lc, i) => {
        if (lc.step(fused, nowS)?.type === 'start') e.starts[i] = (e.starts[i] as number) + 1;
      });
      if (fused === undefined) continue;
      e.exposureS += dt;
      e.samples++;
      const add = (ch: Channel, score: number) => {
        const h = (e.hist[ch] ??= new Float64Array(BINS));
        const b = binOf(score);
        h[b] = (h[b] as number) + 1;
      };
      add('fused', fused);
      for (const m of SENSOR_MODALITIES) {
        const v = t.modalityScores[m];
        if (v !== undefined) add(m, v);
      }
    }
  }

  /** The learnt `on` of one concept, or undefined when it has no estimate. */
  choose(c: ConceptDef): { on: number; saturated: boolean; hours: number } | undefined {
    const e = this.#byId.get(c.id);
    if (e === undefined || e.key !== this.#keyOf(c)) return undefined;
    const bound = Math.max(e.floor, Math.min(BACKGROUND_CEILING, e.floor + this.#o.maxRaise));
    // The grid reaches 0.999 whatever maxRaise is, so changing the bound keeps what was learnt.
    const first = e.grid.findIndex((x) => x <= bound + 1e-12);
    const grid = e.grid.slice(first);
    const hours = e.exposureS / 3600;
    const choice = lowestThreshold(grid, (_on, i) => e.starts[first + i] as number, this.#o.ratePerHour * hours, this.#o.margin, bound);
    return { ...choice, hours };
  }

  /** Learnt `on` thresholds of the concepts with at least `minHours` of evidence that are above their own. */
  thresholds(concepts: readonly ConceptDef[], minHours: number): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of concepts) {
      const ch = this.choose(c);
      if (ch !== undefined && ch.hours >= minHours && ch.on > c.thresholds.on) out.set(c.id, ch.on);
    }
    return out;
  }

  /** Per concept: evidence, score percentiles, starts per hour at its own and at the learnt threshold. */
  rows(concepts: readonly ConceptDef[]): BackgroundRow[] {
    const rows: BackgroundRow[] = [];
    for (const c of concepts) {
      const e = this.#byId.get(c.id);
      const ch = this.choose(c);
      if (e === undefined || ch === undefined) continue;
      const startsAt = (on: number) => {
        let i = e.grid.findIndex((x) => x <= on + 1e-12);
        if (i < 0) i = e.grid.length - 1;
        return e.starts[i] as number;
      };
      const perHour = (n: number) => (ch.hours > 0 ? round(n / ch.hours, 100) : 0);
      const modalities: BackgroundRow['modalities'] = {};
      for (const m of SENSOR_MODALITIES) {
        const h = e.hist[m];
        if (h !== undefined) modalities[m] = quantiles(h);
      }
      const before = startsAt(c.thresholds.on);
      const after = startsAt(ch.on);
      rows.push({
        id: c.id,
        hoursWithEvidence: round(ch.hours),
        samples: e.samples,
        modalities,
        fused: e.hist.fused ? quantiles(e.hist.fused) : { p99: NaN, max: NaN },
        before: { on: c.thresholds.on, events: round(before, 100), perHour: perHour(before) },
        after: { on: round(ch.on), off: c.thresholds.off, events: round(after, 100), perHour: perHour(after) },
        saturated: ch.saturated,
      });
    }
    return rows;
  }

  /** Forgets everything (a reset). */
  clear(): void {
    this.#byId.clear();
    this.#lastS = undefined;
  }

  /** What is worth keeping across a restart (the lifecycles restart anyway). */
  snapshot(): BackgroundSnapshot {
    const r = (a: ArrayLike<number>) => Array.from(a, (x) => Number(x.toPrecision(6)));
    return {
      concepts: [...this.#byId].map(([id, e]) => ({
        id,
        key: e.key,
        floor: e.floor,
        starts: r(e.starts),
        exposureS: Number(e.exposureS.toPrecision(9)),
        samples: e.samples,
        hist: Object.fromEntries(Object.entries(e.hist).map(([ch, h]) => [ch, r(h)])),
      })),
    };
  }

  /**
   * Takes up a stored estimate. Concepts whose definition changed since (threshold, durations, smoothing)
   * or that are gone are left out; returns their ids with the reason.
   */
  restore(saved: BackgroundSnapshot, concepts: (id: string) => ConceptDef | undefined): string[] {
    const dropped: string[] = [];
    for (const s of saved.concepts) {
      const c = concepts(s.id);
      if (c === undefined) {
        dropped.push(`${s.id} (no such concept)`);
        continue;
      }
      const e = this.#fresh(c);
      if (e.key !== s.key || e.grid.length !== s.starts.length) {
        dropped.push(`${s.id} (its thresholds or durations changed)`);
        continue;
      }
      e.starts.set(s.starts);
      e.exposureS = s.exposureS;
      e.samples = s.samples;
      for (const ch of CHANNELS) {
        const h = s.hist[ch];
        if (h !== undefined && h.length === BINS) e.hist[ch] = Float64Array.from(h);
      }
      this.#byId.set(s.id, e);
    }
    return dropped;
  }

  /** Per concept: snapshots taken in and forgotten hours of evidence (for the metrics). */
  evidence(): Map<string, { samples: number; hours: number }> {
    return new Map([...this.#byId].map(([id, e]) => [id, { samples: e.samples, hours: e.exposureS / 3600 }]));
  }
}

/** 99th percentile and maximum of a histogram, as scores at the upper edge of their bins. */
function quantiles(h: Float64Array): { p99: number; max: number } {
  let total = 0;
  for (const v of h) total += v;
  if (!(total > 0)) return { p99: NaN, max: NaN };
  const edge = (b: number) => round(sigmoid(BIN_LO + (b + 1) * BIN_STEP));
  let top = -1;
  for (let b = BINS - 1; b >= 0; b--) {
    if ((h[b] as number) > total * 1e-9) {
      top = b;
      break;
    }
  }
  let acc = 0;
  for (let b = 0; b < BINS; b++) {
    acc += h[b] as number;
    if (acc >= 0.99 * total) return { p99: edge(b), max: edge(top) };
  }
  return { p99: edge(top), max: edge(top) };
}
