import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ros2McapWriter } from '../../src/bag/mcap-writer.js';
import { toRosTime } from '../../src/core/ros-time.js';
import type { Sample } from '../../src/core/types.js';
import { BagSource } from '../../src/sources/bag.js';
import { realImuRows } from '../bag/multimodal-fixture.js';

let dir: string;
let bag: string;
let rows: Awaited<ReturnType<typeof realImuRows>>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-bagsrc-'));
  bag = join(dir, 'imu.mcap');
  // one second of a real IMU (EuRoC's ADIS16448 at 200 Hz, or the bundled x-io walk at about 400 Hz)
  rows = await realImuRows(1);
  const w = await Ros2McapWriter.open(bag);
  w.addTopic('/imu/data_raw', 'sensor_msgs/msg/Imu');
  w.addTopic('/sensebind/truth', 'std_msgs/msg/String');
  await w.write('/sensebind/truth', rows[0]!.stamp, { data: 'start' });
  for (const r of rows) {
    await w.write('/imu/data_raw', r.stamp, {
      header: { stamp: toRosTime(r.stamp), frame_id: 'imu' },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
      orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
      angular_velocity: { x: r.gyro[0], y: r.gyro[1], z: r.gyro[2] },
      angular_velocity_covariance: new Array(9).fill(0),
      linear_acceleration: { x: r.acc[0], y: r.acc[1], z: r.acc[2] },
      linear_acceleration_covariance: new Array(9).fill(0),
    });
  }
  await w.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BagSource', () => {
  it('as fast as possible: delivers every sample in order, reports truth, stats and summary', async () => {
    const got: Sample[] = [];
    const truths: string[] = [];
    const src = new BagSource(bag, { speed: 0, onTruth: (t) => truths.push(t.text) });
    await src.start((s) => void got.push(s));
    const summary = await src.finished;
    expect(got).toHaveLength(rows.length);
    expect(got.map((s) => s.stamp)).toEqual(rows.map((r) => r.stamp));
    expect(truths).toEqual(['start']);
    expect(summary?.topics['/imu/data_raw']).toMatchObject({ decoded: rows.length });
    const stats = src.stats();
    expect(stats).toMatchObject({ received: rows.length, decoded: rows.length, bad: 0, connected: false });
    expect(stats.detail?.['/imu/data_raw.decoded']).toBe(rows.length);
  });

  it('paces at a speed factor: 1 s of data at 4x takes about 0.25 s', async () => {
    const src = new BagSource(bag, { speed: 4 });
    const arrivals: number[] = [];
    const t0 = performance.now();
    await src.start(() => void arrivals.push(performance.now() - t0));
    await src.finished;
    const last = arrivals[arrivals.length - 1]!;
    expect(arrivals).toHaveLength(rows.length);
    expect(last).toBeGreaterThan(230);
    expect(last).toBeLessThan(5000); // generous: the CI machine may be loaded
    // the middle sample arrives about half way
    expect(arrivals[Math.floor(rows.length / 2)]!).toBeGreaterThan(100);
  });

  it('stop() ends a real-time replay promptly', async () => {
    const src = new BagSource(bag, { speed: 1 });
    let n = 0;
    await src.start(() => {
      n++;
    });
    for (let waited = 0; n <= 5 && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    await src.stop();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(n).toBeGreaterThan(5);
    expect(n).toBeLessThan(rows.length);
    const after = n;
    await new Promise((r) => setTimeout(r, 50));
    expect(n).toBe(after);
  });

  it('a missing file ends the source without throwing', async () => {
    const src = new BagSource(join(dir, 'nope.mcap'), { speed: 0 });
    await src.start(() => undefined);
    expect(await src.finished).toBeUndefined();
    expect(src.stats().connected).toBe(false);
  });
});
