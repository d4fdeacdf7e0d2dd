/**
 * rosbag2 round trips with the real tools: a bag recorded by `ros2 bag record -s mcap` from live topics
 * (a publisher process of the test's own) replays in `sensebind replay` with every message decoded; an
 * MCAP sensebind writes carries rosbag2's metadata record, so `ros2 bag info` reads its distro and
 * per-topic counts. (`ros2 bag play --clock` of a sensebind MCAP into `sensebind run`: live-time.test.ts.)
 * Runs where ROS 2 is sourced and rclnodejs is installed; skipped with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CLI, LiveProcess, ROOT, domainIdFor, liveRos2, ros2TestEnv, startPeer, killLeftovers } from '../helpers/ros2-live.js';

const live = liveRos2();
if (!live.available) console.log(`test/ros2/live-bag.test.ts skipped: live ROS 2 not available here: ${live.reason}`);

const env = ros2TestEnv(domainIdFor(import.meta.filename));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-ros2-bag-'));
});
afterAll(async () => {
  killLeftovers();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!live.available)('rosbag2 round trips', () => {
  it('a bag recorded by ros2 bag record replays in sensebind, every message decoded', async () => {
    const out = join(dir, 'recorded');
    const record = new LiveProcess('ros2', ['bag', 'record', '-s', 'mcap', '-o', out, '/camera/color/image_raw', '/imu/data_raw'], env, dir);
    const pub = await startPeer({
      mode: 'pub',
      waitFor: 'all',
      matchSeconds: 1,
      lingerSeconds: 1,
      topics: [
        // reliable, and a history deep enough that a recorder slowed by a loaded machine loses nothing
        { name: '/camera/color/image_raw', type: 'sensor_msgs/msg/Image', kind: 'rgb8', rate: 10, count: 30, qos: { depth: 100 } },
        { name: '/imu/data_raw', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 200, count: 600, qos: { depth: 1000 } },
      ],
    }, env);
    const sent = await pub.until('the publisher to finish', () => pub.json<{ done?: Record<string, number> }>().find((l) => l.done)?.done, 30_000);
    expect(await record.stop('SIGINT'), record.stderr.slice(-2000)).toBe(0);
    const mcap = (await readdir(out)).find((n) => n.endsWith('.mcap'))!;
    const r = spawnSync(process.execPath, [CLI, 'replay', join(out, mcap)], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const summary = JSON.parse(r.stdout) as { samples: Record<string, number>; bagDamage: unknown };
    // every message rosbag2 recorded (its metadata.yaml) decodes in sensebind
    const meta = parseYaml(await readFile(join(out, 'metadata.yaml'), 'utf8')) as { rosbag2_bagfile_information: { topics_with_message_count: Array<{ topic_metadata: { name: string }; message_count: number }> } };
    const recorded = Object.fromEntries(meta.rosbag2_bagfile_information.topics_with_message_count.map((t) => [t.topic_metadata.name, t.message_count]));
    expect(summary.samples, r.stdout).toMatchObject({ vision: recorded['/camera/color/image_raw'], imu: recorded['/imu/data_raw'] });
    // and with a reliable, deep publisher on loopback the recorder got every message sent
    expect(recorded).toEqual(sent);
    expect(summary.bagDamage).toBeNull();
  }, 120_000);

  it('ros2 bag info reads the rosbag2 metadata of an MCAP sensebind wrote: distro, counts', () => {
    const bag = join(dir, 'sim.mcap');
    const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '5', '--duration', '2', '--width', '64', '--height', '48', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    expect(sim.status, sim.stderr).toBe(0);
    const info = spawnSync('ros2', ['bag', 'info', bag], { env, encoding: 'utf8', timeout: 60_000 });
    expect(info.status, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/ROS Distro:\s+jazzy/);
    expect(info.stdout).toMatch(/Topic: \/imu\/data_raw \| Type: sensor_msgs\/msg\/Imu \| Count: 400 \| Serialization Format: cdr/);
    expect(info.stdout).toMatch(/Messages:\s+\d+/);
  }, 60_000);
});
