/**
 * The input-file flags shared by `preprocess` and `embed`: how to read a raw depth file (--shape), what a
 * depth PNG's units are (--depth-units) and where an IMU CSV window starts (--start).
 */
import { SensebindError } from '../core/errors.js';
import type { PreprocessFileOptions } from '../preprocess/index.js';
import { numberFlag } from './command.js';

export const FILE_INPUT_FLAGS = {
  shape: { type: 'string' },
  'depth-units': { type: 'string' },
  start: { type: 'string' },
} as const;

function parseShape(command: string, value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(value);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) {
    throw new SensebindError('USAGE', `--shape expects HxW with positive integers (e.g. 480x640), got "${value}" (see sensebind ${command} --help)`);
  }
  return [Number(m[1]), Number(m[2])];
}

export function fileInputOptions(
  command: string,
  modelDir: string,
  values: { shape?: string | undefined; 'depth-units'?: string | undefined; start?: string | undefined },
): PreprocessFileOptions {
  const options: PreprocessFileOptions = { modelDir };
  const shape = parseShape(command, values.shape);
  if (shape !== undefined) options.shape = shape;
  if (values['depth-units'] !== undefined) options.depthUnitsPerMetre = numberFlag(command, 'depth-units', values['depth-units'], 1000);
  if (values.start !== undefined) options.imuStartSeconds = numberFlag(command, 'start', values.start, 0);
  return options;
}
