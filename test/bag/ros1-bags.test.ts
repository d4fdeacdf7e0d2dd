/**
 * Real ROS 1 bags (imu/ros1_bags in the data folder, bz2 chunks; test2 is bundled in test/data) replayed as fast as possible through readBag.
 * Expected counts per topic come from each bag's own index (ChunkInfo connection counts written by the
 * recorder), read with @foxglove/rosbag without touching any message.
 */
import { copyFile, mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Bag } from '@foxglove/rosbag';
import { ros1Decompressors } from '../../src/bag/ros1-reader.js';
import { scanRos1Bag } from '../../src/bag/ros1-scan.js';
import { readBag, type BagItem, type BagSummary } from '../../src/sources/bag.js';
import { missingData, mustData } from '../helpers/data.js';

const bagPath = (name: string) => mustData(`imu/ros1_bags/${name}`);
const lacks = (what: string, name: string) => missingData(what, `imu/ros1_bags/${name}`);
const BAGS = [
  'robot_localization_test1.bag',
  'robot_localization_test2.bag',
  'imu_tools_ardrone_imu.bag',
  'imu_tools_phidgets_imu_upside_down.bag',
  'imu_tools_sparkfun_razor.bag',
];

async function indexCounts(path: string): Promise<Record<string, number>> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bag = new Bag(
      {
        read: async (offset: number, length: number) => {
          const b = new Uint8Array(length);
          await handle.read(b, 0, length, offset);
          return b;
        },
        size: () => size,
      },
      { parse: false },
    );
    await bag.open();
    const counts: Record<string, number> = {};
    for (const info of bag.chunkInfos) {
      for (const { conn, count } of info.connections) {
        const topic = bag.connections.get(conn)!.topic;
        counts[topic] = (counts[topic] ?? 0) + count;
      }
    }
    return counts;
  } finally {
    await handle.close();
  }
}

const drained = new Map<string, Promise<{ items: BagItem[]; summary: BagSummary; seconds: number }>>();

/** Each bag is replayed once per test file; tests share the result. */
function drain(path: string): Promise<{ items: BagItem[]; summary: BagSummary; seconds: number }> {
  let run = drained.get(path);
  if (run === undefined) drained.set(path, (run = drainOnce(path)));
  return run;
}

