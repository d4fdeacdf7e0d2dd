/**
 * `sensebind run` on a real ROS 2 graph (rclnodejs, Cyclone DDS on loopback): sensor messages come from a
 * publisher process of the test's own, events are read by a separate subscriber process; then the node is
 * stopped by SIGINT (rclnodejs' own SIGINT handler would shut ROS down before the closing events went out)
 * and every event it emitted must have reached the subscriber. Runs where ROS 2 is sourced and rclnodejs
 * is installed (`.ci/run` does both where ../shared/ros2 exists); skipped with the reason otherwise.
 * Model: the random-weight imagebind-tiny graphs with eager concepts (the transport is under test here).
 */
import { mkdtemp, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { ROOT, domainIdFor, liveRos2, ros2TestEnv, startPeer, startSensebind, type LiveProcess, killLeftovers } from '../helpers/ros2-live.js';

const live = liveRos2();
if (!live.available) console.log(`test/ros2/live-run.test.ts skipped: live ROS 2 not available here: ${live.reason}`);

const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');
const env = ros2TestEnv(domainIdFor(import.meta.filename));
let dir: string;

interface Received {
  topic: string;
  msg: { data?: string; header?: { frame_id: string }; results?: Array<{ class_id: string; score: number }> };
}

async function writeConfig(name: string, lines: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, [
    'robot: { id: livetest }',
    'log: { level: info, format: json }',
    `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
    'service: { stopDeadlineSeconds: 20 }',
    ...lines,
    '',
  ].join('\n'));
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-ros2-live-'));
  await copyFile(CONCEPTS, join(dir, 'concepts.yaml'));
});
afterAll(async () => {
  killLeftovers();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!live.available)('sensebind run on a live ROS 2 graph', () => {
  it('camera + IMU from another process -> events on ~/events and ~/classification in a third; SIGINT delivers the closing events and exits 0', async () => {
    const config = await writeConfig('run.yaml', [
      'ros2:',
      '  enabled: true',
      '  topics:',
      '    - { name: /camera/color/image_raw, type: sensor_msgs/msg/Image }',
      '    - { name: /imu/data_raw, type: sensor_msgs/msg/Imu }',
    ]);
    const sub = await startPeer({
      mode: 'sub',
      topics: [
        { name: '/sensebind/events', type: 'std_msgs/msg/String', qos: { depth: 100 } },
        { name: '/sensebind/classification', type: 'vision_msgs/msg/Classification', qos: { depth: 100 } },
      ],
    }, env);
    const node = startSensebind(['run', '--config', config, '--concepts', join(dir, 'concepts.yaml')], env, dir);
    let pub: LiveProcess | undefined;
    try {
      // The events publisher exists from the start (before any event), so graph tools see the topic.
      await node.until('the events publisher in the graph', () => (node.stderr.includes('"msg":"sensebind running"') ? true : undefined), 60_000);
      pub = await startPeer({
        mode: 'pub',
        waitFor: '/imu/data_raw',
        topics: [
          { name: '/camera/color/image_raw', type: 'sensor_msgs/msg/Image', kind: 'rgb8', rate: 10, count: 60, qos: { reliability: 'best_effort' } },
          { name: '/imu/data_raw', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 200, count: 1200, qos: { reliability: 'best_effort', depth: 50 } },
        ],
      }, env);
      await sub.until('a first event on /sensebind/events', () => (sub.json<Received>().some((l) => l.topic === '/sensebind/events') ? true : undefined), 30_000);
      // Stop while events are open: the closing `end` events are published during the stop.
      const code = await node.stop('SIGINT');
      expect(code, node.stderr.slice(-3000)).toBe(0);
    } finally {
      await pub?.stop();
      await node.stop('SIGKILL');
    }
    const summary = JSON.parse(node.lines.at(-1)!) as { stopped: string; clean: boolean; events: number; sinks: Record<string, { written: number; errors: number; dropped: number }> };
    expect(summary).toMatchObject({ stopped: 'SIGINT', clean: true });
    expect(summary.sinks['ros2']).toMatchObject({ written: summary.events, errors: 0, dropped: 0 });
    expect(node.stderr).not.toContain('publisher pointer is invalid');
    // The subscriber (another process) has every event, the closing ones included.
    await sub.until('every event at the subscriber', () => (sub.json<Received>().filter((l) => l.topic === '/sensebind/events').length >= summary.events ? true : undefined), 10_000);
    await sub.stop();
    const events = sub.json<Received>().filter((l) => l.topic === '/sensebind/events').map((l) => JSON.parse(l.msg.data!) as SenseEvent);
    expect(events.length).toBe(summary.events);
    const started = new Set(events.filter((e) => e.type === 'start').map((e) => e.id));
    const ended = new Set(events.filter((e) => e.type === 'end').map((e) => e.id));
    expect(started.size).toBeGreaterThan(0);
    expect([...started].filter((id) => !ended.has(id))).toEqual([]);
    const classifications = sub.json<Received>().filter((l) => l.topic === '/sensebind/classification');
    expect(classifications.length).toBe(events.filter((e) => e.type !== 'end').length);
    expect(classifications[0]!.msg.header!.frame_id).toBe('livetest');
    expect(events.map((e) => e.concept.id)).toContain(classifications[0]!.msg.results![0]!.class_id);
  }, 120_000);
});
