/**
 * The whole pipeline on a recorded bag: bag reader -> agent (windower, embedding runtime, matcher) ->
 * sinks, on the recording's clock. Shared by `replay`, `eval`, `demo` and `concepts teach --bag`, so
 * each of them exercises exactly the path a robot runs. `collect` keeps every snapshot's embeddings so the
 * matching stage can be re-run with other parameters without embedding again (tuning, exemplar studies).
 */
import { SENSOR_MODALITIES, type SensorModality, type SnapshotEmbeddings } from '../core/types.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { Agent, type ModalityEmbedder, type TickResult } from '../agent/agent.js';
import { replay, type ReplaySummary } from '../agent/replay.js';
import { EmbeddingRuntime } from '../embed/runtime.js';
import type { ProviderName } from '../embed/providers.js';
import { ConceptMemory } from '../memory/memory.js';
import { ConceptMatcher } from '../match/matcher.js';
import type { MatcherOptions } from '../match/options.js';
import { textPrototypeBuilder } from '../match/prototypes.js';
import type { EventSink } from '../sinks/sink.js';
import { readBag, type BagSummary, type ReadBagOptions } from '../sources/bag.js';
import { parseTruth, type TruthEvent } from '../sim/truth.js';
import { Windower, type WindowerOptions } from '../window/windower.js';

export interface PipelineOptions {
  /** Model folder. @default 'models/bind-mini' */
  modelDir?: string;
  providers?: readonly ProviderName[];
  /** Text embedding cache. @default '.sensebind/cache' */
  cacheDir?: string | null;
  /** Concept file seeding the memory. @default 'concepts/default.yaml' */
  conceptFile?: string;
  /** Persisted memory state (taught exemplars, run-time edits); wins over conceptFile when present. */
  stateFile?: string;
  logger?: Logger;
  matcher?: MatcherOptions;
  /** Max ages and disabled modalities for the windower (config `window`); window lengths come from the model. */
  window?: Pick<WindowerOptions, 'maxAgeSeconds' | 'disabled' | 'sensors'>;
}

export interface Pipeline {
  runtime: EmbeddingRuntime;
  memory: ConceptMemory;
  matcher: ConceptMatcher;
  /** A fresh windower with the model's window lengths (one per replay: buffers must not carry over). */
  createWindower(): Windower;
  close(): Promise<void>;
}

/** Opens the model, the concept memory (embedding prototypes) and a matcher that follows the memory. */
export async function openPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const { modelDir = 'models/bind-mini', conceptFile = 'concepts/default.yaml', logger = silentLogger() } = options;
  const runtime = await EmbeddingRuntime.open(modelDir, {
    logger,
    ...(options.providers !== undefined ? { providers: options.providers } : {}),
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
  });
  try {
    const memory = await ConceptMemory.open({
      conceptFile,
      ...(options.stateFile !== undefined ? { stateFile: options.stateFile } : {}),
      builder: textPrototypeBuilder(runtime),
      logger,
    });
    const calibration = { textScale: runtime.scale('text'), ...options.matcher?.calibration };
    const matcher = new ConceptMatcher(memory, { ...options.matcher, calibration });
    const m = runtime.manifest.modalities;
    const audio = m.audio?.preprocess as { clipSeconds?: number; liveClips?: number } | undefined;
    const imu = m.imu?.preprocess as { windowSeconds?: number; samples?: number } | undefined;
    const createWindower = () =>
      new Windower({
        ...options.window,
        logger,
        audioSeconds: audio?.clipSeconds !== undefined ? audio.clipSeconds * (audio.liveClips ?? 1) : 2,
        imuSeconds: imu?.windowSeconds ?? 5,
        imuSamples: imu?.samples ?? 2000,
      });
    return {
      runtime,
      memory,
      matcher,
      createWindower,
      async close() {
        matcher.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await runtime.close();
    throw err;
  }
}

export interface BagRunOptions {
  /** 1 = real time, 0 = as fast as possible. @default 0 */
  speed?: number;
  /** Modalities removed before windowing. @default [] */
  drop?: SensorModality[];
  /** Seconds between snapshots. @default 0.5 */
  hopSeconds?: number;
  sinks?: EventSink[];
  /** Keep every snapshot's embeddings in the result. @default false */
  collect?: boolean;
  onTick?: (result: TickResult) => void;
  /** Each ground-truth record as the replay reaches it. */
  onTruth?: (truth: TruthEvent) => void;
  signal?: AbortSignal;
  logger?: Logger;
  /** Per-topic clock check of the bag reader (ReadBagOptions.clock). @default map, 5 s */
  clock?: ReadBagOptions['clock'];
}

export interface BagRun {
  summary: ReplaySummary;
  bag: BagSummary | undefined;
  truth: TruthEvent[];
  snapshots: SnapshotEmbeddings[];
}

/** Replays `bag` through an opened pipeline. */
export async function runBag(pipeline: Pipeline, bag: string, options: BagRunOptions = {}): Promise<BagRun> {
  const { speed = 0, drop = [], hopSeconds = 0.5, sinks = [], collect = false, logger = silentLogger() } = options;
  const truth: TruthEvent[] = [];
  const snapshots: SnapshotEmbeddings[] = [];
  let bagSummary: BagSummary | undefined;
  const agent = new Agent({
    windower: pipeline.createWindower(),
    embedder: runtimeEmbedder(pipeline.runtime),
    matcher: pipeline.matcher,
    sinks,
    logger,
    hopSeconds,
    onTick: (r) => {
      if (collect) snapshots.push(r.embeddings);
      options.onTick?.(r);
    },
  });
  let badTruth = 0;
  const summary = await replay(readBag(bag, { logger, onSummary: (s) => (bagSummary = s), ...(options.clock !== undefined ? { clock: options.clock } : {}) }), {
    agent,
    hopSeconds,
    speed,
    drop,
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    onOther: (item) => {
      if (item.kind !== 'truth') return;
      const t = item as unknown as { text: string; stamp: bigint };
      try {
        const parsed = parseTruth(t.text, `${bag} truth at ${t.stamp}`);
        truth.push(parsed);
        options.onTruth?.(parsed);
      } catch (err) {
        if (badTruth++ === 0) logger.warn({ bag, err: errorMessage(err) }, 'unreadable ground-truth message skipped');
      }
    },
  });
  if (summary.ticks === 0) throw new SensebindError('INPUT', `${bag}: no sensor samples to replay`);
  return { summary, bag: bagSummary, truth, snapshots };
}

/** The runtime as the agent's embedder (the agent hands windows untyped; the runtime checks them). */
export function runtimeEmbedder(runtime: EmbeddingRuntime): ModalityEmbedder {
  return {
    modalities: () => runtime.modalities(),
    embedWindows: (m, windows, stamp) => runtime.embedWindows(m, windows as never, stamp),
    provider: (m) => runtime.provider(m),
  };
}

/** Parses "--drop audio,imu" into modalities; names a typo. */
export function parseModalityList(flag: string, value: string | undefined): SensorModality[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((s) => {
    const m = s.trim();
    if (!(SENSOR_MODALITIES as readonly string[]).includes(m)) {
      throw new SensebindError('USAGE', `--${flag}: unknown modality "${m}" (expected one of ${SENSOR_MODALITIES.join(', ')})`);
    }
    return m as SensorModality;
  });
}
