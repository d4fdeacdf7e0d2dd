/**
 * IMU CSV files: a header naming t (seconds), ax, ay, az (m/s^2), gx, gy, gz (rad/s), in any column order,
 * extra columns ignored. Time must not go backwards (equal stamps are allowed: loggers repeat them).
 */
import { readFile } from 'node:fs/promises';
import { SensebindError, errorMessage } from '../core/errors.js';
import { IMU_CHANNELS } from './params.js';

export interface ImuRecording {
  t: Float64Array;
  /** Canonical order ax, ay, az, gx, gy, gz. */
  channels: Float32Array[];
}

export function parseImuCsv(text: string, path: string): ImuRecording {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((s) => s.trim());
  const wanted = ['t', ...IMU_CHANNELS];
  const index = wanted.map((name) => header.indexOf(name));
  const missing = wanted.filter((_, i) => index[i]! < 0);
  if (missing.length > 0) {
    throw new SensebindError('INPUT', `${path}: line 1: missing column(s) ${missing.join(', ')}; expected a header with t,ax,ay,az,gx,gy,gz, found ${JSON.stringify(lines[0] ?? '')}`);
  }
  const rows: number[][] = [];
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    const row = index.map((ci, k) => {
      const cell = cells[ci];
      const v = cell === undefined ? NaN : Number(cell.trim());
      if (cell === undefined || cell.trim() === '' || !Number.isFinite(v)) {
        throw new SensebindError('INPUT', `${path}: line ${li + 1}: column ${wanted[k]} is ${cell === undefined ? 'missing' : JSON.stringify(cell)}, expected a finite number`);
      }
      return v;
    });
    const prev = rows[rows.length - 1];
    if (prev !== undefined && row[0]! < prev[0]!) {
      throw new SensebindError('INPUT', `${path}: line ${li + 1}: time goes backwards (t = ${row[0]} after ${prev[0]}); expected non-decreasing t in seconds`);
    }
    rows.push(row);
  }
  if (rows.length < 2) throw new SensebindError('INPUT', `${path}: ${rows.length} reading(s), expected at least 2 rows of data`);
  const t = Float64Array.from(rows, (r) => r[0]!);
  const channels = IMU_CHANNELS.map((_, c) => Float32Array.from(rows, (r) => r[c + 1]!));
  return { t, channels };
}

export async function readImuCsv(path: string): Promise<ImuRecording> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SensebindError('INPUT', `${path}: cannot read (${code === 'ENOENT' ? 'file not found' : errorMessage(err)})`);
  }
  return parseImuCsv(text, path);
}
