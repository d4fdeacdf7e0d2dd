/**
 * The live ROS 2 source, fed by a real multimodal bag played into the in-process transport: the same
 * Ros2Source and MessageConverter that run on a robot, without ROS 2 on this machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ros2Schema } from '../../src/config/ros2.js';
import type { Sample } from '../../src/core/types.js';
import { playBag } from '../../src/ros2/bag-player.js';
import { LoopbackTransport } from '../../src/ros2/loopback-transport.js';
import { Ros2Session } from '../../src/ros2/session.js';
import { readBag } from '../../src/sources/bag.js';
import { Ros2Source } from '../../src/sources/ros2.js';
import { TOPICS, writeMultimodalBag } from '../bag/multimodal-fixture.js';

let dir: string;
let bag: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-ros2src-'));
  bag = join(dir, 'mm.mcap');
  await writeMultimodalBag(bag, { compression: 'none' }); // uncompressed chunks: also covers that path
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const fingerprint = (s: Sample) => {
  switch (s.modality) {
    case 'vision':
      return `${s.sensorId} ${s.stamp} ${s.width}x${s.height} ${Buffer.from(s.rgb).toString('base64').slice(0, 64)} ${s.rgb.reduce((a, b) => a + b, 0)}`;
    case 'imu':
      return `${s.sensorId} ${s.stamp} ${s.acc.join(',')} ${s.gyro.join(',')}`;
    case 'audio':
      return `${s.sensorId} ${s.stamp} ${s.rate} ${s.samples.length} ${s.samples.reduce((a, b) => a + b, 0)}`;
    default:
      return `${s.sensorId} ${s.stamp}`;
  }
};

describe('Ros2Source over a bag played into the loopback transport', () => {
  it('delivers the same samples as bag replay (raw image, IMU, ros-drivers audio + AudioInfo)', async () => {
    const transport = new LoopbackTransport();
    // types: cam0 from the graph (advertised before the source starts), the others from config
    transport.advertise(TOPICS.cam0, 'sensor_msgs/msg/Image');
    const config = ros2Schema.parse({
      enabled: true,
      topics: [
        { name: TOPICS.cam0 },
        { name: TOPICS.imu, type: 'sensor_msgs/msg/Imu', modality: 'imu' },
        { name: TOPICS.audio, type: 'audio_common_msgs/msg/AudioDataStamped' },
      ],
    });
    const session = new Ros2Session({ createTransport: async () => transport, parameters: { robot_id: 'r1' } });
    const source = new Ros2Source({ config, session });
    const live: Sample[] = [];
    await source.start((s) => void live.push(s));
    expect(transport.subscriptions.get(TOPICS.cam0)?.qos).toEqual({ reliability: 'best_effort', durability: 'volatile', depth: 5 });
    expect(transport.subscriptions.get(TOPICS.audioInfo)?.qos).toMatchObject({ durability: 'transient_local' });
    expect(transport.parameters.get('robot_id')).toBe('r1');
    const played = await playBag(bag, transport);
    expect(played.published).toBeGreaterThan(250);
    await new Promise((r) => setTimeout(r, 50));
    await source.stop();

    const replayed: Sample[] = [];
    for await (const item of readBag(bag)) {
      if (item.kind === 'sample' && item.topic !== TOPICS.cam1) replayed.push(item.sample);
    }
    expect(live.map(fingerprint)).toEqual(replayed.map(fingerprint));
    const stats = source.stats();
    expect(stats).toMatchObject({ decoded: replayed.length, bad: 0, dropped: 0 });
    expect(stats.detail?.[`${TOPICS.audio}.decoded`]).toBe(10);
  });

  it('keeps only the newest frame while a compressed frame is decoding (drops counted)', async () => {
    const transport = new LoopbackTransport();
    const config = ros2Schema.parse({ enabled: true, topics: [{ name: TOPICS.cam1, type: 'sensor_msgs/msg/CompressedImage' }] });
    const source = new Ros2Source({ config, session: new Ros2Session({ createTransport: async () => transport }) });
    const live: Sample[] = [];
    await source.start((s) => void live.push(s));
    await playBag(bag, transport);
    for (let waited = 0; live.length + source.stats().dropped < 20 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    const stats = source.stats();
    expect(live.length).toBeGreaterThan(0);
    expect(live.length + stats.dropped).toBe(20);
    expect(live.every((s) => s.modality === 'vision' && s.width === 752)).toBe(true);
    await source.stop();
  });

  it('waits for a topic whose type is unknown, then subscribes when it appears', async () => {
    const transport = new LoopbackTransport();
    const config = ros2Schema.parse({ enabled: true, topics: [{ name: '/late/imu' }] });
    const source = new Ros2Source({ config, session: new Ros2Session({ createTransport: async () => transport }), discoverySeconds: 0.05 });
    await source.start(() => undefined);
    expect(transport.subscriptions.has('/late/imu')).toBe(false);
    transport.advertise('/late/imu', 'sensor_msgs/msg/Imu');
    for (let waited = 0; !transport.subscriptions.has('/late/imu') && waited < 5000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    expect(transport.subscriptions.get('/late/imu')?.type).toBe('sensor_msgs/msg/Imu');
    await source.stop();
  });

  it('without ROS 2: start() resolves, connected=false, the reason is in stats', async () => {
    const source = new Ros2Source({ config: ros2Schema.parse({ enabled: true, topics: [{ name: '/imu' }] }), session: new Ros2Session() });
    await source.start(() => undefined);
    const stats = source.stats();
    expect(stats.connected).toBe(false);
    expect(String(stats.detail?.['unavailable'])).toMatch(/ROS 2 is not available/);
    await source.stop();
  });
});