async function drainOnce(path: string): Promise<{ items: BagItem[]; summary: BagSummary; seconds: number }> {
  const t0 = performance.now();
  const items: BagItem[] = [];
  const gen = readBag(path);
  for (;;) {
    const r = await gen.next();
    if (r.done === true) return { items, summary: r.value, seconds: (performance.now() - t0) / 1000 };
    items.push(r.value);
  }
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sensebind-ros1-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('real ROS 1 bags', () => {
  for (const name of BAGS) it.skipIf(lacks('ROS 1 bag replay', name))(`${name}: every message replayed, counts equal the bag index, IMU decoded`, async () => {
    const path = bagPath(name);
    const expected = await indexCounts(path);
    const { items, summary, seconds } = await drain(path);
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    expect(summary.format).toBe('ros1');
    expect(summary.damage).toBeUndefined();
    expect(summary.messages).toBe(total);
    const received = Object.fromEntries(Object.entries(summary.topics).map(([t, c]) => [t, c.received]));
    expect(received).toEqual(expected);
    // items per topic: IMU topics are samples, the rest (odometry, GPS, magnetometer) skipped with a reason
    const perTopic: Record<string, number> = {};
    for (const it of items) perTopic[it.topic] = (perTopic[it.topic] ?? 0) + 1;
    expect(perTopic).toEqual(expected);
    const imu = items.filter((i): i is Extract<BagItem, { kind: 'sample' }> => i.kind === 'sample');
    expect(imu.length).toBeGreaterThan(1000);
    expect(imu.every((i) => i.sample.modality === 'imu')).toBe(true);
    for (const [t, c] of Object.entries(summary.topics)) if (c.modality === 'imu') expect(c.decoded, t).toBe(expected[t]);
    // log-time order
    const stamps = items.map((i) => (i.kind === 'sample' ? -1n : i.stamp)).filter((s) => s >= 0n);
    for (let k = 1; k < stamps.length; k++) expect(stamps[k]! >= stamps[k - 1]!).toBe(true);
    // gravity: the median magnitude of specific force is close to 9.81 m/s^2 on every one of these recordings
    const norms = imu.map((i) => (i.sample.modality === 'imu' ? Math.hypot(...i.sample.acc) : 0)).sort((a, b) => a - b);
    const median = norms[Math.floor(norms.length / 2)]!;
    expect(median).toBeGreaterThan(9.0);
    expect(median).toBeLessThan(10.6);
    console.log(`${name}: ${summary.messages} messages in ${seconds.toFixed(2)} s = ${Math.round(summary.messages / seconds)} msg/s`);
  });

  it.skipIf(lacks('Phidgets upside down', 'imu_tools_phidgets_imu_upside_down.bag'))('the Phidgets bag recorded upside down shows gravity on -z', async () => {
    const { items } = await drain(bagPath('imu_tools_phidgets_imu_upside_down.bag'));
    const acc = items.flatMap((i) => (i.kind === 'sample' && i.sample.modality === 'imu' ? [i.sample.acc[2]] : []));
    expect(acc.reduce((a, b) => a + b, 0) / acc.length).toBeLessThan(-9);
  });

  it('the index-free scan (used for damaged bags) reads the same messages as the indexed reader', async () => {
    const path = bagPath('robot_localization_test2.bag');
    const handle = await open(path, 'r');
    const counts: Record<string, number> = {};
    try {
      for await (const r of scanRos1Bag(handle, (await handle.stat()).size, await ros1Decompressors())) {
        expect(r.kind).toBe('message');
        if (r.kind === 'message') {
          expect(r.decode()).toHaveProperty('header');
          counts[r.topic] = (counts[r.topic] ?? 0) + 1;
        }
      }
    } finally {
      await handle.close();
    }
    expect(counts).toEqual(await indexCounts(path));
  });

  it('a corrupt chunk (bit flips in bz2 data) stops the replay there, naming the chunk offset', async () => {
    const src = bagPath('robot_localization_test2.bag');
    const bad = join(tmp, 'corrupt.bag');
    const bytes = await readFile(src);
    const at = Math.floor(bytes.length * 0.5);
    for (let i = 0; i < 256; i++) bytes[at + i] = bytes[at + i]! ^ 0x5a;
    await writeFile(bad, bytes);
    const part = await drain(bad);
    const full = await drain(src);
    expect(part.summary.damage).toBeDefined();
    expect(part.summary.damage!.offset).toBeGreaterThan(0);
    expect(part.summary.damage!.offset).toBeLessThanOrEqual(at);
    expect(part.summary.damage!.reason).toMatch(/corrupt chunk/);
    expect(part.items.length).toBeLessThan(full.items.length);
  });

  it('a truncated bag replays up to the damage and reports its byte offset', async () => {
    const src = bagPath('robot_localization_test2.bag');
    const cut = join(tmp, 'truncated.bag');
    await copyFile(src, cut);
    const size = (await stat(src)).size;
    await truncate(cut, Math.floor(size * 0.6));
    const full = await drain(src);
    const part = await drain(cut);
    expect(part.summary.damage).toBeDefined();
    expect(part.summary.damage!.offset).toBeGreaterThan(0);
    expect(part.summary.damage!.offset).toBeLessThan(Math.floor(size * 0.6));
    expect(part.summary.damage!.reason).toMatch(/truncated/);
    const last = part.items[part.items.length - 1]!;
    expect(last.kind === 'skipped' && last.topic === '(bag)' && last.reason).toMatch(/bag damaged at byte \d+/);
    // everything before the damage is what the intact bag has at the start
    const readable = part.items.length - 1;
    expect(readable).toBeGreaterThan(full.items.length * 0.4);
    expect(readable).toBeLessThan(full.items.length);
    // (messages with equal log times on different topics may interleave differently: compare per topic)
    const stampsByTopic = (items: BagItem[]) => {
      const out: Record<string, bigint[]> = {};
      for (const i of items) (out[i.topic] ??= []).push(i.kind === 'sample' ? i.sample.stamp : i.stamp);
      return out;
    };
    const got = stampsByTopic(part.items.slice(0, readable));
    const want = stampsByTopic(full.items);
    for (const [topic, stamps] of Object.entries(got)) expect(stamps, topic).toEqual(want[topic]!.slice(0, stamps.length));
  });
});
