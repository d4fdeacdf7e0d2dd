/**
 * IMU CSV files as recorders write them. The header names the columns and, in brackets or parentheses,
 * their units; values are converted to the canonical t (s), ax ay az (m/s^2), gx gy gz (rad/s):
 *
 * - sensebind's own `t,ax,ay,az,gx,gy,gz` (SI units, any column order);
 * - EuRoC / ASL: `#timestamp [ns],w_RS_S_x [rad s^-1],...,a_RS_S_x [m s^-2],...`;
 * - x-io (NGIMU, Gait-Tracking): `Time (s),Gyroscope X (deg/s),...,Accelerometer X (g),...`;
 * - similar: time `t|time|timestamp|stamp` in s, ms, us or ns, or date-times (`2023-02-01 13:09:58.001`,
 *   taken as UTC when no zone is given); accelerometer `a|acc|accel|accelerometer[_ ]x` (or bare `x`,
 *   `y`, `z` when no other accelerometer column exists) in m/s^2, g or mg; gyroscope
 *   `g|gyr|gyro|gyroscope|w[_ ]x` in rad/s or deg/s. Comma, semicolon, `|` or tab separated.
 *
 * A column map (`columns`: canonical name -> header cell) and unit overrides (`units`) cover other
 * layouts. An accelerometer-only (or gyroscope-only) file is read with the absent axes as zeros and
 * reported in `absent`. Time must not go backwards (equal stamps are allowed: loggers repeat them).
 */
import { readFile } from 'node:fs/promises';
import { SensebindError, errorMessage } from '../core/errors.js';
import { IMU_CHANNELS } from './params.js';

export interface ImuRecording {
  t: Float64Array;
  /** Canonical order ax, ay, az, gx, gy, gz. */
  channels: Float32Array[];
  /** Sensors the file has no columns for; their channels are zeros. */
  absent: ('accelerometer' | 'gyroscope')[];
}

export type ImuColumn = 't' | (typeof IMU_CHANNELS)[number];
export type TimeUnit = 's' | 'ms' | 'us' | 'ns' | 'datetime';
export type AccUnit = 'm/s^2' | 'g' | 'mg';
export type GyroUnit = 'rad/s' | 'deg/s';

export interface ImuCsvOptions {
  /** Canonical column -> the header cell holding it, for layouts the names are not recognised in. */
  columns?: Partial<Record<ImuColumn, string>>;
  /** Units, where the header does not state them (or states them wrongly). */
  units?: { time?: TimeUnit; acc?: AccUnit; gyro?: GyroUnit };
}

const G = 9.80665;
const SCALE = {
  time: { s: 1, ms: 1e-3, us: 1e-6, ns: 1e-9, datetime: 1 },
  acc: { 'm/s^2': 1, g: G, mg: G / 1000 },
  gyro: { 'rad/s': 1, 'deg/s': Math.PI / 180 },
} as const;

/** Units as headers write them, normalised (lower case, no spaces). */
const UNIT_ALIASES: Record<string, TimeUnit | AccUnit | GyroUnit> = {
  s: 's', sec: 's', seconds: 's', ms: 'ms', us: 'us', 'µs': 'us', ns: 'ns',
  'm/s^2': 'm/s^2', 'm/s2': 'm/s^2', 'ms^-2': 'm/s^2', 'm/s²': 'm/s^2', 'm/s/s': 'm/s^2', g: 'g', mg: 'mg',
  'rad/s': 'rad/s', 'rads^-1': 'rad/s', 'rad/sec': 'rad/s', 'deg/s': 'deg/s', 'degs^-1': 'deg/s', dps: 'deg/s', '°/s': 'deg/s', 'deg/sec': 'deg/s',
};

interface Cell {
  index: number;
  raw: string;
  name: string;
  unit: string | undefined;
}

function splitCell(raw: string, index: number): Cell {
  const text = raw.trim().replace(/^#\s*/, '');
  const m = /^(.*?)\s*[([]\s*([^)\]]*)\s*[)\]]\s*$/.exec(text);
  const name = (m ? m[1]! : text).toLowerCase().replace(/[\s_-]+/g, '');
  const unit = m ? m[2]!.toLowerCase().replace(/\s+/g, '') : undefined;
  return { index, raw: raw.trim(), name, unit };
}

const NAME_PATTERNS: Record<'acc' | 'gyro', RegExp> = {
  acc: /^(a|acc|accel|acceleration|accelerometer|linearacceleration|arss)([xyz])$/,
  gyro: /^(g|gyr|gyro|gyroscope|w|omega|angularvelocity|wrss)([xyz])$/,
};

