/**
 * The agent: the one place where the stages meet. Samples go into the Windower; every tick takes a
 * Snapshot, embeds each present modality, hands the embeddings to the matcher and the resulting events to
 * every sink. Stages know nothing of each other; the agent knows only their interfaces.
 *
 * Failure isolation: an embedding error in one modality makes that modality missing for that snapshot
 * (counted, logged once per modality and message) and matching goes on with the others. A sink that
 * throws is counted and skipped; the other sinks still get the event.
 *
 * Frame reuse: when a frame modality's newest frame is the one already embedded (camera slower than the
 * hop), its embedding is reused instead of recomputed. An embed gate (rate caps, CPU degradation) may also
 * skip a modality; its last embedding is then reused while it is no older than the modality's max age.
 */
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import {
  SENSOR_MODALITIES,
  taggedWindows,
  type Embedding,
  type Modality,
  type MatchOutput,
  type SenseEvent,
  type SensorModality,
  type Snapshot,
  type SnapshotEmbeddings,
  type SnapshotMatcher,
  type StampNs,
  type TaggedWindow,
} from '../core/types.js';
import { NO_HOOKS, type StageHooks } from './hooks.js';
import type { EventSink } from '../sinks/sink.js';
import type { Windower } from '../window/windower.js';

/**
 * What the agent needs from the embedding runtime (src/embed/runtime.ts satisfies it). The embedder reports
 * its own preprocessing and inference timings; the agent times the whole call for the gate.
 */
export interface ModalityEmbedder {
  modalities(): readonly Modality[];
  /** Embeds windows of one modality. */
  embedWindows(windows: readonly TaggedWindow[], stamp: StampNs): Promise<Embedding[]>;
}

/** Decides whether a modality is embedded at this snapshot (rate caps, degradation). */
export interface EmbedGate {
  allow(modality: SensorModality, stamp: StampNs): true | 'rate-cap' | 'degraded';
  /** Reports how long embedding took, so the gate can degrade when the CPU cannot keep up. */
  observe?(modality: SensorModality, seconds: number, hopSeconds: number): void;
}

/** What happened to each present modality at one snapshot (the live view's gate states). */
export type EmbedState = 'embedded' | 'reused' | 'rate-cap' | 'degraded' | 'failed' | 'unsupported';

export interface TickResult {
  snapshot: Snapshot;
  embeddings: SnapshotEmbeddings;
  match: MatchOutput;
  /** Per present modality: embedded, reused, held back by the gate, failed or unsupported. */
  embedStates: Partial<Record<SensorModality, EmbedState>>;
}

export interface AgentOptions {
  windower: Windower;
  embedder: ModalityEmbedder;
  matcher: SnapshotMatcher;
  sinks: EventSink[];
  logger: Logger;
  /** Seconds between ticks (for the gate's load estimate). @default 0.5 */
  hopSeconds?: number;
  /** Per-modality max age, seconds, for reusing a skipped modality's last embedding. @default 1 */
  maxAgeSeconds?: Partial<Record<SensorModality, number>>;
  hooks?: StageHooks;
  gate?: EmbedGate;
  /** Called after every tick (the demo's live display, clip recorders). */
  onTick?: (result: TickResult) => void;
}

export interface AgentStats {
  ticks: number;
  embedded: Record<SensorModality, number>;
  reused: Record<SensorModality, number>;
  embedErrors: Record<SensorModality, number>;
  unsupported: Record<SensorModality, number>;
  events: number;
  sinkErrors: number;
}

const zeros = (): Record<SensorModality, number> => Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, 0])) as Record<SensorModality, number>;

interface CachedEmbedding {
  embedding: Embedding;
  /** Stamp of the frame it was computed from (frame modalities), for reuse of unchanged frames. */
  frameStamp: StampNs | undefined;
}

export class Agent {
  readonly #o: AgentOptions;
  readonly #hooks: StageHooks;
  readonly #supported: Set<Modality>;
  readonly #cache = new Map<SensorModality, CachedEmbedding>();
  readonly #loggedErrors = new Set<string>();
  #stats: AgentStats = { ticks: 0, embedded: zeros(), reused: zeros(), embedErrors: zeros(), unsupported: zeros(), events: 0, sinkErrors: 0 };

  constructor(options: AgentOptions) {
    this.#o = options;
    this.#hooks = options.hooks ?? NO_HOOKS;
    this.#supported = new Set(options.embedder.modalities());
  }

  get windower(): Windower {
    return this.#o.windower;
  }

  push(sample: Parameters<Windower['push']>[0]): void {
    this.#o.windower.push(sample);
  }

