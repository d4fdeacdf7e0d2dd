/**
 * The service lifecycle behind `sensebind run`: start every source and sink, tick the agent, and stop
 * cleanly on SIGTERM/SIGINT within a deadline. Stop order matters and is the point of this module:
 *   1. stop intake (sources), so no snapshot is formed from half a stream;
 *   2. let the snapshot in flight finish (ticker stop waits for it);
 *   3. end open events (matcher.finish via agent.finish) and flush every sink;
 *   4. close clips (complete MCAP files), then the sinks (MQTT publishes `stopped`, then disconnects);
 *   5. close the HTTP server.
 * If all that takes longer than the deadline the process exits 1 and says what it was waiting for; a
 * second signal exits at once. SIGHUP calls the reload hook (concepts, thresholds) without touching the
 * sources, so sensor streams never drop for a config edit.
 *
 * Two clocks: live sources tick on the wall (agent) clock; a bag played by the service ticks on the
 * recording's own stamps, because its samples carry recording time. One Ticker (src/agent/ticker.ts) does
 * both, with the busy policy the mode asks for: 'wait' for a bag as fast as possible (the bag source waits
 * for each due tick before its next sample), 'skip' for anything paced by a clock.
 */
import type { Agent, TickResult } from '../agent/agent.js';
import { Ticker, type BusyPolicy, type TickerStats } from '../agent/ticker.js';
import { MonotonicClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { SENSOR_MODALITIES, type Sample, type SensorModality, type StampNs } from '../core/types.js';
import type { EventSink } from '../sinks/sink.js';
import type { SampleSource } from '../sources/source.js';
import type { ClipRecorder } from './clips.js';
import type { EmbedGovernor } from './governor.js';
import { HealthServer, type Readiness } from './http.js';
import type { MetricsRegistry } from './metrics.js';

export type ServiceClock = 'wall' | 'samples';

export interface ServiceOptions {
  sources: SampleSource[];
  /** Built with `sinks: [new EventFanout(sinks, clips, logger)]` so clips are named before sinks see events. */
  agent: Agent;
  /** The real sinks, closed at stop after the agent has flushed them. */
  sinks: EventSink[];
  hopSeconds: number;
  /** 'samples' for bag sources (their stamps are recording time). @default 'wall' */
  clock?: ServiceClock;
  /** What a tick due while the previous one runs does (src/agent/ticker.ts). @default 'skip' */
  busy?: BusyPolicy;
  /** Modalities whose samples are dropped (counted) before windowing (--drop). @default [] */
  drop?: readonly SensorModality[];
  /** After every tick, with its duration in ms (latency benches, live displays). */
  onTick?: (result: TickResult, ms: number) => void;
  /** @default MonotonicClock */
  wallClock?: Clock;
  stopDeadlineSeconds: number;
  logger: Logger;
  metrics?: MetricsRegistry;
  /** HTTP server for /metrics, /healthz, /readyz; off when absent. */
  http?: { host: string; port: number };
  clips?: ClipRecorder;
  governor?: EmbedGovernor;
  /** Extra readiness checks (e.g. models loaded). @default {} */
  readinessChecks?: Record<string, () => boolean>;
  /** SIGHUP: reload concepts/thresholds; resolves with a one-line summary, throws to keep the old ones. */
  reload?: () => Promise<string>;
}

export interface StopSummary {
  reason: string;
  clean: boolean;
  seconds: number;
  /** What the stop was still waiting for when the deadline passed. */
  waitingFor?: string;
  /** Events that a sink failed to take during the run or the stop (a stop that lost events is not clean). */
  lostEvents: number;
}

export interface IntakeStats {
  samples: Record<SensorModality, number>;
  /** Dropped on purpose (--drop). */
  dropped: Record<SensorModality, number>;
  /** Arrived after the stop began. */
  late: number;
  first: StampNs | undefined;
  last: StampNs | undefined;
}

export class Service {
  readonly #o: ServiceOptions;
  readonly #clock: Clock;
  readonly #ticker: Ticker;
  readonly #sampleClock: boolean;
  readonly #drop: ReadonlySet<SensorModality>;
  readonly #intakeStats: IntakeStats;
  #endStamp: StampNs | undefined;
  #http: HealthServer | undefined;
  #intake = true;
  #stopping: Promise<StopSummary> | undefined;
  #stage = 'not started';
  #httpPort: number | undefined;
  #resolveStopped!: (summary: StopSummary) => void;
  readonly #stopped = new Promise<StopSummary>((resolve) => (this.#resolveStopped = resolve));

  constructor(options: ServiceOptions) {
    this.#o = options;
    this.#clock = options.wallClock ?? new MonotonicClock();
    this.#sampleClock = (options.clock ?? 'wall') === 'samples';
    this.#drop = new Set(options.drop ?? []);
    const zero = () => Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, 0])) as Record<SensorModality, number>;
    this.#intakeStats = { samples: zero(), dropped: zero(), late: 0, first: undefined, last: undefined };
    this.#ticker = new Ticker({
      agent: options.agent,
      hopSeconds: options.hopSeconds,
      logger: options.logger,
      busy: options.busy ?? 'skip',
      onSkip: () => options.governor?.tickSkipped(),
      ...(options.onTick ? { onTick: options.onTick } : {}),
    });
    this.#watch();
  }

  /** Port the HTTP server listens on (after start), if any. */
  get httpPort(): number | undefined {
    return this.#httpPort;
  }

  readiness(): Readiness {
    const checks: Record<string, boolean> = {};
    for (const [name, fn] of Object.entries(this.#o.readinessChecks ?? {})) checks[name] = safe(fn);
    for (const s of this.#o.sources) checks[`source:${s.name}`] = safe(() => s.stats().connected);
    checks.running = this.#stopping === undefined && this.#stage === 'running';
    return { ready: Object.values(checks).every(Boolean), checks };
  }

  async start(): Promise<void> {
    const { logger } = this.#o;
    if (this.#o.http && this.#o.metrics) {
      const metrics = this.#o.metrics;
      this.#http = new HealthServer({
        ...this.#o.http,
        metrics: () => metrics.text(),
        metricsContentType: metrics.contentType,
        readiness: () => this.readiness(),
      });
      this.#httpPort = await this.#http.start();
      logger.info({ url: `http://${this.#o.http.host}:${this.#httpPort}/metrics` }, 'metrics and health endpoints up');
    }
    this.#stage = 'starting sources';
    const onSample = (sample: Sample) => this.#onSample(sample);
    await Promise.all(
      this.#o.sources.map(async (s) => {
        await s.start(onSample);
        logger.info({ source: s.name }, 'source started');
      }),
    );
    if (!this.#sampleClock) this.#ticker.start(this.#clock);
    this.#stage = 'running';
    logger.info({ sources: this.#o.sources.map((s) => s.name), sinks: this.#o.sinks.map((s) => s.name), clock: this.#o.clock ?? 'wall' }, 'sensebind running');
  }

  /** Stops cleanly; idempotent (a second call returns the same promise). */
  stop(reason: string): Promise<StopSummary> {
    if (!this.#stopping) {
      this.#stopping = this.#stop(reason);
      void this.#stopping.then(this.#resolveStopped);
    }
    return this.#stopping;
  }

  async reload(): Promise<void> {
    const { logger, reload } = this.#o;
    if (!reload) {
      logger.warn('SIGHUP: nothing to reload in this configuration');
      return;
    }
    try {
      logger.info({ summary: await reload() }, 'SIGHUP: reloaded concepts and thresholds; streams untouched');
    } catch (err) {
      logger.error({ err: errorMessage(err) }, 'SIGHUP: reload failed; keeping the previous concepts and thresholds');
    }
  }

  /**
   * Every source has ended (the end of a bag): runs the ticks that cover the recording's tail, then stops.
   * Open events end one hop after the last sample, the same on every entry point.
   */
  async endOfInput(): Promise<StopSummary> {
    if (!this.#stopping) {
      this.#intake = false;
      this.#endStamp = this.#sampleClock ? await this.#ticker.drain() : undefined;
    }
    return this.stop('sources ended');
  }

  /** Samples taken in and dropped, per modality, and the stamps they covered. */
  intake(): IntakeStats {
    return structuredClone(this.#intakeStats);
  }

  ticker(): TickerStats {
    return this.#ticker.stats();
  }

  /** Resolves with the summary once a stop (signal, end of sources, start failure) has completed. */
  get stopped(): Promise<StopSummary> {
    return this.#stopped;
  }

  /**
   * Installs SIGTERM/SIGINT (stop) and SIGHUP (reload) handlers until the service has stopped.
   * A second SIGTERM/SIGINT calls `exit` at once with 128 + signal number.
   */
  handleSignals(exit: (code: number) => void = (code) => process.exit(code)): void {
    const { logger } = this.#o;
    const onStop = (signal: NodeJS.Signals) => {
      if (this.#stopping) {
        logger.warn({ signal }, 'second signal: exiting now without finishing the stop');
        exit(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      logger.info({ signal, deadlineSeconds: this.#o.stopDeadlineSeconds }, 'stopping');
      void this.stop(signal);
    };
    const onHup = () => void this.reload();
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
    void this.#stopped.then(() => {
      // SIGTERM/SIGINT stay handled (a second signal still exits at once) until the process ends.
      process.off('SIGHUP', onHup);
    });
  }

  /** Returns a promise when the source must wait before its next sample (busy policy 'wait'). */
  #onSample(sample: Sample): Promise<void> | undefined {
    const s = this.#intakeStats;
    if (!this.#intake) {
      s.late++;
      return undefined;
    }
    if (s.first === undefined) s.first = sample.stamp;
    if (s.last === undefined || sample.stamp > s.last) s.last = sample.stamp;
    this.#o.clips?.push(sample);
    const due = this.#sampleClock ? this.#ticker.advance(sample.stamp) : undefined;
    const push = () => {
      if (this.#drop.has(sample.modality)) {
        s.dropped[sample.modality]++;
        return;
      }
      s.samples[sample.modality]++;
      this.#o.agent.push(sample);
    };
    if (due === undefined) {
      push();
      return undefined;
    }
    return due.then(push);
  }

  #now(): StampNs {
    return this.#endStamp ?? (this.#sampleClock ? this.#ticker.now() : undefined) ?? this.#clock.now();
  }

  async #stop(reason: string): Promise<StopSummary> {
    const { logger, stopDeadlineSeconds } = this.#o;
    const t0 = performance.now();
    const deadline = t0 + stopDeadlineSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), stopDeadlineSeconds * 1000);
    });
    const sequence = (async () => {
      this.#stage = 'stopping sources';
      await Promise.all(this.#o.sources.map((s) => s.stop().catch((err: unknown) => logger.warn({ source: s.name, err: errorMessage(err) }, 'source stop failed'))));
      this.#intake = false;
      this.#stage = 'finishing the snapshot in flight';
      await this.#ticker.stop();
      this.#stage = 'ending open events and flushing sinks';
      const left = Math.max(100, deadline - performance.now() - 500);
      const ended = await this.#o.agent.finish(this.#now(), left);
      this.#o.clips?.advance(this.#now());
      this.#stage = 'closing event clips';
      await this.#o.clips?.close();
      this.#stage = 'closing sinks';
      await Promise.all(this.#o.sinks.map((s) => s.close().catch((err: unknown) => logger.warn({ sink: s.name, err: errorMessage(err) }, 'sink close failed'))));
      this.#stage = 'closing the HTTP server';
      await this.#http?.stop();
      this.#stage = 'stopped';
      return ended.length;
    })().catch((err: unknown) => {
      // A step that throws ends the stop as unclean; `stopped` must still resolve, or the process hangs.
      logger.error({ waitingFor: this.#stage, err: errorMessage(err) }, 'stop failed; exiting without a clean stop');
      return 'failed' as const;
    });
    const outcome = await Promise.race([sequence, timeout]);
    clearTimeout(timer);
    const seconds = (performance.now() - t0) / 1000;
    if (outcome === 'failed') return { reason, clean: false, seconds, waitingFor: this.#stage, lostEvents: this.#lostEvents() };
    if (outcome === 'timeout') {
      logger.error({ waitingFor: this.#stage, deadlineSeconds: stopDeadlineSeconds }, 'stop deadline passed; exiting without a clean stop');
      return { reason, clean: false, seconds, waitingFor: this.#stage, lostEvents: this.#lostEvents() };
    }
    const lostEvents = this.#lostEvents();
    if (lostEvents > 0) {
      logger.error({ reason, lostEvents }, 'stopped, but sinks failed to take events: not a clean stop');
      return { reason, clean: false, seconds, lostEvents };
    }
    logger.info({ reason, seconds: Number(seconds.toFixed(3)), endedEvents: outcome, lateSamples: this.#intakeStats.late, agent: this.#o.agent.stats() }, 'stopped cleanly');
    return { reason, clean: true, seconds, lostEvents };
  }

  /** Events a sink threw on or could not keep (a JSONL write that failed, an outbox bound reached). */
  #lostEvents(): number {
    return this.#o.agent.stats().sinkErrors + this.#o.sinks.reduce((n, s) => n + s.stats().dropped, 0);
  }

  #watch(): void {
    const m = this.#o.metrics;
    if (!m) return;
    for (const s of this.#o.sources) m.watchSource(s);
    for (const s of this.#o.sinks) m.watchSink(s);
    m.watchStage('agent', () => this.#o.agent.stats());
    m.watchStage('windower', () => this.#o.agent.windower.stats());
    m.watchStage('ticker', () => this.#ticker.stats());
    if (this.#o.clips) {
      const clips = this.#o.clips;
      m.watchStage('clips', () => clips.stats());
    }
    if (this.#o.governor) {
      const g = this.#o.governor;
      m.watchStage('governor', () => g.stats());
    }
    m.setReadiness(() => this.readiness().ready);
  }
}

function safe(fn: () => boolean): boolean {
  try {
    return fn();
  } catch {
    return false;
  }
}