function detectDelimiter(header: string): string {
  let best = ',';
  let most = 0;
  for (const d of [',', ';', '|', '\t']) {
    const n = header.split(d).length - 1;
    if (n > most) {
      best = d;
      most = n;
    }
  }
  return best;
}

function unitOf<K extends keyof typeof SCALE>(kind: K, cell: Cell | undefined, override: string | undefined, path: string): keyof (typeof SCALE)[K] {
  const table = SCALE[kind] as Record<string, number>;
  if (override !== undefined) return override as keyof (typeof SCALE)[K];
  if (cell?.unit === undefined || cell.unit === '') return (kind === 'time' ? 's' : kind === 'acc' ? 'm/s^2' : 'rad/s') as keyof (typeof SCALE)[K];
  const u = UNIT_ALIASES[cell.unit];
  if (u === undefined || !(u in table)) {
    throw new SensebindError('INPUT', `${path}: line 1: column "${cell.raw}": unknown unit "${cell.unit}" (expected ${Object.keys(table).filter((k) => k !== 'datetime').join(', ')}; or set the units)`);
  }
  return u as keyof (typeof SCALE)[K];
}

interface Layout {
  delimiter: string;
  time: Cell;
  timeUnit: TimeUnit;
  /** Index per canonical channel, undefined where absent; scale per channel. */
  index: (number | undefined)[];
  scale: number[];
  absent: ImuRecording['absent'];
  /** The accelerometer unit came from neither the header nor the options (SI assumed). */
  accUnitAssumed: boolean;
}

