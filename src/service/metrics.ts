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
import { LoopLagMonitor, type LoopLagSample } from './loop-lag.js';

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
  /**
   * Distinct concept ids that get their own `concept` label on events_total; events of further concepts
   * (added at run time beyond this) count under `concept="other"`, so the series stay bounded. @default 200
   */
  maxConceptLabels?: number;
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
  readonly #conceptLabels = new Set<string>();
  readonly #maxConceptLabels: number;

  constructor(options: MetricsOptions = {}) {
    const { processMetrics = true, prefix = 'sensebind_', maxConceptLabels = 200 } = options;
    this.#maxConceptLabels = maxConceptLabels;
    const registers = [this.registry];
    const sources = () => this.#sources;
    const sinks = () => this.#sinks;
    if (processMetrics) {
      collectDefaultMetrics({ register: this.registry });
      renameTotalGauges(this.registry);
    }
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

    // Registered before the max gauge: a scrape calls get() in registration order, so the gauge reads this scrape's sample.
    let lastLag: LoopLagSample | undefined;
    // `as never`: prom-client types registerMetric for its own classes; the registry only reads name/type and calls get()/reset().
    this.registry.registerMetric(loopLagSummary(`${prefix}event_loop_lag_seconds`, this.loopLag, (s) => (lastLag = s)) as never);
    new Gauge({
      name: `${prefix}event_loop_lag_max_seconds`,
      help: 'Longest event-loop delay in the interval since the previous scrape',
      registers,
      collect() {
        this.set(lastLag?.max ?? 0);
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
    for (const m of present) this.#modalitySnapshots.inc({ modality: m });
    // Ages cover gated modalities too (their sensor is live; the window just carried no evidence).
    for (const [m, age] of Object.entries(ages)) if (age !== undefined) this.#modalityAge.set({ modality: m }, age);
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
    const id = event.concept.id;
    let concept = id;
    if (!this.#conceptLabels.has(id)) {
      if (this.#conceptLabels.size < this.#maxConceptLabels) this.#conceptLabels.add(id);
      else concept = 'other';
    }
    this.#events.inc({ concept, phase: event.type });
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

/** What a prom-client Registry needs of a metric it did not make (registerMetric, metrics(), resetMetrics()). */
interface MetricSample {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}
interface CustomMetric {
  name: string;
  help: string;
  type: 'gauge' | 'summary';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricSample[] }>;
  reset(): void;
}

/**
 * Event-loop delay as a Prometheus summary: quantiles 0.5/0.9/0.99 of the delays since the previous
 * scrape (the monitor resets on each), `_sum` and `_count` over the process's life, so
 * rate(_sum)/rate(_count) is the mean delay. The interval's maximum is the gauge event_loop_lag_max_seconds.
 */
function loopLagSummary(name: string, lag: LoopLagMonitor, onSample: (s: LoopLagSample) => void): CustomMetric {
  const help = 'Event-loop delay (perf_hooks.monitorEventLoopDelay); quantiles over the interval since the previous scrape';
  let sum = 0;
  let count = 0;
  return {
    name,
    help,
    type: 'summary',
    aggregator: 'sum',
    async get() {
      const s = lag.sample();
      sum += s.intervalSum;
      count += s.intervalCount;
      onSample(s);
      const values: MetricSample[] = [
        { labels: { quantile: '0.5' }, value: s.p50 },
        { labels: { quantile: '0.9' }, value: s.p90 },
        { labels: { quantile: '0.99' }, value: s.p99 },
        { metricName: `${name}_sum`, labels: {}, value: sum },
        { metricName: `${name}_count`, labels: {}, value: count },
      ];
      return { name, help, type: 'summary', aggregator: 'sum', values };
    },
    reset() {
      sum = 0;
      count = 0;
    },
  };
}

/**
 * prom-client's default metrics include gauges named `*_total` (nodejs_active_handles_total, ...), which
 * Prometheus reserves for counters (`promtool check metrics` fails on them). Where the same figure exists
 * broken down by type under the name without the suffix (nodejs_active_handles{type}, the sum of which is
 * the total) the `_total` gauge is dropped; otherwise it is re-registered under the name without it.
 */
function renameTotalGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; help: string; type: string; get(): Promise<{ values: Array<{ metricName?: string }> } & Record<string, unknown>> };
    if (m.type !== 'gauge' || !m.name.endsWith('_total')) continue;
    const original = m.name;
    const name = original.slice(0, -'_total'.length);
    registry.removeSingleMetric(original);
    if (registry.getSingleMetric(name) !== undefined) continue;
    const renamed: CustomMetric = {
      name,
      help: m.help,
      type: 'gauge',
      aggregator: 'sum',
      async get() {
        const got = await m.get();
        return { ...got, name, help: m.help, type: 'gauge', aggregator: 'sum', values: got.values.map((v) => ({ ...v, metricName: name })) } as Awaited<ReturnType<CustomMetric['get']>>;
      },
      reset() {},
    };
    registry.registerMetric(renamed as never); // see loopLagSummary's registration for the cast
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
