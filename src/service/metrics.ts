/**
 * The one place that turns stage statistics into Prometheus metrics (STYLE #9: stats() everywhere,
 * formatted for metrics in one place). Two feeds:
 * - pull: sources, sinks, queues and any stage with a stats() are registered once (`watch*`); their counts
 *   are read at scrape time, so a stage keeps plain counters and knows nothing of Prometheus;
 * - push: timings and per-event counts arrive through the typed `StageHooks` (hooks.ts) this class
 *   implements, because a histogram needs every observation, not a running total.
 * Each MetricsRegistry owns its own prom-client Registry, so tests and several agents in one process do not
 * collide on the global default registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { SenseEvent, SensorModality } from '../core/types.js';
import type { SinkStats } from '../sinks/sink.js';
import type { SourceStats } from '../sources/source.js';
import type { StageHooks } from '../agent/hooks.js';
import { LoopLagMonitor } from './loop-lag.js';

export interface Watched<S> {
  readonly name: string;
  stats(): S;
}

export interface QueueStats {
  depth: number;
  /** Lifetime drops of the queue. */
  dropped: number;
}

export interface MetricsOptions {
  /** Include prom-client's process_* and nodejs_* metrics (RSS, heap, fds, GC). @default true */
  processMetrics?: boolean;
  /** Metric name prefix. @default 'sensebind_' */
  prefix?: string;
}

/** Latency buckets (s) from 0.5 ms to 10 s: CPU preprocessing on a Jetson to a cold ONNX session. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const SOURCE_COUNTS = ['received', 'decoded', 'skipped', 'bad', 'dropped'] as const;
const SINK_COUNTS = ['written', 'dropped', 'errors'] as const;

/** Flattens numeric and boolean leaves of a stats object into dotted keys (depth-limited, arrays skipped). */
export function numericLeaves(value: unknown, prefix = '', out: Array<[string, number]> = [], depth = 0): Array<[string, number]> {
  if (typeof value === 'number' && Number.isFinite(value)) out.push([prefix, value]);
  else if (typeof value === 'bigint') out.push([prefix, Number(value)]);
  else if (typeof value === 'boolean') out.push([prefix, value ? 1 : 0]);
  else if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 4) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      numericLeaves(inner, prefix === '' ? key : `${prefix}.${key}`, out, depth + 1);
    }
  }
  return out;
}

export class MetricsRegistry implements StageHooks {
  readonly registry = new Registry();
  readonly loopLag = new LoopLagMonitor();
  #sources: Watched<SourceStats>[] = [];
  #sinks: Watched<SinkStats>[] = [];
  #queues = new Map<string, () => QueueStats>();
  #stages = new Map<string, () => unknown>();
  #hookDrops = new Map<string, number>();
  #ready = (): boolean => false;
  #caps = new Map<SensorModality, number>();

  #snapshots: Counter<string>;
  #modalitySnapshots: Counter<'modality'>;
  #modalityAge: Gauge<'modality'>;
  #preprocess: Histogram<'modality'>;
  #inference: Histogram<'modality' | 'provider'>;
  #skipped: Counter<'modality' | 'reason'>;
  #events: Counter<'concept' | 'phase'>;
  #delivery: Histogram<'sink'>;
  #rateCap: Gauge<'modality'>;
  #degradations: Counter<'modality'>;

