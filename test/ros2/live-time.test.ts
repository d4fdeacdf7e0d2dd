/**
 * Time as ROS does it, on a real graph: a simulated robot's bag played by the real `ros2 bag play --clock`
 * (recorded stamps, /clock from the player) into `sensebind run` with use_sim_time gives the events
 * `sensebind replay` finds in the same bag; played without --clock (stamps 20 s to years away from the
 * wall clock), the stamp policy maps each topic onto the node clock and says so once per topic.
 * Bundled model (bind-mini) and concepts: the scenario's door slam and collision are what is compared.
 * Runs where ROS 2 is sourced and rclnodejs is installed; skipped with the reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { CLI, ROOT, LiveProcess, domainIdFor, liveRos2, ros2TestEnv, startPeer, startSensebind, killLeftovers } from '../helpers/ros2-live.js';

const live = liveRos2();
if (!live.available) console.log(`test/ros2/live-time.test.ts skipped: live ROS 2 not available here: ${live.reason}`);

const env = ros2TestEnv(domainIdFor(import.meta.filename));
let dir: string;
let bag: string;
let replayed: SenseEvent[];

const TOPICS = [
  '    - { name: /camera/color/image_raw, type: sensor_msgs/msg/Image }',
  '    - { name: /camera/depth/image_rect_raw, type: sensor_msgs/msg/Image }',
  '    - { name: /imu/data_raw, type: sensor_msgs/msg/Imu }',
  '    - { name: /audio/audio, type: audio_common_msgs/msg/AudioDataStamped }',
];

async function config(name: string, useSimTime: boolean): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, ['robot: { id: timetest }', 'log: { level: info, format: json }', `model: { cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`, 'service: { stopDeadlineSeconds: 20 }', 'ros2:', '  enabled: true', `  useSimTime: ${useSimTime}`, '  topics:', ...TOPICS, ''].join('\n'));
  return path;
}

/** sensebind run between `ros2 bag play` and a subscriber process; the events the subscriber received. */
async function playInto(cfg: string, playArgs: string[]): Promise<{ events: SenseEvent[]; node: LiveProcess }> {
  const sub = await startPeer({ mode: 'sub', topics: [{ name: '/sensebind/events', type: 'std_msgs/msg/String', qos: { depth: 100 } }] }, env);
  const node = startSensebind(['run', '--config', cfg], env, dir);
  try {
    await node.until('sensebind running', () => (node.stderr.includes('"msg":"sensebind running"') ? true : undefined), 60_000);
    const play = new LiveProcess('ros2', ['bag', 'play', bag, '--disable-keyboard-controls', '-d', '1', ...playArgs], env);
    const played = await play.exited;
    expect(played, play.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 1500)); // the last windows' snapshots
    expect(await node.stop('SIGINT'), node.stderr.slice(-2000)).toBe(0);
  } finally {
    await node.stop('SIGKILL');
  }
  const summary = JSON.parse(node.lines.at(-1)!) as { events: number };
  await sub.until('every event', () => (sub.json().filter((l) => l['topic'] === '/sensebind/events').length >= summary.events ? true : undefined), 10_000);
  await sub.stop();
  const events = sub.json<{ topic: string; msg: { data: string } }>().filter((l) => l.topic === '/sensebind/events').map((l) => JSON.parse(l.msg.data) as SenseEvent);
  return { events, node };
}

const starts = (events: SenseEvent[]) => events.filter((e) => e.type === 'start').map((e) => ({ concept: e.concept.id, start: BigInt(e.start) }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-ros2-time-'));
  bag = join(dir, 'sim.mcap');
  if (!live.available) return;
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '11', '--duration', '20', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
  const out = join(dir, 'replay.jsonl');
  const r = spawnSync(process.execPath, [CLI, 'replay', bag, '--events', out], { cwd: dir, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  replayed = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SenseEvent);
  expect(starts(replayed).map((s) => s.concept).sort()).toEqual(['collision', 'door_slam']);
}, 120_000);
afterAll(async () => {
  killLeftovers();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!live.available)('ROS time on a live graph', () => {
  it('ros2 bag play --clock + use_sim_time: the events of `sensebind replay`, stamped in the recording\'s time', async () => {
    const { events, node } = await playInto(await config('sim-time.yaml', true), ['--clock', '40']);
    expect(node.stderr).toContain('"simTime":true');
    expect(node.stderr).not.toContain('stamps on another clock');
    const want = starts(replayed);
    const got = starts(events);
    expect(got.map((s) => s.concept)).toEqual(want.map((s) => s.concept));
    // Same moments in the recording: live ticks fall between the replay's (up to one hop, 0.5 s, apart) and
    // /clock arrives in 25 ms steps through DDS, so a start may land one tick later: within two hops.
    got.forEach((g, i) => expect(Math.abs(Number(g.start - want[i]!.start)) / 1e9).toBeLessThanOrEqual(1.0));
  }, 120_000);

  it('recorded stamps without --clock: each topic mapped onto the node clock, said once naming it; the events still come', async () => {
    const { events, node } = await playInto(await config('wall-time.yaml', false), []);
    const warned = node.stderr.split('\n').filter((l) => l.includes('stamps on another clock'));
    expect(warned.map((l) => (JSON.parse(l) as { topic: string }).topic).sort()).toEqual(['/audio/audio', '/camera/color/image_raw', '/camera/depth/image_rect_raw', '/imu/data_raw']);
    expect(warned[0]).toMatch(/stamps on another clock: -\d+\.\d{3} s from the node clock; mapped onto the node clock by a fixed offset/);
    expect(starts(events).map((s) => s.concept)).toEqual(starts(replayed).map((s) => s.concept));
  }, 120_000);
});
