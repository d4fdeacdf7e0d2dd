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
 * recording's own stamps (SampleClockTicker), because its samples carry recording time.
 */
import type { Agent } from '../agent/agent.js';
import { LiveTicker } from '../agent/live-ticker.js';
import { MonotonicClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Sample, StampNs } from '../core/types.js';
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
}

/** Ticks an agent on sample stamps: before a sample stamped t is pushed, every tick due at or before t fires. */
class SampleClockTicker {
  readonly #agent: Agent;
  readonly #hop: bigint;
  readonly #logger: Logger;
  readonly #onSkip: (() => void) | undefined;
  #next: bigint | undefined;
  #last: bigint | undefined;
  #inFlight: Promise<unknown> | undefined;
  #ticks = 0;
  #skipped = 0;

  constructor(agent: Agent, hopSeconds: number, logger: Logger, onSkip?: () => void) {
    this.#agent = agent;
    this.#hop = BigInt(Math.round(hopSeconds * 1e9));
    this.#logger = logger;
    this.#onSkip = onSkip;
  }

  beforeSample(stamp: StampNs): void {
    if (this.#next === undefined) this.#next = stamp + this.#hop;
    if (this.#last === undefined || stamp > this.#last) this.#last = stamp;
    // After a long gap only the newest due tick matters; older ones would all see the same stale windows.
    if (stamp - this.#next > 8n * this.#hop) this.#next = stamp - ((stamp - this.#next) % this.#hop);
    while (stamp >= this.#next) {
      this.#fire(this.#next);
      this.#next += this.#hop;
    }
  }

  /** The newest stamp seen (the recording's "now"). */
  now(): StampNs | undefined {
    return this.#last;
  }

  async stop(): Promise<void> {
    await this.#inFlight;
  }

  stats(): { ticks: number; skipped: number } {
    return { ticks: this.#ticks, skipped: this.#skipped };
  }

  #fire(t: bigint): void {
    if (this.#inFlight) {
      this.#skipped++;
      this.#onSkip?.();
      return;
    }
    this.#ticks++;
    this.#inFlight = this.#agent
      .tick(t)
      .catch((err: unknown) => this.#logger.error({ err: errorMessage(err) }, 'tick failed'))
      .finally(() => (this.#inFlight = undefined));
  }
}

export class Service {
  readonly #o: ServiceOptions;
  readonly #clock: Clock;
  readonly #live: LiveTicker | undefined;
  readonly #sampleTicker: SampleClockTicker | undefined;
  #http: HealthServer | undefined;
  #intake = true;
  #late = 0;
  #stopping: Promise<StopSummary> | undefined;
  #stage = 'not started';
  #httpPort: number | undefined;
  #resolveStopped!: (summary: StopSummary) => void;
  readonly #stopped = new Promise<StopSummary>((resolve) => (this.#resolveStopped = resolve));

  constructor(options: ServiceOptions) {
    this.#o = options;
    this.#clock = options.wallClock ?? new MonotonicClock();
    const onSkip = () => options.governor?.tickSkipped();
    if ((options.clock ?? 'wall') === 'samples') {
      this.#sampleTicker = new SampleClockTicker(options.agent, options.hopSeconds, options.logger, onSkip);
    } else {
      this.#live = new LiveTicker({ agent: options.agent, clock: this.#clock, hopSeconds: options.hopSeconds, logger: options.logger, onSkip });
    }
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
    this.#live?.start();
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

  #onSample(sample: Sample): void {
    if (!this.#intake) {
      this.#late++;
      return;
    }
    this.#o.clips?.push(sample);
    this.#sampleTicker?.beforeSample(sample.stamp);
    this.#o.agent.push(sample);
  }

  #now(): StampNs {
    return this.#sampleTicker?.now() ?? this.#clock.now();
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
      await (this.#live?.stop() ?? this.#sampleTicker?.stop());
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
    if (outcome === 'failed') return { reason, clean: false, seconds, waitingFor: this.#stage };
    if (outcome === 'timeout') {
      logger.error({ waitingFor: this.#stage, deadlineSeconds: stopDeadlineSeconds }, 'stop deadline passed; exiting without a clean stop');
      return { reason, clean: false, seconds, waitingFor: this.#stage };
    }
    logger.info({ reason, seconds: Number(seconds.toFixed(3)), endedEvents: outcome, lateSamples: this.#late, agent: this.#o.agent.stats() }, 'stopped cleanly');
    return { reason, clean: true, seconds };
  }

  #watch(): void {
    const m = this.#o.metrics;
    if (!m) return;
    for (const s of this.#o.sources) m.watchSource(s);
    for (const s of this.#o.sinks) m.watchSink(s);
    m.watchStage('agent', () => this.#o.agent.stats());
    m.watchStage('windower', () => this.#o.agent.windower.stats());
    m.watchStage('ticker', () => (this.#live ?? this.#sampleTicker)!.stats());
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