  constructor(options: MetricsOptions = {}) {
    const { processMetrics = true, prefix = 'sensebind_' } = options;
    const registers = [this.registry];
    const sources = () => this.#sources;
    const sinks = () => this.#sinks;
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
    const watchedSeries = <S extends { detail?: Record<string, unknown> }, K extends keyof S & string>(
      label: 'source' | 'sink',
      watched: () => Iterable<Watched<S>>,
      counts: readonly K[],
      gauge: { name: string; help: string; value: (stats: S) => number },
      what: string,
      type: string,
    ): void => {
      for (const key of counts) {
        new Counter({
          name: `${prefix}${label}_${key}_total`,
          help: `${what} ${key} per ${label} (${type}.${key})`,
          labelNames: [label],
          registers,
          collect() {
            this.reset();
            for (const w of watched()) {
              const st = safeStats(w);
              if (st) this.inc({ [label]: w.name }, st[key] as number);
            }
          },
        });
      }
      new Gauge({
        name: `${prefix}${label}_${gauge.name}`,
        help: gauge.help,
        labelNames: [label],
        registers,
        collect() {
          this.reset();
          for (const w of watched()) {
            const st = safeStats(w);
            if (st) this.set({ [label]: w.name }, gauge.value(st));
          }
        },
      });
      new Gauge({
        name: `${prefix}${label}_detail`,
        help: `${label === 'source' ? 'Source-specific counters' : 'Sink-specific figures'} (${type}.detail), by key`,
        labelNames: [label, 'key'],
        registers,
        collect() {
          this.reset();
          for (const w of watched()) {
            for (const [key, v] of numericLeaves(safeStats(w)?.detail ?? {})) this.set({ [label]: w.name, key }, v);
          }
        },
      });
    };

    // Sources and sinks expose the same shape of stats(): counters, one gauge field, and a detail map.
    watchedSeries('source', sources, SOURCE_COUNTS, { name: 'connected', help: '1 when the source is connected to its transport', value: (st) => (st.connected ? 1 : 0) }, 'Messages', 'SourceStats');
    watchedSeries('sink', sinks, SINK_COUNTS, { name: 'pending', help: 'Events accepted but not yet delivered/durable (MQTT outbox depth)', value: (st) => st.pending }, 'Events', 'SinkStats');

    const queues = this.#queues;
    const hookDrops = this.#hookDrops;
    new Gauge({
      name: `${prefix}queue_depth`,
      help: 'Items waiting in a bounded queue',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        for (const [name, fn] of queues) this.set({ queue: name }, safeCall(fn)?.depth ?? 0);
      },
    });
    new Counter({
      name: `${prefix}queue_dropped_total`,
      help: 'Items dropped because a bounded queue was full',
      labelNames: ['queue'],
      registers,
      collect() {
        this.reset();
        const names = new Set([...queues.keys(), ...hookDrops.keys()]);
        for (const name of names) {
          const pulled = queues.has(name) ? (safeCall(queues.get(name)!)?.dropped ?? 0) : 0;
          this.inc({ queue: name }, pulled + (hookDrops.get(name) ?? 0));
        }
      },
    });

    const stages = this.#stages;
    new Gauge({
      name: `${prefix}stage_stat`,
      help: 'Numeric fields of each stage\'s stats(), by stage and dotted key',
      labelNames: ['stage', 'key'],
      registers,
      collect() {
        this.reset();
        for (const [stage, fn] of stages) {
          for (const [key, v] of numericLeaves(safeCall(fn) ?? {})) this.set({ stage, key }, v);
        }
      },
    });

