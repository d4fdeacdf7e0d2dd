// An accelerometer-only IMU as a REP-145 driver publishes it (angular_velocity_covariance[0] = -1): the
// real ASSIST stairs recording (a belt tag, accelerometer only, ~128 Hz, g) written to a rosbag2 MCAP
// with the project's writer and replayed through the whole pipeline with the bundled model. Every
// reading is decoded (gyro fed as zeros, said once), and the IMU modality is embedded in the snapshots.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ros2McapWriter } from '../../src/bag/mcap-writer.js';
import { toRosTime } from '../../src/core/ros-time.js';
import { createLogger } from '../../src/core/log.js';
import { parseConfig } from '../../src/config/load.js';
import { openPipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { runBag } from '../../src/pipeline/run-bag.js';
import { mustData } from '../helpers/data.js';

const TOPIC = '/tag/imu';
let dir: string;
let bag: string;
let rows: { stamp: bigint; acc: [number, number, number] }[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-accel-'));
  bag = join(dir, 'stairs.mcap');
  const lines = (await readFile(mustData('imu/assist_stairs/stairs_05_tag_first_10s.csv'), 'utf8')).trim().split('\n').slice(1);
  rows = lines.map((l) => {
    const c = l.split('|');
    const ms = Date.parse(`${c[2]!.replace(' ', 'T')}Z`);
    return { stamp: BigInt(ms) * 1_000_000n, acc: [Number(c[4]) * 9.80665, Number(c[5]) * 9.80665, Number(c[6]) * 9.80665] };
  });
  const w = await Ros2McapWriter.open(bag);
  w.addTopic(TOPIC, 'sensor_msgs/msg/Imu', { reliability: 'best_effort', depth: 5 });
  for (const r of rows) {
    await w.write(TOPIC, r.stamp, {
      header: { stamp: toRosTime(r.stamp), frame_id: 'tag' },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
      orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
      angular_velocity: { x: 0, y: 0, z: 0 },
      angular_velocity_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
      linear_acceleration: { x: r.acc[0], y: r.acc[1], z: r.acc[2] },
      linear_acceleration_covariance: [0.01, 0, 0, 0, 0.01, 0, 0, 0, 0.01],
    });
  }
  await w.close();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('accelerometer-only IMU (REP-145: gyro covariance[0] = -1)', () => {
  it('is decoded, said once, and embedded as the IMU modality', async () => {
    expect(rows.length).toBeGreaterThan(1000);
    const lines: { msg: string; topic?: string; absent?: string[] }[] = [];
    const destination = new Writable({
      write(chunk, _e, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    const logger = createLogger({ level: 'info', format: 'json', destination });
    const config = parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache') } }, 'test');
    const pipeline = await openPipeline(pipelineOptionsFromConfig(config));
    let imuEmbedded = 0;
    try {
      const run = await runBag(pipeline, config, bag, { hopSeconds: 0.5, logger, onTick: (r) => (imuEmbedded += r.embeddings.embeddings.imu !== undefined ? 1 : 0) });
      expect(run.summary.samples.imu).toBe(rows.length);
      expect(run.bag!.topics[TOPIC]).toMatchObject({ decoded: rows.length, skipped: 0, bad: 0, modality: 'imu' });
      // The 5 s IMU window needs half its span covered: from about 2.5 s into the 10 s recording on.
      expect(imuEmbedded).toBeGreaterThan(10);
    } finally {
      await pipeline.close();
    }
    await new Promise((r) => setImmediate(r));
    const said = lines.filter((l) => l.topic === TOPIC && /not provided/.test(l.msg));
    expect(said.map((l) => l.msg)).toEqual([`IMU ${TOPIC}: angular_velocity not provided (covariance[0] = -1); fed to the model as zeros`]);
  });
});
