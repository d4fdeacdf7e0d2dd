/**
 * What the pipeline takes from the config, in one place, so a key means the same on every entry point
 * (run, replay, eval, demo, concepts teach, benches): model and threads, concepts and state, matching,
 * window ages and hop, and the ROS 2 topic mapping that bag replay decodes with.
 */
import { resolveBundled } from '../config/paths.js';
import type { Config } from '../config/schema.js';
import type { ConverterOptions, TopicMapping } from '../decode/converter.js';
import type { ProviderName } from '../embed/providers.js';
import type { BackgroundConfig } from '../match/background-live.js';
import type { FamiliarityConfig } from '../match/familiarity-load.js';
import type { MatcherOptions } from '../match/options.js';
import type { WindowerOptions } from '../window/windower.js';

/** CLI overrides of the config's model and concept files (--model, --concepts, --state). */
export interface PipelineOverrides {
  model?: string | undefined;
  concepts?: string | undefined;
  state?: string | undefined;
}

export interface PipelineOptions {
  /** Model folder. */
  modelDir: string;
  providers: readonly ProviderName[];
  /** ONNX Runtime threads (config model.intraOpThreads / interOpThreads; 0 = runtime default). */
  intraOpThreads: number;
  interOpThreads: number;
  /** Text embedding cache; null = none. */
  cacheDir: string | null;
  /** Concept file seeding the memory. */
  conceptFile: string;
  /** Persisted memory state (taught exemplars, run-time edits); wins over conceptFile when present. */
  stateFile?: string | undefined;
  matcher: MatcherOptions;
  /** The live background estimate (config match.background); off when absent. */
  background?: BackgroundConfig;
  /** The familiarity gate (config match.familiarity); off when absent. */
  familiarity?: FamiliarityConfig;
  /** Max ages and disabled modalities for the windower; window lengths come from the model. */
  window: Pick<WindowerOptions, 'maxAgeSeconds' | 'disabled' | 'sensors' | 'gates' | 'imuMounting'>;
  /** Seconds between snapshots. */
  hopSeconds: number;
  /** Worker threads for preprocessing (0 = main thread). */
  preprocessWorkers: number;
  /** How bag messages map to modalities (the robot's ros2.topics mapping). */
  converter: ConverterOptions;
}

export function pipelineOptionsFromConfig(config: Config, overrides: PipelineOverrides = {}): PipelineOptions {
  const state = overrides.state ?? (config.match.stateFile !== '' ? config.match.stateFile : undefined);
  return {
    modelDir: resolveBundled(overrides.model ?? config.model.dir),
    providers: config.model.providers,
    intraOpThreads: config.model.intraOpThreads,
    interOpThreads: config.model.interOpThreads,
    cacheDir: config.model.cacheDir,
    conceptFile: resolveBundled(overrides.concepts ?? config.match.conceptFile),
    stateFile: state,
    matcher: {
      robot: config.robot.id,
      calibration: { ...config.match.calibration },
      fusion: { weights: { ...config.match.fusion.weights }, gatedScores: { ...config.match.fusion.gatedScores } },
      lifecycle: { ...config.match.lifecycle },
    },
    background: { ...config.match.background },
    familiarity: { ...config.match.familiarity, modalities: [...config.match.familiarity.modalities] },
    window: {
      maxAgeSeconds: { ...config.window.maxAgeSeconds },
      disabled: [...config.window.disabled],
      sensors: { ...config.window.sensors },
      gates: structuredClone(config.window.gates),
      imuMounting: structuredClone(config.window.imuMounting),
    },
    hopSeconds: config.window.hopSeconds,
    preprocessWorkers: config.service.limits.preprocessWorkers,
    converter: converterOptionsFromConfig(config),
  };
}

/**
 * Converter options from the `ros2` section, so a recording made on the robot replays with the robot's
 * topic mapping (modality per topic, AudioInfo topics, fallback audio format). Topic names are used as
 * written (bags store absolute names). Applies whether or not `ros2.enabled` is set.
 */
function converterOptionsFromConfig(config: Config): ConverterOptions {
  const r = config.ros2;
  const topics: Record<string, TopicMapping> = {};
  const audioInfoTopics: Record<string, string> = {};
  for (const t of r.topics) {
    if (t.modality !== undefined) topics[t.name] = t.modality;
    if (t.audioInfoTopic !== '') audioInfoTopics[t.name] = t.audioInfoTopic;
  }
  const af = r.audioFormat;
  return {
    topics,
    audioInfoTopics,
    ...(af.enabled ? { audioFormat: { channels: af.channels, rate: af.sampleRate, sampleFormat: af.sampleFormat, codingFormat: 'WAVE' } } : {}),
  };
}