    this.#snapshots = new Counter({ name: `${prefix}snapshots_total`, help: 'Snapshots formed', registers });
    this.#modalitySnapshots = new Counter({
      name: `${prefix}modality_snapshots_total`,
      help: 'Snapshots in which the modality was present (rate() = per-modality snapshot rate)',
      labelNames: ['modality'],
      registers,
    });
    this.#modalityAge = new Gauge({
      name: `${prefix}modality_age_seconds`,
      help: 'Age of the newest data of each modality at the last snapshot',
      labelNames: ['modality'],
      registers,
    });
    this.#preprocess = new Histogram({
      name: `${prefix}preprocess_seconds`,
      help: 'Preprocessing time per modality and snapshot',
      labelNames: ['modality'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#inference = new Histogram({
      name: `${prefix}inference_seconds`,
      help: 'ONNX inference time per modality and execution provider',
      labelNames: ['modality', 'provider'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#skipped = new Counter({
      name: `${prefix}embed_skipped_total`,
      help: 'Present modalities not embedded (rate cap, load degradation, busy)',
      labelNames: ['modality', 'reason'],
      registers,
    });
    this.#events = new Counter({
      name: `${prefix}events_total`,
      help: 'Event messages emitted, by concept and phase (start/update/end)',
      labelNames: ['concept', 'phase'],
      registers,
    });
    this.#delivery = new Histogram({
      name: `${prefix}sink_delivery_seconds`,
      help: 'Time from handing an event to a sink until it was delivered (MQTT: broker ack)',
      labelNames: ['sink'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers,
    });
    this.#rateCap = new Gauge({
      name: `${prefix}embed_rate_cap_hz`,
      help: 'Effective embedding rate cap per modality (0 = uncapped); below the configured cap = degraded',
      labelNames: ['modality'],
      registers,
    });
    this.#degradations = new Counter({
      name: `${prefix}degradations_total`,
      help: 'Times the governor lowered a modality\'s embed rate because processing could not keep up',
      labelNames: ['modality'],
      registers,
    });

    const lag = this.loopLag;
    new Gauge({
      name: `${prefix}event_loop_lag_seconds`,
      help: 'Event-loop delay since the previous scrape (perf_hooks.monitorEventLoopDelay)',
      labelNames: ['quantile'],
      registers,
      collect() {
        const s = lag.sample();
        this.set({ quantile: '0.5' }, s.p50);
        this.set({ quantile: '0.99' }, s.p99);
        this.set({ quantile: '1' }, s.max);
      },
    });
    new Gauge({
      name: `${prefix}rss_bytes`,
      help: 'Resident set size of the process',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    const ready = () => this.#ready();
    new Gauge({
      name: `${prefix}ready`,
      help: '1 when models are loaded and sources connected (/readyz)',
      registers,
      collect() {
        this.set(ready() ? 1 : 0);
      },
    });
  }

  watchSource(source: Watched<SourceStats>): void {
    this.#sources.push(source);
  }

  watchSink(sink: Watched<SinkStats>): void {
    this.#sinks.push(sink);
  }

  watchQueue(name: string, stats: () => QueueStats): void {
    this.#queues.set(name, stats);
  }

  /** Any stage's stats(): numeric leaves become sensebind_stage_stat{stage, key}. */
  watchStage(stage: string, stats: () => unknown): void {
    this.#stages.set(stage, stats);
  }

  setReadiness(ready: () => boolean): void {
    this.#ready = ready;
  }

  /** Prometheus text exposition. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.loopLag.stop();
  }

  // StageHooks: called on hot paths; prom-client updates are a map lookup and an add.
  snapshot(present: readonly SensorModality[], ages: Partial<Record<SensorModality, number>>): void {
    this.#snapshots.inc();
    for (const m of present) {
      this.#modalitySnapshots.inc({ modality: m });
      const age = ages[m];
      if (age !== undefined) this.#modalityAge.set({ modality: m }, age);
    }
  }

  preprocessed(modality: SensorModality, seconds: number): void {
    this.#preprocess.observe({ modality }, seconds);
  }

  inferred(modality: SensorModality, provider: string, seconds: number): void {
    this.#inference.observe({ modality, provider }, seconds);
  }

  skipped(modality: SensorModality, reason: 'rate-cap' | 'degraded' | 'busy'): void {
    this.#skipped.inc({ modality, reason });
  }

  dropped(queue: string, count: number): void {
    this.#hookDrops.set(queue, (this.#hookDrops.get(queue) ?? 0) + count);
  }

  event(event: SenseEvent): void {
    this.#events.inc({ concept: event.concept.id, phase: event.type });
  }

  delivered(sink: string, seconds: number): void {
    this.#delivery.observe({ sink }, seconds);
  }

  degraded(modality: SensorModality, rateHz: number, _reason: string): void {
    const before = this.#caps.get(modality);
    // A cap is lower when it is finite and either the old one was uncapped (0) or higher.
    if (rateHz > 0 && (before === undefined || before === 0 || rateHz < before)) this.#degradations.inc({ modality });
    this.setRateCap(modality, rateHz);
  }

  /** Records the configured (undegraded) cap so the gauge exists before any degradation. */
  setRateCap(modality: SensorModality, rateHz: number): void {
    this.#caps.set(modality, rateHz);
    this.#rateCap.set({ modality }, rateHz);
  }
}

/** A stage whose stats() throws must not break the scrape; its series are simply absent this time. */
function safeStats<S>(w: Watched<S>): S | undefined {
  return safeCall(() => w.stats());
}

function safeCall<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
