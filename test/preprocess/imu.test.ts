// IMU against numpy's linear interpolation of a real 400 Hz foot-mounted IMU walk (x-io, MIT), converted
// to the csv format (t, m/s^2, rad/s) the CLI reads, with the default and a reordered/scaled manifest.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preprocessFile, preprocessWindow, resampleImu } from '../../src/preprocess/index.js';
import { IMU_CHANNELS, defaultPreprocess, type ImuChannel } from '../../src/preprocess/params.js';
import { resampleLinear } from '../../src/core/resample-linear.js';
import { errors, f32, fmt, golden, inputOf } from './golden.js';

/** x-io NGIMU csv (s, deg/s, g) -> t,ax,ay,az,gx,gy,gz in SI units, as make_golden.py converts it. */
function xioToCsv(src: string): string {
  const rows = readFileSync(src, 'utf8').trim().split('\n').slice(1);
  const out = ['t,ax,ay,az,gx,gy,gz'];
  for (const r of rows) {
    const v = r.split(',').map(Number);
    const g = (i: number) => v[i]! * (Math.PI / 180);
    const a = (i: number) => v[i]! * 9.80665;
    out.push([v[0], a(4), a(5), a(6), g(1), g(2), g(3)].join(','));
  }
  return out.join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'sensebind-imu-'));

describe('imu preprocessing', () => {
  const cases = golden.imu.cases as { name: string; input: string; start: number; order: number[]; scale: number[]; values: string; stride: number }[];
  const csv = join(dir, 'walk.csv');
  writeFileSync(csv, xioToCsv(inputOf(cases[0]!.input)));

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const p = { ...defaultPreprocess('imu'), channelOrder: c.order.map((i) => IMU_CHANNELS[i]!) as ImuChannel[], scale: c.scale };
    const t = await preprocessFile('imu', csv, p, { imuStartSeconds: c.start });
    expect(t.dims).toEqual([6, 2000]);
    const ours = new Float32Array(6 * 500);
    for (let ch = 0; ch < 6; ch++) for (let k = 0; k < 500; k++) ours[ch * 500 + k] = (t.data as Float32Array)[ch * 2000 + k * c.stride]!;
    const e = errors(ours, f32(c.values));
    console.log(`imu ${c.name}: ${fmt(e)}`);
    expect(e.max).toBeLessThan(1e-4);
  });

  it('reorders and scales a live window of canonical channels', async () => {
    const count = 2000;
    const channels = new Float32Array(6 * count);
    for (let c = 0; c < 6; c++) channels.fill(c + 1, c * count, (c + 1) * count);
    const p = { ...defaultPreprocess('imu'), channelOrder: ['gz', 'gy', 'gx', 'az', 'ay', 'ax'] as ImuChannel[], scale: [1, 1, 1, 2, 2, 2] };
    const t = await preprocessWindow({ modality: 'imu', window: { kind: 'imu', count, channels, start: 0n, end: 5_000_000_000n, readings: 2000, coverage: 1 } }, { imu: p });
    expect([0, 1, 2, 3, 4, 5].map((c) => (t.data as Float32Array)[c * count])).toEqual([6, 5, 4, 6, 4, 2]);
  });

  it('resampleImu equals the window stage resampler (src/core/resample-linear.ts) on real readings', async () => {
    const { parseImuCsv } = await import('../../src/preprocess/imu-csv.js');
    const rec = parseImuCsv(readFileSync(csv, 'utf8'), csv);
    for (const start of [rec.t[0]! - 1, rec.t[0]!, 7.3, 20.123, rec.t[rec.t.length - 1]! - 2]) {
      const ours = resampleImu(rec.t, rec.channels, start, 5, 2000);
      const core = resampleLinear(rec.t, rec.channels, start, 5 / 2000, 2000);
      expect(Array.from(ours)).toEqual(Array.from(core));
    }
  });

  it('one-pass tensor equals resampling then reordering and scaling', async () => {
    const { parseImuCsv } = await import('../../src/preprocess/imu-csv.js');
    const { imuTensorFromCanonical, imuTensorFromReadings } = await import('../../src/preprocess/imu.js');
    const rec = parseImuCsv(readFileSync(csv, 'utf8'), csv);
    const p = { ...defaultPreprocess('imu'), channelOrder: ['gy', 'ax', 'gz', 'az', 'gx', 'ay'] as ImuChannel[], scale: [0.5, 2, -1, 1, 3, 0.1] };
    const a = imuTensorFromReadings(rec.t, rec.channels, 12.34, p);
    const b = imuTensorFromCanonical(resampleImu(rec.t, rec.channels, 12.34, p.windowSeconds, p.samples), p.samples, p);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
  });

  it('resampleImu holds edge values and interpolates linearly', () => {
    const out = resampleImu(Float64Array.from([1, 2]), [Float32Array.from([0, 10])], 0, 4, 4);
    expect(Array.from(out)).toEqual([0, 0, 10, 10]);
    const mid = resampleImu(Float64Array.from([0, 1]), [Float32Array.from([0, 10])], 0, 1, 4);
    expect(Array.from(mid)).toEqual([0, 2.5, 5, 7.5]);
  });
});
