/**
 * The input-file flags shared by `preprocess` and `embed`: how to read a raw depth file (--shape), what a
 * depth PNG's units are (--depth-units) and where an IMU CSV window starts (--start).
 */
import { SensebindError } from '../core/errors.js';
import type { PreprocessFileOptions } from '../preprocess/index.js';
import type { ImuCsvOptions } from '../preprocess/imu-csv.js';
import { numberFlag } from './command.js';

export const FILE_INPUT_FLAGS = {
  shape: { type: 'string' },
  'depth-units': { type: 'string' },
  start: { type: 'string' },
  'imu-columns': { type: 'string' },
  'imu-units': { type: 'string' },
} as const;

/** The IMU CSV layouts and units, for --help (the parser: src/preprocess/imu-csv.ts). */
export const IMU_CSV_HELP = `IMU CSV files (--modality imu): the header names time, accelerometer and/or gyroscope x, y, z,
with units in brackets or parentheses; values are converted to s, m/s^2 and rad/s:
  sensebind   t,ax,ay,az,gx,gy,gz                          (s, m/s^2, rad/s)
  EuRoC/ASL   #timestamp [ns],w_RS_S_x [rad s^-1],...,a_RS_S_x [m s^-2],...
  x-io        Time (s),Gyroscope X (deg/s),...,Accelerometer X (g),...
  similar     time/timestamp/stamp in s, ms, us, ns or date-times (UTC unless zoned); acc/accel/
              accelerometer x (or bare x,y,z) in m/s^2, g, mg; gyro/gyroscope/w x in rad/s, deg/s;
              separated by , ; | or tab. A unit the header leaves out is the SI one.
  --imu-columns t=<header>,ax=<header>,...   which header cell holds which value
  --imu-units acc=g,gyro=deg/s,time=ms       units the header does not state (time: s|ms|us|ns|datetime;
                                             acc: m/s^2|g|mg; gyro: rad/s|deg/s)
A file without gyroscope (or accelerometer) columns is read with those channels as zeros, and said so.`;

const COLUMN_NAMES = ['t', 'ax', 'ay', 'az', 'gx', 'gy', 'gz'] as const;
const UNIT_CHOICES: Record<string, readonly string[]> = { time: ['s', 'ms', 'us', 'ns', 'datetime'], acc: ['m/s^2', 'g', 'mg'], gyro: ['rad/s', 'deg/s'] };

function pairs(command: string, flag: string, value: string): [string, string][] {
  return value.split(',').map((part) => {
    const at = part.indexOf('=');
    if (at <= 0 || at === part.length - 1) throw new SensebindError('USAGE', `--${flag} expects key=value pairs separated by commas, got "${part}" (see sensebind ${command} --help)`);
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
}

function parseImuCsvFlags(command: string, columns: string | undefined, units: string | undefined): ImuCsvOptions | undefined {
  if (columns === undefined && units === undefined) return undefined;
  const out: ImuCsvOptions = {};
  if (columns !== undefined) {
    out.columns = {};
    for (const [k, v] of pairs(command, 'imu-columns', columns)) {
      if (!(COLUMN_NAMES as readonly string[]).includes(k)) throw new SensebindError('USAGE', `--imu-columns: unknown column "${k}" (expected ${COLUMN_NAMES.join(', ')})`);
      out.columns[k as (typeof COLUMN_NAMES)[number]] = v;
    }
  }
  if (units !== undefined) {
    const u: Record<string, string> = {};
    for (const [k, v] of pairs(command, 'imu-units', units)) {
      const choices = UNIT_CHOICES[k];
      if (choices === undefined) throw new SensebindError('USAGE', `--imu-units: unknown quantity "${k}" (expected time, acc, gyro)`);
      if (!choices.includes(v)) throw new SensebindError('USAGE', `--imu-units: ${k} unit "${v}" is not one of ${choices.join(', ')}`);
      u[k] = v;
    }
    out.units = u as NonNullable<ImuCsvOptions['units']>;
  }
  return out;
}

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
  values: { shape?: string | undefined; 'depth-units'?: string | undefined; start?: string | undefined; 'imu-columns'?: string | undefined; 'imu-units'?: string | undefined },
): PreprocessFileOptions {
  const options: PreprocessFileOptions = { modelDir };
  const shape = parseShape(command, values.shape);
  if (shape !== undefined) options.shape = shape;
  const imuCsv = parseImuCsvFlags(command, values['imu-columns'], values['imu-units']);
  if (imuCsv !== undefined) options.imuCsv = imuCsv;
  if (values['depth-units'] !== undefined) options.depthUnitsPerMetre = numberFlag(command, 'depth-units', values['depth-units'], 1000);
  if (values.start !== undefined) options.imuStartSeconds = numberFlag(command, 'start', values.start, 0);
  return options;
}
