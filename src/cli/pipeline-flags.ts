/**
 * Flags shared by the commands that open the pipeline (`replay`, `eval`, `demo`, `concepts`, `run`): which
 * model, which concepts, which memory state, which modalities to drop. The model and concepts come from the
 * config unless a flag overrides them; bundled paths (the bind-mini model, concepts/default.yaml) resolve
 * from the package when not found in the working directory.
 */
import { SensebindError } from '../core/errors.js';
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import { pipelineOptionsFromConfig, type PipelineOptions } from '../pipeline/options.js';
import type { CliContext } from './command.js';

export const PIPELINE_FLAGS = {
  model: { type: 'string' },
  concepts: { type: 'string' },
  state: { type: 'string' },
} as const;

export const PIPELINE_HELP = `  --model <dir>       model folder (default: config model.dir, the bundled models/bind-mini)
  --concepts <file>   concept file (default: config match.conceptFile, the bundled concepts/default.yaml)
  --state <file>      concept memory state (taught exemplars, edits); used instead of --concepts when it
                      exists (default: config match.stateFile)`;

/** Pipeline options from the effective config with the command's --model/--concepts/--state. */
export async function pipelineOptions(ctx: CliContext, values: { model?: string | undefined; concepts?: string | undefined; state?: string | undefined }): Promise<PipelineOptions> {
  return pipelineOptionsFromConfig(await ctx.loadConfig(), values);
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
