// IMU CSV files in the layouts real recorders write, read from the real files: x-io (s, deg/s, g),
// EuRoC (ns, rad/s, m/s^2), an accelerometer-only pipe-separated log with date-times (ASSIST, g), with a
// column map and unit overrides; each converted to s, m/s^2 and rad/s, and bad headers named in one line.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { command } from '../../src/cli/commands/preprocess.js';
import { parseImuCsv } from '../../src/preprocess/imu-csv.js';
import { preprocessFile } from '../../src/preprocess/index.js';
import { defaultPreprocess } from '../../src/preprocess/params.js';
import { dataFile, missingData, mustData } from '../helpers/data.js';
import { runCommandCaptured } from '../helpers/run-command.js';

const dir = mkdtempSync(join(tmpdir(), 'sensebind-imucsv-'));
const G = 9.80665;
const run = (argv: string[]) => runCommandCaptured(command, argv, () => Promise.reject(new Error('not used')));
const base = (input: string) => ['--model', 'models/imagebind', '--modality', 'imu', '--input', input, '--out', join(dir, 'out.bin')];
const rowsOf = (path: string, sep = ',') => readFileSync(path, 'utf8').trim().split('\n').slice(1).map((l) => l.split(sep));

describe('IMU CSV layouts', () => {
  it('x-io (Time (s), Gyroscope X (deg/s), Accelerometer X (g)): converted to SI, every reading', () => {
    const path = mustData('imu/xio_walk/short_walk.csv');
    const rec = parseImuCsv(readFileSync(path, 'utf8'), path);
    const rows = rowsOf(path).map((r) => r.map(Number));
    expect(rec.t.length).toBe(rows.length);
    expect(rec.absent).toEqual([]);
    for (const i of [0, 1000, rows.length - 1]) {
      const r = rows[i]!;
      expect(rec.t[i]).toBe(r[0]);
      expect(Array.from(rec.channels, (c) => c[i])).toEqual([r[4]! * G, r[5]! * G, r[6]! * G, (r[1]! * Math.PI) / 180, (r[2]! * Math.PI) / 180, (r[3]! * Math.PI) / 180].map(Math.fround));
    }
  });

  it('x-io through `sensebind preprocess` as it comes from the recorder', async () => {
    const r = await run([...base(mustData('imu/xio_walk/short_walk.csv')), '--start', '10']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ shape: [6, 2000], dtype: 'float32' });
  });

  const euroc = 'camera_imu/euroc_v1_01_micro/mav0/imu0/data.csv';
  it.skipIf(missingData('EuRoC IMU CSV', euroc))('EuRoC (#timestamp [ns], w_RS_S_x [rad s^-1], a_RS_S_x [m s^-2])', () => {
    const path = dataFile(euroc)!;
    const rec = parseImuCsv(readFileSync(path, 'utf8'), path);
    const rows = rowsOf(path);
    expect(rec.t.length).toBe(rows.length);
    const r = rows[10]!;
    expect(rec.t[10]).toBe(Number(r[0]) * 1e-9);
    expect(Array.from(rec.channels, (c) => c[10])).toEqual([r[4], r[5], r[6], r[1], r[2], r[3]].map((v) => Math.fround(Number(v))));
  });

  const assist = () => mustData('imu/assist_stairs/stairs_05_tag_first_10s.csv');
  it('accelerometer-only, | separated, date-times, unit not in the header: refused until the unit is given', async () => {
    const refused = await run(base(assist()));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/stairs_05_tag_first_10s\.csv: the accelerometer's unit is not stated and its typical magnitude is \d\.\d\d, which looks like g, not m\/s\^2; state it \(--imu-units acc=g/);
    const ok = await run([...base(assist()), '--imu-units', 'acc=g']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ shape: [6, 2000], dtype: 'float32' });
    const notes: string[] = [];
    await preprocessFile('imu', assist(), defaultPreprocess('imu'), { imuCsv: { units: { acc: 'g' } }, onNote: (n) => notes.push(n) });
    expect(notes).toEqual([`${assist()}: no gyroscope columns; those channels are fed to the model as zeros`]);
    const rec = parseImuCsv(readFileSync(assist(), 'utf8'), assist(), { units: { acc: 'g' } });
    const rows = rowsOf(assist(), '|');
    expect(rec.absent).toEqual(['gyroscope']);
    expect(rec.t[1]! - rec.t[0]!).toBeCloseTo(0.007, 6); // 13:09:58.001 -> .008
    expect(rec.t[0]).toBe(Date.parse('2023-02-01T13:09:58.001Z') / 1000);
    expect(rec.channels[0]![5]).toBe(Math.fround(Number(rows[5]![4]) * G));
    expect(rec.channels.slice(3).every((c) => c.every((v) => v === 0))).toBe(true);
  });

  it('a column map picks other columns; bad maps, units and headers are named', async () => {
    const rec = parseImuCsv(readFileSync(assist(), 'utf8'), assist(), { columns: { ax: 'Z', ay: 'Y', az: 'X' }, units: { acc: 'g' } });
    expect(rec.channels[0]![3]).toBe(Math.fround(Number(rowsOf(assist(), '|')[3]![6]) * G));
    const mapped = await run([...base(assist()), '--imu-columns', 't=TIMESTAMP,ax=X,ay=Y,az=Z', '--imu-units', 'acc=g']);
    expect(mapped.code).toBe(0);
    expect((await run([...base(assist()), '--imu-columns', 'ax=NOPE'])).stderr).toMatch(/line 1: no column "NOPE" \(given for ax\)/);
    expect((await run([...base(assist()), '--imu-columns', 'q=X'])).stderr).toMatch(/--imu-columns: unknown column "q"/);
    expect((await run([...base(assist()), '--imu-units', 'acc=furlongs'])).stderr).toMatch(/--imu-units: acc unit "furlongs" is not one of m\/s\^2, g, mg/);
    const odd = join(dir, 'odd.csv');
    writeFileSync(odd, 'time (s),ax (furlong/fortnight),ay,az\n0,1,2,3\n1,1,2,3\n');
    expect((await run(base(odd))).stderr).toMatch(/odd\.csv: line 1: column "ax \(furlong\/fortnight\)": unknown unit "furlong\/fortnight"/);
  });

  it('--help states the layouts and units', () => {
    const r = { stdout: command.help };
    expect(r.stdout).toMatch(/EuRoC\/ASL\s+#timestamp \[ns\]/);
    expect(r.stdout).toMatch(/x-io\s+Time \(s\),Gyroscope X \(deg\/s\)/);
    expect(r.stdout).toMatch(/--imu-units acc=g,gyro=deg\/s,time=ms/);
  });
});
