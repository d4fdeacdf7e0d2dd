/**
 * Flags shared by `replay`, `eval`, `demo` and `concepts`: which model, which concepts, which memory state.
 * The model comes from the config's `model` section unless --model overrides it; bundled paths (the
 * bind-mini model, concepts/default.yaml) resolve from the package when not found in the working directory.
 */
import type { CliContext } from '../cli/command.js';
import type { Logger } from '../core/log.js';
import type { Config } from '../config/schema.js';
import { resolveBundled } from '../config/paths.js';
import type { PipelineOptions } from './run-bag.js';

export const PIPELINE_FLAGS = {
  model: { type: 'string' },
  concepts: { type: 'string' },
  state: { type: 'string' },
} as const;

export const PIPELINE_HELP = `  --model <dir>       model folder (default: config model.dir, the bundled models/bind-mini)
  --concepts <file>   concept file (default: config match.conceptFile, the bundled concepts/default.yaml)
  --state <file>      concept memory state (taught exemplars, edits); used instead of --concepts when it
                      exists (default: config match.stateFile)`;

/** Pipeline options from the config (model, match section, window ages) with CLI overrides; shared by every command that opens the pipeline. */
export function pipelineOptionsFromConfig(
  config: Config,
  values: { model?: string | undefined; concepts?: string | undefined; state?: string | undefined },
  logger: Logger,
): PipelineOptions {
  const out: PipelineOptions = {
    modelDir: resolveBundled(values.model ?? config.model.dir),
    providers: config.model.providers,
    cacheDir: config.model.cacheDir,
    conceptFile: resolveBundled(values.concepts ?? config.match.conceptFile),
    logger,
    matcher: { robot: config.robot.id, calibration: { ...config.match.calibration }, fusion: { weights: { ...config.match.fusion.weights } }, lifecycle: { ...config.match.lifecycle } },
    window: { maxAgeSeconds: { ...config.window.maxAgeSeconds }, disabled: [...config.window.disabled], sensors: { ...config.window.sensors } },
  };
  const state = values.state ?? (config.match.stateFile !== '' ? config.match.stateFile : undefined);
  if (state !== undefined) out.stateFile = state;
  return out;
}

export async function pipelineOptions(ctx: CliContext, values: { model?: string | undefined; concepts?: string | undefined; state?: string | undefined }): Promise<PipelineOptions> {
  return pipelineOptionsFromConfig(await ctx.loadConfig(), values, ctx.logger);
}
