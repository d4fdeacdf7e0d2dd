/**
 * Builds a runnable service from the config: model runtime, concept memory and matcher, windower, sinks,
 * clips, metrics, embed governor, agent, and the sources. `sensebind run` and the soak bench share it, so
 * the soak measures the pipeline the robot runs, not a lookalike.
 *
 * Order is chosen so a misconfiguration fails before anything is connected: the model and the concepts
 * load first (the slow, fallible part), sinks and sources last. On a failure half-way, what was already
 * opened is closed again.
 */
import type { ModalityEmbedder } from '../agent/agent.js';
import { Agent } from '../agent/agent.js';
import type { Config } from '../config/schema.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { SENSOR_MODALITIES, type Embedding, type Modality, type SensorModality, type StampNs } from '../core/types.js';
import type { EmbeddingRuntime } from '../embed/runtime.js';
import { pipelineOptionsFromConfig } from '../eval/cli-flags.js';
import { openPipeline } from '../eval/run-bag.js';
import type { ConceptMatcher } from '../match/matcher.js';
import { loadConceptFile } from '../memory/concept-file.js';
import type { ConceptMemory } from '../memory/memory.js';
import { preprocessWindow } from '../preprocess/index.js';
import { JsonlSink } from '../sinks/jsonl.js';
import { createMqttSinkFromConfig } from '../sinks/mqtt/from-config.js';
import { followConceptMemory, memoryCommandHandler } from '../sinks/mqtt/memory-commands.js';
import type { EventSink } from '../sinks/sink.js';
import type { SampleSource } from '../sources/source.js';
import { ClipRecorder } from './clips.js';
import { EventFanout } from './event-fanout.js';
import { EmbedGovernor } from './governor.js';
import { NO_HOOKS, type StageHooks } from './hooks.js';
import { PreprocessPool } from './preprocess-pool.js';
import { Service, type ServiceClock } from './lifecycle.js';
import { MetricsRegistry } from './metrics.js';

export interface AssembleOptions {
  logger: Logger;
  /** The sources to run (from config, a --bag flag, or the soak's simulated sensors). */
  sources: SampleSource[];
  /** 'samples' when the sources replay recorded stamps (bags, simulated loops). */
  clock: ServiceClock;
  /** Concept file seeding the memory. @default the bundled concepts/default.yaml */
  conceptFile?: string;
  /** Persisted concept memory (exemplars, runtime edits); in memory only when absent. */
  conceptStateFile?: string;
  /** Build a metrics registry even without an HTTP port (the soak reads it). @default false */
  alwaysMetrics?: boolean;
  /** Sinks built outside (ROS 2 events, which share the ROS 2 node with the source). @default [] */
  extraSinks?: EventSink[];
}

export interface Assembled {
  service: Service;
  runtime: EmbeddingRuntime;
  memory: ConceptMemory;
  matcher: ConceptMatcher;
  metrics: MetricsRegistry | undefined;
  clips: ClipRecorder | undefined;
  governor: EmbedGovernor;
  sinks: EventSink[];
  agent: Agent;
  /** Stops the preprocessing workers (after the service has stopped). */
  close(): Promise<void>;
}


/**
 * Splits the runtime's embedWindows into preprocessing and inference so each gets its own latency
 * histogram (the agent's own hook would time both together).
 */
class InstrumentedEmbedder implements ModalityEmbedder {
  readonly #runtime: EmbeddingRuntime;
  readonly #hooks: StageHooks;
  readonly #pool: PreprocessPool | undefined;

  constructor(runtime: EmbeddingRuntime, hooks: StageHooks, pool: PreprocessPool | undefined) {
    this.#runtime = runtime;
    this.#hooks = hooks;
    this.#pool = pool;
  }

  modalities(): readonly Modality[] {
    return this.#runtime.modalities();
  }

  provider(modality: Modality): string | undefined {
    return this.#runtime.provider(modality);
  }

