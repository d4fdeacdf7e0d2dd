import { mkdtemp, readFile, rm, stat, truncate, writeFile, open as openFile } from 'node:fs/promises';
// (byte-for-byte determinism of the writer is tested in mcap-writer.test.ts)
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageWriter as Ros1Writer } from '@foxglove/rosmsg-serialization';
import type { BagItem } from '../../src/sources/bag.js';
import { TOPICS, writeMultimodalBag, type Expected } from './multimodal-fixture.js';
import { drainBag } from '../helpers/drain-bag.js';

let dir: string;
let bag: string;
let expected: Expected;

const samplesOf = (items: BagItem[], topic: string) =>
  items.flatMap((i) => (i.kind === 'sample' && i.topic === topic ? [i.sample] : []));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-mcap-'));
  bag = join(dir, 'euroc_multimodal.mcap');
  expected = await writeMultimodalBag(bag, { chunkSize: 512 * 1024, zstdLevel: 1 });
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('multimodal rosbag2 MCAP from real recordings (EuRoC + ESC-10)', () => {
  it('replays every modality with exact pixels, readings, samples and stamps', async () => {
    const { items, summary } = await drainBag(bag);
    expect(summary.format).toBe('mcap');
    expect(summary.damage).toBeUndefined();
    expect(summary.topics[TOPICS.cam0]).toMatchObject({ decoded: 20, bad: 0, modality: 'vision' });
    expect(summary.topics[TOPICS.cam1]).toMatchObject({ decoded: 20, bad: 0, modality: 'vision' });
    expect(summary.topics[TOPICS.imu]).toMatchObject({ decoded: expected.imu.length, bad: 0, modality: 'imu' });
    expect(summary.topics[TOPICS.audio]).toMatchObject({ decoded: 10, skipped: 0, bad: 0, modality: 'audio' });
    expect(summary.topics[TOPICS.audioInfo]).toMatchObject({ info: 1 });
    expect(summary.truths).toBe(1);
    expect(expected.imu.length).toBeGreaterThan(190);

    for (const [topic, frames] of [[TOPICS.cam0, expected.frames], [TOPICS.cam1, expected.frames1]] as const) {
      const vision = samplesOf(items, topic);
      expect(vision.map((s) => s.stamp)).toEqual(frames.map((f) => f.stamp));
      vision.forEach((s, k) => {
        if (s.modality !== 'vision') throw new Error('not vision');
        const f = frames[k]!;
        expect([s.width, s.height]).toEqual([752, 480]);
        let mismatches = 0;
        for (let i = 0; i < f.grey.length; i++) {
          const g = f.grey[i]!;
          if (s.rgb[3 * i] !== g || s.rgb[3 * i + 1] !== g || s.rgb[3 * i + 2] !== g) mismatches++;
        }
        expect(mismatches).toBe(0);
      });
    }

    const imu = samplesOf(items, TOPICS.imu);
    expect(imu.map((s) => (s.modality === 'imu' ? { stamp: s.stamp, gyro: s.gyro, acc: s.acc } : null))).toEqual(expected.imu);

    const audio = samplesOf(items, TOPICS.audio);
    expect(audio.map((s) => s.stamp)).toEqual(expected.audio.chunkStamps);
    const joined = new Float32Array(audio.reduce((n, s) => n + (s.modality === 'audio' ? s.samples.length : 0), 0));
    let at = 0;
    for (const s of audio) {
      if (s.modality !== 'audio') continue;
      joined.set(s.samples, at);
      at += s.samples.length;
    }
    expect(audio.every((s) => s.modality === 'audio' && s.rate === expected.audio.rate)).toBe(true);
    expect(Buffer.from(joined.buffer).equals(Buffer.from(expected.audio.samples.buffer))).toBe(true);

    const truth = items.filter((i) => i.kind === 'truth');
    expect(truth).toEqual([{ kind: 'truth', topic: TOPICS.truth, stamp: expected.truth.stamp, text: expected.truth.text }]);
  });

  it('a truncated MCAP replays up to the damage and reports its offset', async () => {
    const cut = join(dir, 'cut.mcap');
    const size = (await stat(bag)).size;
    await writeFile(cut, await readFile(bag));
    await truncate(cut, Math.floor(size * 0.7));
    const { items, summary } = await drainBag(cut);
    expect(summary.damage).toBeDefined();
    expect(summary.damage!.reason).toMatch(/truncated/);
    expect(summary.damage!.offset).toBeGreaterThan(size * 0.3);
    expect(summary.damage!.offset).toBeLessThanOrEqual(Math.floor(size * 0.7));
    const frames = samplesOf(items, TOPICS.cam0);
    expect(frames.length).toBeGreaterThan(3);
    expect(frames.length).toBeLessThan(20);
    expect(frames.map((f) => f.stamp)).toEqual(expected.frames.slice(0, frames.length).map((f) => f.stamp));
    expect(items[items.length - 1]).toMatchObject({ kind: 'skipped', topic: '(bag)' });
  });

  it('a corrupt chunk (bit flips) stops the replay there with the chunk offset', async () => {
    const bad = join(dir, 'corrupt.mcap');
    const bytes = await readFile(bag);
    const at = Math.floor(bytes.length * 0.5);
    for (let i = 0; i < 64; i++) bytes[at + i] = bytes[at + i]! ^ 0xff;
    await writeFile(bad, bytes);
    const { items, summary } = await drainBag(bad);
    expect(summary.damage).toBeDefined();
    expect(summary.damage!.offset).toBeGreaterThan(0);
    expect(summary.damage!.offset).toBeLessThanOrEqual(at);
    expect(samplesOf(items, TOPICS.cam0).length).toBeLessThan(20);
  });

  it('not a bag: a clear error naming the file', async () => {
    const junk = join(dir, 'junk.db3');
    await writeFile(junk, 'SQLite format 3\0');
    await expect(drainBag(junk)).rejects.toThrow(/junk\.db3 is neither MCAP nor a ROS 1 bag.*sqlite3/);
  });
});

