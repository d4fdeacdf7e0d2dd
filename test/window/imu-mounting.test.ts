// IMU mounting: the rotations, the window rotation, the config spellings, and the upside-down Phidgets
// board (../shared/data) through the whole pipeline with the bundled model.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ImuSample, ImuWindow } from '../../src/core/types.js';
import { parseConfig } from '../../src/config/load.js';
import { openPipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { runBag } from '../../src/pipeline/run-bag.js';
import {
  determinant,
  gravityAlignment,
  parseImuMounting,
  rotateImuWindow,
  rotationFromAxisMap,
  rotationFromRpyDegrees,
  type Rotation3,
} from '../../src/window/imu-mounting.js';
import { Windower } from '../../src/window/windower.js';

const PHIDGETS = '../shared/data/imu/ros1_bags/imu_tools_phidgets_imu_upside_down.bag';
const haveBag = existsSync(PHIDGETS);
if (!haveBag) console.warn(`imu-mounting.test: ${PHIDGETS} absent; the real-bag case is skipped`);

function apply(R: Rotation3, v: [number, number, number]): number[] {
  return [0, 1, 2].map((r) => R[3 * r]! * v[0] + R[3 * r + 1]! * v[1] + R[3 * r + 2]! * v[2]);
}

describe('mounting rotations', () => {
  it('reads an axis map as "robot axis = sensor axis" and refuses mirrors and repeats', () => {
    const R = rotationFromAxisMap('x,-y,-z');
    expect(apply(R, [1, 2, 3])).toEqual([1, -2, -3]);
    expect(apply(rotationFromAxisMap(' y , -x , z '), [1, 2, 3])).toEqual([2, -1, 3]);
    expect(() => rotationFromAxisMap('x,y,-z')).toThrow(/mirror image/);
    expect(() => rotationFromAxisMap('x,x,z')).toThrow(/exactly once/);
    expect(() => rotationFromAxisMap('forward')).toThrow(/three signed axes/);
  });

  it('roll/pitch/yaw in degrees as a URDF joint: upside down = roll 180 = "x,-y,-z"', () => {
    const a = rotationFromRpyDegrees({ roll: 180 });
    const b = rotationFromAxisMap('x,-y,-z');
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
    const yaw = rotationFromRpyDegrees({ yaw: 90 });
    apply(yaw, [1, 0, 0]).forEach((v, i) => expect(v).toBeCloseTo([0, 1, 0][i]!, 12));
    expect(determinant(rotationFromRpyDegrees({ roll: 10, pitch: -35, yaw: 120 }))).toBeCloseTo(1, 12);
  });

  it('gravity alignment takes any mean force onto +z, antiparallel included', () => {
    for (const g of [[0, 0, -9.8], [9.8, 0, 0], [1, -2, 9], [-3, 4, -5]] as [number, number, number][]) {
      const out = apply(gravityAlignment(g), g);
      expect(out[0]).toBeCloseTo(0, 9);
      expect(out[1]).toBeCloseTo(0, 9);
      expect(out[2]).toBeCloseTo(Math.hypot(...g), 9);
    }
  });

  it('rotates force and rate of a whole window', () => {
    const count = 3;
    const channels = Float32Array.from([1, 1, 1, 2, 2, 2, -9.8, -9.8, -9.8, 0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.3, 0.3, 0.3]);
    const w: ImuWindow = { kind: 'imu', count, channels, start: 0n, end: 1n, readings: 3, coverage: 1 };
    const out = rotateImuWindow(w, rotationFromAxisMap('x,-y,-z'));
    expect(Array.from(out.channels).map((v) => Math.round(v * 100) / 100)).toEqual([1, 1, 1, -2, -2, -2, 9.8, 9.8, 9.8, 0.1, 0.1, 0.1, -0.2, -0.2, -0.2, -0.3, -0.3, -0.3]);
    expect(w.channels[6]).toBeCloseTo(-9.8, 5); // the input is not touched
  });

  it('config: axis map, degrees or auto; a bad spelling names the key', () => {
    expect(parseConfig({ window: { imuMounting: 'x,-y,-z' } }, 't').window.imuMounting).toBe('x,-y,-z');
    expect(parseConfig({ window: { imuMounting: { roll: 180 } } }, 't').window.imuMounting).toEqual({ roll: 180, pitch: 0, yaw: 0 });
    expect(parseImuMounting('auto')).toBe('auto');
    expect(() => parseConfig({ window: { imuMounting: 'x,x,z' } }, 't')).toThrow(/window\.imuMounting/);
  });

  it('the windower applies the mounting and, with "auto", aligns gravity from the first window that has its magnitude', () => {
    const feed = (w: Windower) => {
      for (let i = 0; i <= 200; i++) {
        const s: ImuSample = { modality: 'imu', sensorId: '/imu', stamp: BigInt(i) * 10_000_000n, acc: [0.3 * Math.sin(i), 0, -9.8], gyro: [0, 0, 0.2] };
        w.push(s);
      }
      const win = w.snapshot(2_000_000_000n).windows.imu!;
      const mean = (c: number) => win.channels.subarray(c * win.count, (c + 1) * win.count).reduce((a, b) => a + b, 0) / win.count;
      return [mean(2), mean(5)];
    };
    const fixed = feed(new Windower({ gates: false, imuSeconds: 1, imuSamples: 100, imuMounting: 'x,-y,-z' }));
    expect(fixed[0]).toBeCloseTo(9.8, 4);
    expect(fixed[1]).toBeCloseTo(-0.2, 4);
    const auto = new Windower({ gates: false, imuSeconds: 1, imuSamples: 100, imuMounting: 'auto' });
    expect(feed(auto)[0]).toBeCloseTo(9.8, 2);
    expect(auto.stats().imuMounting).toMatchObject({ estimated: true, pending: false });
  });
});

describe.skipIf(!haveBag)('upside-down Phidgets board through the pipeline', () => {
  /** tipping_over's score and the mean vertical force (m/s^2) of every IMU window the pipeline embedded. */
  async function run(imuMounting: string): Promise<{ scores: number[]; az: number[] }> {
    // The board is turned by hand the whole time (never at rest), so the at-rest gate stays out of this.
    const config = parseConfig({ model: { providers: ['cpu'] }, window: { imuMounting } }, 'test');
    const pipeline = await openPipeline({ ...pipelineOptionsFromConfig(config), cacheDir: null });
    const scores: number[] = [];
    const az: number[] = [];
    try {
      await runBag(pipeline, config, PHIDGETS, {
        onTick: (t) => {
          const w = t.snapshot.windows.imu;
          if (w === undefined) return;
          az.push(w.channels.subarray(2 * w.count, 3 * w.count).reduce((a, b) => a + b, 0) / w.count);
          const s = t.match.top.find((c) => c.conceptId === 'tipping_over');
          scores.push(s?.score ?? 0);
        },
      });
    } finally {
      await pipeline.close();
    }
    return { scores, az };
  }

  // bind-mini 0.2.0 read this board as mounted as `tipping_over` (up to 0.13). 0.3.0 was trained on this very
  // recording, as mounted, as "no event" (models/bind-mini/README.md), so its reading of the raw board no
  // longer shows the problem; what the pipeline feeds the model does: gravity on -z as mounted, on +z with
  // the axis map, and the fixed board stays far under the threshold.
  it('as mounted the embedded windows have gravity on -z; with "x,-y,-z" on +z and tipping_over far under the 0.3 threshold', async () => {
    const raw = await run('x,y,z');
    const fixed = await run('x,-y,-z');
    expect(raw.az.length).toBeGreaterThan(50);
    expect(Math.max(...raw.az)).toBeLessThan(-0.8 * 9.80665);
    expect(Math.min(...fixed.az)).toBeGreaterThan(0.8 * 9.80665);
    expect(Math.max(...fixed.scores)).toBeLessThan(0.05);
  }, 120_000);
});