  async embedWindows(modality: SensorModality, windows: unknown[], stamp: StampNs): Promise<Embedding[]> {
    const params = this.#runtime.manifest.modalities[modality]!.preprocess;
    const t0 = performance.now();
    const tensors = await Promise.all(
      // The windower hands each modality its own window type; the runtime's params match the modality.
      windows.map((w) => (this.#pool ? this.#pool.run(modality, w, params) : preprocessWindow(modality, w as never, params as never))),
    );
    const t1 = performance.now();
    this.#hooks.preprocessed(modality, (t1 - t0) / 1000);
    const out = await this.#runtime.embedTensors(modality, tensors, stamp);
    this.#hooks.inferred(modality, this.#runtime.provider(modality) ?? 'unknown', (performance.now() - t1) / 1000);
    return out;
  }
}

/** The agent's hooks minus `inferred`, which InstrumentedEmbedder reports without the preprocessing time. */
function agentHooks(hooks: StageHooks): StageHooks {
  return {
    snapshot: (p, a) => hooks.snapshot(p, a),
    preprocessed: () => {},
    inferred: () => {},
    skipped: (m, r) => hooks.skipped(m, r),
    dropped: (q, n) => hooks.dropped(q, n),
    event: (e) => hooks.event(e),
    delivered: (s, sec) => hooks.delivered(s, sec),
    degraded: (m, hz, r) => hooks.degraded(m, hz, r),
  };
}

/**
 * SIGHUP: re-reads the concept file and applies its definitions (thresholds, prompts, enabled flags):
 * concepts in the file replace those with the same id, concepts added at run time (MQTT commands, teach)
 * stay, exemplars stay. The matcher follows the memory and keeps running events of surviving concepts.
 */
export function conceptReloader(memory: ConceptMemory, conceptFile: string): () => Promise<string> {
  return async () => {
    const file = await loadConceptFile(conceptFile);
    const fromFile = new Set(file.concepts.map((c) => c.id));
    let kept = 0;
    await memory.commit((draft) => {
      const runtimeOnly = draft.concepts.filter((c) => !fromFile.has(c.id));
      kept = runtimeOnly.length;
      return { ...draft, defaults: file.defaults, concepts: [...file.concepts, ...runtimeOnly] };
    });
    return `${file.concepts.length} concepts from ${conceptFile}, ${kept} added at run time kept`;
  };
}

export async function assembleService(config: Config, options: AssembleOptions): Promise<Assembled> {
  const { logger, sources, clock } = options;
  const svc = config.service;
  const metrics = svc.metrics.port > 0 || options.alwaysMetrics ? new MetricsRegistry() : undefined;
  const hooks: StageHooks = metrics ?? NO_HOOKS;
  const opened: Array<() => Promise<void> | void> = [];
  try {
    // 1. Model, concepts, matcher (the replay/eval path): fails here, before any connection.
    const pipelineOptions = pipelineOptionsFromConfig(config, { concepts: options.conceptFile, state: options.conceptStateFile }, logger.child({ stage: 'pipeline' }));
    const conceptFile = pipelineOptions.conceptFile!;
    const pipeline = await openPipeline(pipelineOptions);
    opened.push(() => pipeline.close());
    const { runtime, memory, matcher } = pipeline;
    const failures = await runtime.load();
    for (const [m, why] of Object.entries(failures)) logger.error({ modality: m, err: why }, 'modality unavailable; it will be treated as missing');
    const usable = runtime.modalities().filter((m): m is SensorModality => m !== 'text');
    if (usable.length === 0) throw new SensebindError('MODEL', `model ${config.model.dir}: no sensor modality could be loaded`);

    // 3. Sinks, clips, governor, agent.
    const sinks: EventSink[] = [];
    if (config.sinks.jsonl.path !== '') sinks.push(new JsonlSink({ path: config.sinks.jsonl.path, fsync: config.sinks.jsonl.fsync }));
    const mqtt = await createMqttSinkFromConfig(config.mqtt, config.robot.id, {
      logger,
      commands: memoryCommandHandler(memory),
      concepts: () => memory.concepts(),
      onDelivered: (seconds) => hooks.delivered('mqtt', seconds),
    });
    if (mqtt) {
      sinks.push(mqtt);
      // The retained concept list follows every change (SIGHUP reload, CLI, ROS 2 commands), not just MQTT's own.
      opened.push(followConceptMemory(mqtt, memory));
    }
    sinks.push(...(options.extraSinks ?? []));
    for (const s of sinks) opened.push(() => s.close());
    if (sinks.length === 0) logger.warn('no sink configured (sinks.jsonl.path, mqtt.url, ros2): events are only counted');

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
    const governor = new EmbedGovernor({
      caps: svc.limits.embedRateHz,
      hopSeconds: config.window.hopSeconds,
      loadThreshold: svc.limits.loadThreshold,
      hooks,
      logger: logger.child({ stage: 'governor' }),
    });
    for (const m of SENSOR_MODALITIES) metrics?.setRateCap(m, svc.limits.embedRateHz[m]);
    const pool = PreprocessPool.create(svc.limits.preprocessWorkers, logger.child({ stage: 'preprocess' }));
    if (pool) opened.push(() => pool.close());
    const agent = new Agent({
      windower: pipeline.createWindower(),
      embedder: new InstrumentedEmbedder(runtime, hooks, pool),
      matcher,
      sinks: [new EventFanout(sinks, clips, logger)],
      logger,
      hopSeconds: config.window.hopSeconds,
      maxAgeSeconds: config.window.maxAgeSeconds,
      hooks: agentHooks(hooks),
      gate: governor,
      onTick: (r) => memory.observe(r.embeddings),
    });
    if (metrics) {
      metrics.watchStage('embed', () => runtime.stats());
      metrics.watchStage('matcher', () => matcher.stats());
      if (pool) {
        metrics.watchStage('preprocess', () => pool.stats());
        metrics.watchQueue('preprocess', () => ({ depth: pool.stats().inFlight, dropped: 0 }));
      }
    }

    const service = new Service({
      sources,
      agent,
      sinks,
      hopSeconds: config.window.hopSeconds,
      clock,
      stopDeadlineSeconds: svc.stopDeadlineSeconds,
      logger,
      ...(metrics ? { metrics } : {}),
      ...(metrics && svc.metrics.port > 0 ? { http: { host: svc.metrics.host, port: svc.metrics.port } } : {}),
      ...(clips ? { clips } : {}),
      governor,
      readinessChecks: { models: () => runtime.modalities().length > 0 },
      reload: conceptReloader(memory, conceptFile),
    });
    logger.info(
      { model: runtime.modelId, modalities: usable, providers: Object.fromEntries(usable.map((m) => [m, runtime.provider(m)])), concepts: memory.concepts().length },
      'pipeline assembled',
    );
    return { service, runtime, memory, matcher, metrics, clips, governor, sinks, agent, close: () => pool?.close() ?? Promise.resolve() };
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
