import { mkdtemp, readFile, rm, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { Ros2McapWriter } from '../../src/bag/mcap-writer.js';
import { MSG_DEFINITIONS, MSG_SEPARATOR } from '../../src/bag/msg-defs.js';
import { toRosTime } from '../../src/core/ros-time.js';
import { parse as parseYaml } from 'yaml';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-mcapw-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const header = (ns: bigint) => ({ stamp: toRosTime(ns), frame_id: 'cam' });

async function writeSample(path: string): Promise<void> {
  const w = await Ros2McapWriter.open(path);
  w.addTopic('/cam/image_raw', 'sensor_msgs/msg/Image', { reliability: 'best_effort', depth: 5 });
  w.addTopic('/imu/data_raw', 'sensor_msgs/msg/Imu');
  w.addTopic('/sensebind/truth', 'std_msgs/msg/String');
  for (let i = 0; i < 50; i++) {
    const ns = 1_700_000_000_000_000_000n + BigInt(i) * 10_000_000n;
    const data = new Uint8Array(4 * 2 * 3).map((_, k) => (k + i) & 0xff);
    await w.write('/cam/image_raw', ns, { header: header(ns), height: 2, width: 4, encoding: 'rgb8', is_bigendian: 0, step: 12, data });
    await w.write('/imu/data_raw', ns + 1n, {
      header: header(ns + 1n),
      orientation: { x: 0, y: 0, z: 0, w: 1 },
      orientation_covariance: new Array(9).fill(0),
      angular_velocity: { x: 0.1, y: 0.2, z: i },
      angular_velocity_covariance: new Array(9).fill(0),
      linear_acceleration: { x: 0, y: 0, z: 9.81 },
      linear_acceleration_covariance: new Array(9).fill(0),
    });
  }
  await w.write('/sensebind/truth', 1_700_000_000_000_000_000n, { data: '{"label":"x"}' });
  await w.close();
}

describe('msg-defs', () => {
  it('appends dependencies after the 80 "=" separator, depth first, each once', () => {
    const imu = MSG_DEFINITIONS['sensor_msgs/msg/Imu']!;
    expect(MSG_SEPARATOR).toBe('='.repeat(80));
    const names = [...imu.matchAll(/^MSG: (.+)$/gm)].map((m) => m[1]);
    expect(names).toEqual([
      'std_msgs/Header',
      'builtin_interfaces/Time',
      'geometry_msgs/Quaternion',
      'geometry_msgs/Vector3',
    ]);
    expect(imu.split('\n').filter((l) => l === MSG_SEPARATOR)).toHaveLength(4);
    expect(MSG_DEFINITIONS['std_msgs/msg/Header']).toBe(
      `builtin_interfaces/Time stamp\nstring frame_id\n\n${MSG_SEPARATOR}\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n`,
    );
    // every shipped definition parses as ROS 2
    for (const [name, text] of Object.entries(MSG_DEFINITIONS)) {
      expect(() => parseMsg(text, { ros2: true }), name).not.toThrow();
    }
  });
});

describe('Ros2McapWriter', () => {
  it('writes a rosbag2-style MCAP that reads back with the same messages', async () => {
    const path = join(dir, 'a.mcap');
    await writeSample(path);
    const handle = await open(path, 'r');
    try {
      const reader = await McapIndexedReader.Initialize({
        readable: new FileHandleReadable(handle),
        decompressHandlers: await loadDecompressHandlers(),
      });
      expect(reader.header.profile).toBe('ros2');
      expect(reader.chunkIndexes.length).toBeGreaterThan(0);
      expect(reader.chunkIndexes.every((c) => c.compression === 'zstd')).toBe(true);
      const schemas = [...reader.schemasById.values()];
      expect(schemas.map((s) => s.name).sort()).toEqual(['sensor_msgs/msg/Image', 'sensor_msgs/msg/Imu', 'std_msgs/msg/String']);
      expect(schemas.every((s) => s.encoding === 'ros2msg')).toBe(true);
      const channels = [...reader.channelsById.values()];
      expect(channels.every((c) => c.messageEncoding === 'cdr')).toBe(true);
      const cam = channels.find((c) => c.topic === '/cam/image_raw')!;
      expect(cam.metadata.get('offered_qos_profiles')).toContain('reliability: 2');
      expect(cam.metadata.get('offered_qos_profiles')).toContain('depth: 5');
      const readers = new Map(
        schemas.map((s) => [s.id, new MessageReader(parseMsg(new TextDecoder().decode(s.data), { ros2: true }))]),
      );
      const counts = new Map<string, number>();
      let lastImage: { data: Uint8Array; header: { stamp: { sec: number; nanosec: number } } } | undefined;
      for await (const m of reader.readMessages()) {
        const ch = reader.channelsById.get(m.channelId)!;
        counts.set(ch.topic, (counts.get(ch.topic) ?? 0) + 1);
        const msg = readers.get(ch.schemaId)!.readMessage(m.data);
        if (ch.topic === '/cam/image_raw') lastImage = msg as typeof lastImage;
        if (ch.topic === '/sensebind/truth') expect(msg).toEqual({ data: '{"label":"x"}' });
      }
      expect(Object.fromEntries(counts)).toEqual({ '/cam/image_raw': 50, '/imu/data_raw': 50, '/sensebind/truth': 1 });
      // rosbag2's own metadata record (what `ros2 bag info` reads: distro, span, per-topic counts)
      const records = [];
      for await (const r of reader.readMetadata()) records.push(r);
      expect(records.map((r) => r.name)).toEqual(['rosbag2']);
      const meta = parseYaml(records[0]!.metadata.get('serialized_metadata')!) as {
        version: number; storage_identifier: string; ros_distro: string; message_count: number;
        duration: { nanoseconds: number }; starting_time: { nanoseconds_since_epoch: number }; relative_file_paths: string[];
        topics_with_message_count: Array<{ topic_metadata: { name: string; type: string; offered_qos_profiles: Array<{ reliability: number; depth: number }> }; message_count: number }>;
      };
      expect(meta).toMatchObject({ version: 9, storage_identifier: 'mcap', ros_distro: 'jazzy', message_count: 101 });
      expect(meta.duration.nanoseconds).toBe(490_000_001);
      expect(String(records[0]!.metadata.get('serialized_metadata'))).toContain('nanoseconds_since_epoch: 1700000000000000000');
      expect(meta.topics_with_message_count.map((t) => [t.topic_metadata.name, t.topic_metadata.type, t.message_count])).toEqual([
        ['/cam/image_raw', 'sensor_msgs/msg/Image', 50],
        ['/imu/data_raw', 'sensor_msgs/msg/Imu', 50],
        ['/sensebind/truth', 'std_msgs/msg/String', 1],
      ]);
      expect(meta.topics_with_message_count[0]!.topic_metadata.offered_qos_profiles[0]).toMatchObject({ reliability: 2, depth: 5 });
      expect(Array.from(lastImage!.data)).toEqual(Array.from({ length: 24 }, (_, k) => (k + 49) & 0xff));
      expect(lastImage!.header.stamp).toEqual({ sec: 1_700_000_000, nanosec: 490_000_000 });
    } finally {
      await handle.close();
    }
  });

  it('is deterministic: the same input gives the same bytes', async () => {
    await writeSample(join(dir, 'b.mcap'));
    await writeSample(join(dir, 'c.mcap'));
    const [b, c] = await Promise.all([readFile(join(dir, 'b.mcap')), readFile(join(dir, 'c.mcap'))]);
    expect(b.length).toBeGreaterThan(100);
    expect(b.equals(c)).toBe(true);
  });

  it('refuses unknown types, unknown topics, type clashes and writes after close, naming the topic', async () => {
    const w = await Ros2McapWriter.open(join(dir, 'd.mcap'));
    expect(() => w.addTopic('/x', 'foo_msgs/msg/Bar')).toThrow(/no message definition for foo_msgs\/msg\/Bar \(topic \/x\)/);
    expect(w.addTopic('/s', 'std_msgs/msg/String')).toBe(1);
    expect(w.addTopic('/s', 'std_msgs/msg/String')).toBe(1);
    expect(() => w.addTopic('/s', 'sensor_msgs/msg/Imu')).toThrow(/\/s already has type std_msgs\/msg\/String/);
    await expect(w.write('/nope', 1n, { data: 'a' })).rejects.toThrow(/topic \/nope was not added/);
    await w.close();
    await expect(w.write('/s', 1n, { data: 'a' })).rejects.toThrow(/already closed/);
  });
});

describe('audio variants through a bag', () => {
  it('mgonzs13 AudioStamped (typed arrays) and audio_tools AudioDataStamped round-trip to exact samples', async () => {
    const { readBag } = await import('../../src/sources/bag.js');
    const path = join(dir, 'audio.mcap');
    const w = await Ros2McapWriter.open(path);
    w.addTopic('/mg/audio', 'audio_common_msgs/msg/AudioStamped');
    w.addTopic('/at/audio_stamped', 'audio_tools/msg/AudioDataStamped');
    const f32 = Float32Array.from([0.5, -0.25, 0.125, 1]);
    await w.write('/mg/audio', 2_000_000_000n, {
      header: header(2_000_000_000n),
      audio: {
        audio_data: { float32_data: f32, int32_data: new Int32Array(0), int16_data: new Int16Array(0), int8_data: new Int8Array(0), uint8_data: new Uint8Array(0) },
        info: { format: 1, channels: 1, rate: 16000, chunk: 4 },
      },
    });
    await w.write('/mg/audio', 3_000_000_000n, {
      header: header(3_000_000_000n),
      audio: {
        audio_data: { float32_data: [], int32_data: [], int16_data: Int16Array.from([16384, -16384, 8192, 0]), int8_data: [], uint8_data: [] },
        info: { format: 8, channels: 2, rate: 48000, chunk: 2 },
      },
    });
    const pcm = Buffer.alloc(4);
    pcm.writeInt16LE(-32768, 0);
    pcm.writeInt16LE(16384, 2);
    await w.write('/at/audio_stamped', 4_000_000_000n, {
      header: { stamp: { sec: 0, nanosec: 512 }, frame_id: '7' },
      audio: { data: pcm },
      info: { sample_rate: 22050, sample_format: 'S16LE', channels: 1 },
    });
    await w.close();
    const got = [];
    for await (const item of readBag(path)) if (item.kind === 'sample' && item.sample.modality === 'audio') got.push(item.sample);
    expect(got.map((s) => [s.sensorId, s.stamp, s.rate, Array.from(s.samples)])).toEqual([
      ['/mg/audio', 2_000_000_000n, 16000, [0.5, -0.25, 0.125, 1]],
      ['/mg/audio', 3_000_000_000n, 48000, [0, 0.125]], // stereo frames averaged: (0.5 - 0.5) / 2, (0.25 + 0) / 2
      ['/at/audio_stamped', 4_000_000_000n, 22050, [-1, 0.5]], // log time, not the sample-count stamp
    ]);
  });
});
