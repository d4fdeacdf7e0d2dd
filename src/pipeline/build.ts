/**
 * The one place that builds a runnable agent: sources for the mode, a windower, the agent over the
 * pipeline's runtime and matcher, one ticker with the mode's busy policy, one sink fan-out with clips,
 * metrics, the embed governor, and the concept control plane wired to MQTT, ROS 2 and SIGHUP.
 * `sensebind run`, `replay`, `eval`, `demo`, `concepts teach` and the benches all come through here, so a
 * figure measured on any of them describes the agent `sensebind run` starts on a robot.
 *
 * Modes:
 * - live: the config's serial ports and ROS 2 topics, ticking on the wall clock, skipping a tick when busy;
 * - bag: a recording played at `speed` times real time on its own clock (skip when busy), or with speed 0
 *   as fast as possible, the bag waiting for every due tick (nothing skipped: the same events every run).
 *
 * Order: sinks are opened (and fail fast) before any source starts; on a failure half-way, what was
 * opened is closed again. `close()` releases in reverse order; the pipeline (model, memory) belongs to
 * the caller.
 */
import type { Agent, TickResult } from '../agent/agent.js';
import { Agent as AgentImpl } from '../agent/agent.js';
import { NO_HOOKS, type StageHooks } from '../agent/hooks.js';
import type { Config } from '../config/schema.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import { withRecallSearch } from '../recall/mqtt-search.js';
import { openRecallWriter, openRos2Search, recallSearchEnv, recallSink } from '../recall/open.js';
import { startLiveFeed, type LiveFeed } from '../live/feed.js';
import { Ros2ScoresPublisher } from '../live/ros2-scores.js';
import { ros2FromConfig, type Ros2Io } from '../ros2/from-config.js';
import { ClipRecorder } from '../service/clips.js';
import { EventFanout } from '../service/event-fanout.js';
import { EmbedGovernor } from '../service/governor.js';
import { Service, type ServiceClock } from '../service/lifecycle.js';
import { MetricsRegistry } from '../service/metrics.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { createMqttSinkFromConfig } from '../sinks/mqtt/from-config.js';
import type { EventSink } from '../sinks/sink.js';
import { BagSource, type BagItem, type BagSummary, type ReadBagOptions } from '../sources/bag.js';
import { createSerialSources } from '../sources/serial.js';
import type { SampleSource } from '../sources/source.js';
import type { Pipeline } from './open.js';

export type AgentMode =
  | { kind: 'live' }
  /** speed: 1 = real time, 10 = ten times faster, 0 = as fast as possible. */
  | { kind: 'bag'; path: string; speed: number }
  /** Sources that pace recorded stamps themselves (the soak bench's looped simulator), on their clock. */
  | { kind: 'replayed'; sources: SampleSource[] };

export interface BuildOptions {
  mode: AgentMode;
  logger: Logger;
  /**
   * 'config': the config's sinks (JSONL, MQTT, ROS 2) as `run` uses them; 'files': only the config's JSONL
   * file (replay: a recording's events are not published to the fleet as if live); 'none': only
   * `extraSinks` (eval and teach, which score or collect events themselves). @default 'config'
   */
  sinks?: 'config' | 'files' | 'none';
  /** Bag mode: stop once the bag has been played (false: keep serving until stopped). @default true */
  stopAtEnd?: boolean;
  /** Sinks added to the config's (replay --events). @default [] */
  extraSinks?: EventSink[];
  /** Modalities removed before windowing, counted (--drop). @default [] */
  drop?: readonly SensorModality[];
  /** Seconds between snapshots. @default the pipeline's (config window.hopSeconds) */
  hopSeconds?: number;
  /** Build a metrics registry even without an HTTP port (benches read it). @default false */
  alwaysMetrics?: boolean;
  /** The config file path, published as the ROS 2 parameter `config_path`. @default '' */
  configPath?: string;
  /** After every tick, with its duration in ms. */
  onTick?: (result: TickResult, ms: number) => void;
  /** Bag mode: how topics whose stamps run on another clock are handled (src/core/topic-clocks.ts). @default config ros2.clock (map, 5 s) */
  bagClock?: ReadBagOptions['clock'];
  /** Ground-truth records of a simulator bag, as the replay reaches them. */
  onTruth?: (item: Extract<BagItem, { kind: 'truth' }>) => void;
}

export interface BuiltAgent {
  readonly service: Service;
  readonly agent: Agent;
  readonly sinks: readonly EventSink[];
  readonly sources: readonly SampleSource[];
  readonly metrics: MetricsRegistry | undefined;
  readonly clips: ClipRecorder | undefined;
  readonly governor: EmbedGovernor;
  readonly bag: BagSource | undefined;
  readonly ros2: Ros2Io | undefined;
  /** The live view and score recorders (clips, ROS 2 ~/scores); undefined when none is on. */
  readonly live: LiveFeed | undefined;
  /** Starts intake; in bag mode the service stops by itself once the bag has been played. */
  start(): Promise<void>;
  /** The bag's summary once played (bag mode). */
  bagSummary(): BagSummary | undefined;
  /** Releases what build made (metrics, ROS 2 node), after the service has stopped. */
  close(): Promise<void>;
}