  /** Takes a snapshot at `now`, embeds, matches and emits. Never throws for sensor or model trouble. */
  async tick(now: StampNs): Promise<TickResult> {
    const snapshot = this.#o.windower.snapshot(now);
    this.#stats.ticks++;
    const ages: Partial<Record<SensorModality, number>> = {};
    const wstats = this.#o.windower.stats();
    // Data age is about the sensor, not the evidence: a gated modality (silence, an IMU at rest) is live.
    for (const m of SENSOR_MODALITIES) if (snapshot.present.includes(m) || snapshot.gated?.[m] !== undefined) ages[m] = wstats.ageSeconds[m];
    this.#hooks.snapshot(snapshot.present, ages);

    const windows = taggedWindows(snapshot.windows);
    const embedStates: Partial<Record<SensorModality, EmbedState>> = {};
    const results = await Promise.all(windows.map((w) => this.#embedOne(w, snapshot.stamp, embedStates)));
    const embeddings: Partial<Record<SensorModality, Embedding>> = {};
    windows.forEach((w, i) => {
      const e = results[i];
      if (e) embeddings[w.modality] = e;
    });
    const present = SENSOR_MODALITIES.filter((m) => embeddings[m] !== undefined);
    const se: SnapshotEmbeddings = {
      seq: snapshot.seq,
      stamp: now,
      present,
      missing: SENSOR_MODALITIES.filter((m) => embeddings[m] === undefined),
      embeddings,
    };
    if (snapshot.gated !== undefined) se.gated = snapshot.gated;
    const match = this.#o.matcher.process(se);
    await this.#emit(match.events);
    const result = { snapshot, embeddings: se, match, embedStates };
    this.#o.onTick?.(result);
    return result;
  }

  /** Ends every open event at `now` and flushes the sinks (end of a bag, shutdown). */
  async finish(now: StampNs, flushDeadlineMs = 5000): Promise<SenseEvent[]> {
    const events = this.#o.matcher.finish(now);
    await this.#emit(events);
    await Promise.all(this.#o.sinks.map((s) => s.flush(flushDeadlineMs).catch(() => this.#stats.sinkErrors++)));
    return events;
  }

  stats(): AgentStats {
    return structuredClone(this.#stats);
  }

  async #embedOne(tagged: TaggedWindow, stamp: StampNs, states: Partial<Record<SensorModality, EmbedState>>): Promise<Embedding | undefined> {
    const m = tagged.modality;
    if (!this.#supported.has(m)) {
      this.#stats.unsupported[m]++;
      states[m] = 'unsupported';
      return undefined;
    }
    const window = tagged.window;
    const frameStamp = window.kind === 'frame' ? window.sample.stamp : undefined;
    const cached = this.#cache.get(m);
    if (cached && frameStamp !== undefined && cached.frameStamp === frameStamp) {
      this.#stats.reused[m]++;
      states[m] = 'reused';
      return cached.embedding;
    }
    const verdict = this.#o.gate?.allow(m, stamp) ?? true;
    if (verdict !== true) {
      this.#hooks.skipped(m, verdict);
      states[m] = verdict;
      const maxAge = this.#o.maxAgeSeconds?.[m] ?? 1;
      if (cached && Number(stamp - cached.embedding.stamp) / 1e9 <= maxAge) {
        this.#stats.reused[m]++;
        return cached.embedding;
      }
      return undefined;
    }
    const t0 = performance.now();
    try {
      const [embedding] = await this.#o.embedder.embedWindows([tagged], stamp);
      const seconds = (performance.now() - t0) / 1000;
      this.#o.gate?.observe?.(m, seconds, this.#o.hopSeconds ?? 0.5);
      if (!embedding) return undefined;
      this.#cache.set(m, { embedding, frameStamp });
      this.#stats.embedded[m]++;
      states[m] = 'embedded';
      return embedding;
    } catch (err) {
      this.#stats.embedErrors[m]++;
      states[m] = 'failed';
      const msg = errorMessage(err);
      const key = `${m}:${msg}`;
      if (!this.#loggedErrors.has(key)) {
        this.#loggedErrors.add(key);
        this.#o.logger.warn({ modality: m, err: msg }, 'embedding failed; modality treated as missing (logged once per message)');
      }
      return undefined;
    }
  }

  async #emit(events: SenseEvent[]): Promise<void> {
    for (const event of events) {
      this.#stats.events++;
      this.#hooks.event(event);
      // Sinks take events in order; each sink queues internally, so one slow sink does not reorder another.
      await Promise.all(
        this.#o.sinks.map(async (sink) => {
          try {
            await sink.write(event);
          } catch (err) {
            this.#stats.sinkErrors++;
            this.#o.logger.error({ sink: sink.name, err: errorMessage(err) }, 'sink write failed');
          }
        }),
      );
    }
  }
}