describe('MCAP with ros1 encoding', () => {
  it('decodes ROS 1 serialised messages (ros1msg schema)', async () => {
    const path = join(dir, 'ros1.mcap');
    const def = [
      'Header header',
      'geometry_msgs/Quaternion orientation',
      'float64[9] orientation_covariance',
      'geometry_msgs/Vector3 angular_velocity',
      'float64[9] angular_velocity_covariance',
      'geometry_msgs/Vector3 linear_acceleration',
      'float64[9] linear_acceleration_covariance',
      '================================================================================',
      'MSG: std_msgs/Header',
      'uint32 seq',
      'time stamp',
      'string frame_id',
      '================================================================================',
      'MSG: geometry_msgs/Quaternion',
      'float64 x',
      'float64 y',
      'float64 z',
      'float64 w',
      '================================================================================',
      'MSG: geometry_msgs/Vector3',
      'float64 x',
      'float64 y',
      'float64 z',
    ].join('\n');
    const writer = new Ros1Writer(parseMsg(def));
    const handle = await openFile(path, 'w');
    const w = new McapWriter({ writable: new FileHandleWritable(handle) });
    await w.start({ profile: 'ros1', library: 'test' });
    const schemaId = await w.registerSchema({ name: 'sensor_msgs/Imu', encoding: 'ros1msg', data: new TextEncoder().encode(def) });
    const channelId = await w.registerChannel({ schemaId, topic: '/imu/data', messageEncoding: 'ros1', metadata: new Map() });
    const rows = expected.imu.slice(0, 50);
    for (const [k, r] of rows.entries()) {
      const data = writer.writeMessage({
        header: { seq: k, stamp: { sec: Number(r.stamp / 1_000_000_000n), nsec: Number(r.stamp % 1_000_000_000n) }, frame_id: 'imu' },
        orientation: { x: 0, y: 0, z: 0, w: 1 },
        orientation_covariance: new Array(9).fill(0),
        angular_velocity: { x: r.gyro[0], y: r.gyro[1], z: r.gyro[2] },
        angular_velocity_covariance: new Array(9).fill(0),
        linear_acceleration: { x: r.acc[0], y: r.acc[1], z: r.acc[2] },
        linear_acceleration_covariance: new Array(9).fill(0),
      });
      await w.addMessage({ channelId, sequence: k, logTime: r.stamp, publishTime: r.stamp, data });
    }
    await w.end();
    await handle.close();
    const { items, summary } = await drainBag(path);
    expect(summary.topics['/imu/data']).toMatchObject({ decoded: 50, bad: 0 });
    expect(items.map((i) => (i.kind === 'sample' && i.sample.modality === 'imu' ? { stamp: i.sample.stamp, gyro: i.sample.gyro, acc: i.sample.acc } : i))).toEqual(rows);
  });
});
