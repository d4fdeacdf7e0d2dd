/**
 * The long-lived core of an agent: the model runtime (with its thread settings and preprocessing
 * workers), the concept memory with its prototypes, the matcher that follows the memory, and the concept
 * control plane. It is opened once per process; `buildAgent` (build.ts) wraps it in sources, windower,
 * ticker and sinks, once for `run` or once per bag for `eval`, so every entry point embeds and matches
 * through the same objects.
 *
 * Opening is ordered so a misconfiguration fails before anything is connected, and whatever was opened
 * is closed again when a later step fails.
 */
import { silentLogger, type Logger } from '../core/log.js';
import { PreprocessPool } from '../embed/preprocess-pool.js';
import { EmbeddingRuntime } from '../embed/runtime.js';
import { LiveBackground } from '../match/background-live.js';
import { ConceptMatcher } from '../match/matcher.js';
import { loadFamiliarityGate } from '../match/familiarity-load.js';
import type { MatcherOptions } from '../match/options.js';
import { textPrototypeBuilder } from '../match/prototypes.js';
import { ConceptMemory } from '../memory/memory.js';
import { Windower } from '../window/windower.js';
import { ConceptControl } from './control.js';
import type { PipelineOptions } from './options.js';

export interface Pipeline {
  readonly options: PipelineOptions;
  readonly runtime: EmbeddingRuntime;
  readonly memory: ConceptMemory;
  readonly matcher: ConceptMatcher;
  /** The options `matcher` runs with (text scale and familiarity gate included): for re-running matching. */
  readonly matcherOptions: MatcherOptions;
  readonly control: ConceptControl;
  /** The live background estimate (config match.background); undefined when off. */
  readonly background: LiveBackground | undefined;
  readonly pool: PreprocessPool | undefined;
  /** A fresh windower with the model's window lengths (one per run: buffers must not carry over). */
  createWindower(): Windower;
  /** Releases the matcher, the workers and the ONNX sessions, in reverse order of opening. */
  close(): Promise<void>;
}

export interface OpenPipelineOptions {
  /** @default silent */
  logger?: Logger | undefined;
}

export async function openPipeline(options: PipelineOptions, open: OpenPipelineOptions = {}): Promise<Pipeline> {
  const logger = open.logger ?? silentLogger();
  const pool = PreprocessPool.create(options.preprocessWorkers, logger.child({ stage: 'preprocess' }));
  let runtime: EmbeddingRuntime | undefined;
  try {
    runtime = await EmbeddingRuntime.open(options.modelDir, {
      logger,
      providers: options.providers,
      cacheDir: options.cacheDir,
      intraOpThreads: options.intraOpThreads,
      interOpThreads: options.interOpThreads,
      pool,
    });
    const memory = await ConceptMemory.open({
      conceptFile: options.conceptFile,
      ...(options.stateFile !== undefined ? { stateFile: options.stateFile } : {}),
      builder: textPrototypeBuilder(runtime),
      logger,
    });
    const calibration = { textScale: runtime.scale('text'), ...options.matcher.calibration };
    const familiarity = options.familiarity && (await loadFamiliarityGate(options.familiarity, { dir: options.modelDir, id: runtime.modelId }));
    const matcherOptions: MatcherOptions = { ...options.matcher, calibration, ...(familiarity ? { familiarity } : {}) };
    const matcher = new ConceptMatcher(memory, matcherOptions);
    const bgConfig = options.background;
    const background = bgConfig && (await LiveBackground.open(memory, matcher, { config: bgConfig, matcher: options.matcher, stateFile: options.stateFile, logger: logger.child({ stage: 'background' }) }));
    const control = new ConceptControl(memory, { conceptFile: options.conceptFile, logger: logger.child({ stage: 'concepts' }), ...(background ? { background } : {}) });
    const m = runtime.manifest.modalities;
    const audio = m.audio?.preprocess;
    const imu = m.imu?.preprocess;
    const opened = runtime;
    return {
      options,
      runtime,
      memory,
      matcher,
      matcherOptions,
      control,
      background,
      pool,
      createWindower: () =>
        new Windower({
          ...options.window,
          logger,
          audioSeconds: audio !== undefined ? audio.clipSeconds * audio.liveClips : 2,
          imuSeconds: imu?.windowSeconds ?? 5,
          imuSamples: imu?.samples ?? 2000,
        }),
      async close() {
        await background?.close();
        matcher.close();
        await pool?.close();
        await opened.close();
      },
    };
  } catch (err) {
    await runtime?.close();
    await pool?.close();
    throw err;
  }
}