export async function buildAgent(pipeline: Pipeline, config: Config, options: BuildOptions): Promise<BuiltAgent> {
  const { mode, logger } = options;
  const svc = config.service;
  const hopSeconds = options.hopSeconds ?? pipeline.options.hopSeconds;
  if (!(hopSeconds > 0) || !Number.isFinite(hopSeconds)) throw new SensebindError('USAGE', `hop must be a number of seconds > 0, got ${hopSeconds}`);
  const metrics = svc.metrics.port > 0 || options.alwaysMetrics === true ? new MetricsRegistry() : undefined;
  const hooks: StageHooks = metrics ?? NO_HOOKS;
  const opened: Array<() => Promise<void> | void> = [];
  try {
    const { runtime, memory, matcher, control, background } = pipeline;
    const stopFollowing = memory.followFile(); // edits saved by other processes (CLI, a second agent) reach this matcher
    opened.push(stopFollowing);
    const failures = await runtime.load();
    for (const [m, why] of Object.entries(failures)) logger.error({ modality: m, err: why }, 'modality unavailable; it will be treated as missing');
    const usable = runtime.modalities().filter((m): m is SensorModality => m !== 'text');
    if (usable.length === 0) throw new SensebindError('MODEL', `model ${runtime.modelId}: no sensor modality could be loaded`);
    await runtime.warmUp();
    runtime.setTimingHooks(metrics);

    const clips =
      svc.clips.dir !== ''
        ? new ClipRecorder({
            dir: svc.clips.dir,
            preRollSeconds: svc.clips.preRollSeconds,
            postRollSeconds: svc.clips.postRollSeconds,
            maxSeconds: svc.clips.maxSeconds,
            bufferBytes: svc.limits.bufferMiB * 2 ** 20,
            retentionBytes: svc.clips.retentionMiB * 2 ** 20,
            retentionMs: svc.clips.retentionHours * 3600_000,
            logger: logger.child({ stage: 'clips' }),
          })
        : undefined;
    // Sinks first, so a path or broker setting that cannot work fails before any sensor is read.
    const sinks: EventSink[] = [];
    const sinkPolicy = options.sinks ?? 'config';
    const useConfig = sinkPolicy === 'config';
    // The embedding memory (recall.dir) is written by the running agent; replays remember with --remember.
    const recall = useConfig ? await openRecallWriter(config.recall, { modelId: runtime.modelId, embeddingDim: runtime.manifest.embeddingDim }, logger.child({ stage: 'recall' }), () => clips?.currentClip()) : undefined;
    if (recall) opened.push(() => recall.close());
    if (sinkPolicy !== 'none' && config.sinks.jsonl.path !== '') sinks.push(new JsonlSink({ path: config.sinks.jsonl.path, fsync: config.sinks.jsonl.fsync }));
    sinks.push(...(options.extraSinks ?? []));
    for (const s of sinks) if (s instanceof JsonlSink) await s.open();
    if (recall) sinks.push(recallSink(recall));
    if (useConfig) {
      const mqtt = await createMqttSinkFromConfig(config.mqtt, config.robot.id, {
        logger,
        commands: withRecallSearch(control.mqttHandler(), recall && recallSearchEnv(recall, pipeline, config)),
        concepts: () => memory.concepts(),
        onDelivered: (seconds) => hooks.delivered('mqtt', seconds),
      });
      if (mqtt) {
        sinks.push(mqtt);
        // The retained concept list follows every change (SIGHUP, CLI, ROS 2), not only MQTT's own.
        opened.push(control.follow(() => mqtt.conceptsChanged()));
      }
    }
    const ros2 =
      useConfig
        ? ros2FromConfig(config, {
            logger: logger.child({ ros2: config.ros2.node }),
            configPath: options.configPath ?? '',
            onConceptCommand: (cmd) => void control.apply(cmd, 'ros2'),
          })
        : undefined;
    if (ros2) {
      sinks.push(ros2.sink);
      opened.push(() => ros2.close());
    }
    const ros2Search = ros2 && openRos2Search(config, ros2.session, recall && recallSearchEnv(recall, pipeline, config), logger.child({ stage: 'recall' }));
    for (const s of sinks) opened.push(() => s.close());
    if (useConfig && sinks.length === 0) logger.warn('no sink configured (sinks.jsonl.path, mqtt.url, ros2): events are only counted');

    // Sources for the mode.
    const sources: SampleSource[] = [];
    let bag: BagSource | undefined;
    let clock: ServiceClock = 'wall';
    if (mode.kind === 'bag') {
      if (!(mode.speed >= 0) || !Number.isFinite(mode.speed)) throw new SensebindError('USAGE', `speed must be a number >= 0, got ${mode.speed}`);
      bag = new BagSource(mode.path, {
        ...pipeline.options.converter,
        speed: mode.speed,
        logger: logger.child({ source: 'bag' }),
        clock: options.bagClock ?? { mode: config.ros2.clock.policy, toleranceSeconds: config.ros2.clock.toleranceSeconds },
        ...(options.onTruth ? { onTruth: options.onTruth } : {}),
      });
      sources.push(bag);
      clock = 'samples';
    } else if (mode.kind === 'replayed') {
      sources.push(...mode.sources);
      clock = 'samples';
    } else {
      sources.push(...createSerialSources(config.serial, { logger: logger.child({ source: 'serial' }) }));
      if (ros2?.source) sources.push(ros2.source);
      else if (ros2 === undefined && config.ros2.enabled && config.ros2.topics.length > 0) logger.warn('ros2 topics configured but ROS 2 is off for this command');
    }
    if (sources.length === 0) {
      throw new SensebindError('USAGE', 'no source: give a bag, or configure serial ports or ROS 2 topics (docs/config.md)');
    }

    // As fast as possible there is no real time to keep up with: rate caps (on stamps) still apply, load
    // degradation (on wall time) would make the result depend on the machine.
    const asFastAsPossible = mode.kind === 'bag' && mode.speed === 0;
    const governor = new EmbedGovernor({
      caps: svc.limits.embedRateHz,
      hopSeconds,
      loadThreshold: asFastAsPossible ? Number.POSITIVE_INFINITY : svc.limits.loadThreshold,
      hooks,
      logger: logger.child({ stage: 'governor' }),
    });
    for (const m of SENSOR_MODALITIES) metrics?.setRateCap(m, svc.limits.embedRateHz[m]);
    const scores = ros2 && config.ros2.scoresTopic !== '' ? new Ros2ScoresPublisher({ topic: config.ros2.scoresTopic, session: ros2.session, logger }) : undefined;
    const live = await startLiveFeed(config.live, { hopSeconds, recorders: [clips, scores], logger });
    if (live) opened.push(() => live.close());
    const agent = new AgentImpl({
      windower: pipeline.createWindower(),
      embedder: runtime,
      matcher,
      sinks: [new EventFanout(sinks, clips, logger)],
      logger,
      hopSeconds,
      maxAgeSeconds: config.window.maxAgeSeconds,
      hooks,
      gate: governor,
      ...(recall || background
        ? {
            onTick: (r: TickResult) => {
              recall?.observe(r.embeddings);
              background?.observe(r.match, r.embeddings.stamp);
            },
          }
        : {}),
    });
    if (metrics) {
      metrics.watchStage('embed', () => runtime.stats());
      metrics.watchStage('matcher', () => matcher.stats());
      if (background) metrics.watchStage('background', () => background.stats());
      if (live) metrics.watchStage('live', () => live.stats());
      if (scores) metrics.watchStage('ros2_scores', () => scores.stats());
      const pool = pipeline.pool;
      if (pool) {
        metrics.watchStage('preprocess', () => pool.stats());
        metrics.watchQueue('preprocess', () => ({ depth: pool.stats().inFlight, dropped: pool.stats().dropped }));
      }
    }
    const service = new Service({
      sources,
      agent,
      sinks,
      hopSeconds,
      clock,
      // live: the ROS 2 node's time (/clock under use_sim_time, else the wall clock)
      ...(ros2 && clock === 'wall' ? { wallClock: ros2.session.clock } : {}),
      busy: asFastAsPossible ? 'wait' : 'skip',
      drop: options.drop ?? [],
      ...(options.onTick || live
        ? {
            onTick: (r: TickResult, ms: number) => {
              live?.onTick(r);
              options.onTick?.(r, ms);
            },
          }
        : {}),
      stopDeadlineSeconds: svc.stopDeadlineSeconds,
      logger,
      ...(metrics ? { metrics } : {}),
      ...(metrics && svc.metrics.port > 0 ? { http: { host: svc.metrics.host, port: svc.metrics.port } } : {}),
      ...(clips ? { clips } : {}),
      governor,
      readinessChecks: { models: () => runtime.modalities().length > 0 },
      reload: () => control.reload(),
    });
    logger.info(
      { model: runtime.modelId, modalities: usable, providers: Object.fromEntries(usable.map((m) => [m, runtime.provider(m)])), concepts: memory.concepts().length, mode: mode.kind },
      'agent built',
    );
    const built: BuiltAgent = {
      service,
      agent,
      sinks,
      sources,
      metrics,
      clips,
      governor,
      bag,
      ros2,
      live,
      async start() {
        try {
          await service.start();
          await ros2?.startCommands();
          await ros2Search?.start();
        } catch (err) {
          await service.stop('start failed');
          throw err;
        }
        // The end of a bag ends the run the same way on every entry point (tail ticks, then stop).
        if (bag && options.stopAtEnd !== false) {
          void bag.finished.then(() => {
            logger.info({ bag: bag.path }, 'the bag has been played');
            return service.endOfInput();
          });
        }
      },
      bagSummary: () => bag?.summary(),
      async close() {
        stopFollowing();
        metrics?.close();
        await live?.close();
        await ros2Search?.close();
        await ros2?.close();
      },
    };
    return built;
  } catch (err) {
    for (const close of opened.reverse()) {
      try {
        await close();
      } catch (closeErr) {
        logger.debug({ err: errorMessage(closeErr) }, 'cleanup after a failed start');
      }
    }
    metrics?.close();
    throw err;
  }
}