function layoutOf(headerLine: string, path: string, options: ImuCsvOptions): Layout {
  const delimiter = detectDelimiter(headerLine);
  const cells = headerLine.split(delimiter).map(splitCell);
  const byHeader = (col: ImuColumn): Cell | undefined => {
    const want = options.columns?.[col];
    if (want === undefined) return undefined;
    const c = cells.find((x) => x.raw === want || x.raw.replace(/^#\s*/, '') === want);
    if (c === undefined) throw new SensebindError('INPUT', `${path}: line 1: no column "${want}" (given for ${col}); the header has ${cells.map((x) => JSON.stringify(x.raw)).join(', ')}`);
    return c;
  };
  const find = (col: ImuColumn): Cell | undefined => {
    const mapped = byHeader(col);
    if (mapped !== undefined) return mapped;
    if (col === 't') return cells.find((c) => /^(t|time|timestamp|stamp)$/.test(c.name));
    const kind = col.startsWith('a') ? 'acc' : 'gyro';
    const axis = col[1];
    return cells.find((c) => c.name === col) ?? cells.find((c) => NAME_PATTERNS[kind].exec(c.name)?.[2] === axis);
  };
  const time = find('t');
  const found = IMU_CHANNELS.map((ch) => find(ch));
  // Bare x, y, z are an accelerometer when nothing else is.
  if (found.slice(0, 3).every((c) => c === undefined)) {
    const bare = ['x', 'y', 'z'].map((a) => cells.find((c) => c.name === a));
    if (bare.every((c) => c !== undefined)) bare.forEach((c, k) => (found[k] = c));
  }
  const group = (from: number) => found.slice(from, from + 3);
  const accCount = group(0).filter((c) => c !== undefined).length;
  const gyroCount = group(3).filter((c) => c !== undefined).length;
  const missing = [
    ...(time === undefined ? ['t'] : []),
    ...IMU_CHANNELS.filter((ch, k) => found[k] === undefined && ((k < 3 && accCount > 0) || (k >= 3 && gyroCount > 0) || (accCount === 0 && gyroCount === 0))),
  ];
  if (missing.length > 0 || time === undefined) {
    throw new SensebindError(
      'INPUT',
      `${path}: line 1: missing column(s) ${missing.join(', ')}; expected a header with time and accelerometer and/or gyroscope x, y, z (e.g. t,ax,ay,az,gx,gy,gz; see sensebind preprocess --help), found ${JSON.stringify(headerLine)}`,
    );
  }
  const accWithUnit = group(0).find((c) => c?.unit !== undefined);
  const accUnit = unitOf('acc', accWithUnit, options.units?.acc, path);
  const gyroUnit = unitOf('gyro', group(3).find((c) => c?.unit !== undefined), options.units?.gyro, path);
  const timeUnit = unitOf('time', time, options.units?.time, path) as TimeUnit;
  const absent: ImuRecording['absent'] = [];
  if (accCount === 0) absent.push('accelerometer');
  if (gyroCount === 0) absent.push('gyroscope');
  return {
    delimiter,
    time,
    timeUnit,
    index: found.map((c) => c?.index),
    scale: IMU_CHANNELS.map((_, k) => (k < 3 ? SCALE.acc[accUnit] : SCALE.gyro[gyroUnit])),
    absent,
    accUnitAssumed: accCount > 0 && accWithUnit === undefined && options.units?.acc === undefined,
  };
}

/** Seconds from a time cell: a number in the layout's unit, or a date-time when the unit allows it. */
function seconds(cell: string, layout: Layout): number {
  const v = Number(cell);
  if (cell !== '' && Number.isFinite(v) && layout.timeUnit !== 'datetime') return v * SCALE.time[layout.timeUnit];
  if (layout.time.unit === undefined || layout.timeUnit === 'datetime') {
    const iso = cell.replace(' ', 'T');
    const ms = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
    if (Number.isFinite(ms)) {
      // Date.parse keeps milliseconds only; finer digits are added back.
      const frac = /\.(\d{4,9})/.exec(cell)?.[1];
      return frac !== undefined ? Math.floor(ms / 1000) + Number(`0.${frac}`) : ms / 1000;
    }
  }
  return NaN;
}

export function parseImuCsv(text: string, path: string, options: ImuCsvOptions = {}): ImuRecording {
  const lines = text.split(/\r?\n/);
  const layout = layoutOf(lines[0] ?? '', path, options);
  const names = ['t', ...IMU_CHANNELS];
  const t: number[] = [];
  const values: number[][] = IMU_CHANNELS.map(() => []);
  for (let li = 1; li < lines.length; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const cells = line.split(layout.delimiter);
    const timeCell = cells[layout.time.index]?.trim();
    const ts = timeCell === undefined ? NaN : seconds(timeCell, layout);
    if (!Number.isFinite(ts)) {
      throw new SensebindError('INPUT', `${path}: line ${li + 1}: column t is ${timeCell === undefined ? 'missing' : JSON.stringify(timeCell)}, expected a time (${layout.timeUnit === 'datetime' ? 'a date-time' : `a number in ${layout.timeUnit}`})`);
    }
    const prev = t[t.length - 1];
    if (prev !== undefined && ts < prev) {
      throw new SensebindError('INPUT', `${path}: line ${li + 1}: time goes backwards (t = ${ts} after ${prev}); expected non-decreasing t in seconds`);
    }
    t.push(ts);
    for (let k = 0; k < IMU_CHANNELS.length; k++) {
      const ci = layout.index[k];
      if (ci === undefined) {
        values[k]!.push(0);
        continue;
      }
      const cell = cells[ci];
      const v = cell === undefined ? NaN : Number(cell.trim());
      if (cell === undefined || cell.trim() === '' || !Number.isFinite(v)) {
        throw new SensebindError('INPUT', `${path}: line ${li + 1}: column ${names[k + 1]} is ${cell === undefined ? 'missing' : JSON.stringify(cell)}, expected a finite number`);
      }
      values[k]!.push(v * layout.scale[k]!);
    }
  }
  if (t.length < 2) throw new SensebindError('INPUT', `${path}: ${t.length} reading(s), expected at least 2 rows of data`);
  if (layout.accUnitAssumed) {
    // Gravity alone is 9.8 m/s^2: a typical magnitude near 1 means the file is in g, and reading it as
    // m/s^2 would silently shrink every value tenfold.
    const norms = values[0]!.map((x, i) => Math.hypot(x, values[1]![i]!, values[2]![i]!)).sort((a, b) => a - b);
    const median = norms[norms.length >> 1]!;
    if (median > 0.5 && median < 2) {
      throw new SensebindError('INPUT', `${path}: the accelerometer's unit is not stated and its typical magnitude is ${median.toFixed(2)}, which looks like g, not m/s^2; state it (--imu-units acc=g, or "(g)" in the header)`);
    }
  }
  return { t: Float64Array.from(t), channels: values.map((v) => Float32Array.from(v)), absent: layout.absent };
}

export async function readImuCsv(path: string, options: ImuCsvOptions = {}): Promise<ImuRecording> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SensebindError('INPUT', `${path}: cannot read (${code === 'ENOENT' ? 'file not found' : errorMessage(err)})`);
  }
  return parseImuCsv(text, path, options);
}
