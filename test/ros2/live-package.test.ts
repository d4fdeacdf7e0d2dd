/**
 * sensebind as ROS users install it: a colcon workspace holding this checkout builds the ament package
 * (package.xml, CMakeLists.txt); then `ros2 run sensebind sensebind` runs the CLI and
 * `ros2 launch sensebind sensebind.launch.xml` starts the node with the launch file's defaults (only the
 * config given), IMU messages from a publisher process reach it through the default remapping, and
 * `ros2 topic echo` receives its events. Needs live ROS 2 (sourced, rclnodejs installed) and colcon
 * (Debian: colcon python3-colcon-ros python3-colcon-cmake cmake; `.ci/run` installs them); skipped with the
 * reason otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { LiveProcess, ROOT, domainIdFor, liveRos2, ros2TestEnv, startPeer, killLeftovers } from '../helpers/ros2-live.js';

const live = liveRos2();
const colcon = spawnSync('colcon', ['--help'], { encoding: 'utf8' }).status === 0;
const skip = !live.available ? `live ROS 2 not available here: ${live.reason}` : !colcon ? 'colcon is not installed (apt-get install colcon python3-colcon-ros python3-colcon-cmake cmake)' : '';
if (skip) console.log(`test/ros2/live-package.test.ts skipped: ${skip}`);

let ws: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'sb-colcon-'));
  if (skip) return;
  await mkdir(join(ws, 'src'));
  await symlink(ROOT, join(ws, 'src', 'sensebind'));
  // ament's CMake runs the first python3 on PATH; Debian's has catkin_pkg (docs/ros2.md)
  const buildEnv = { ...process.env, PATH: `/usr/bin:${process.env['PATH']}` };
  const build = spawnSync('colcon', ['build', '--base-paths', 'src', '--event-handlers', 'console_direct-'], { cwd: ws, env: buildEnv, encoding: 'utf8', timeout: 180_000 });
  expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
  const prefix = join(ws, 'install', 'sensebind');
  env = ros2TestEnv(domainIdFor(import.meta.filename), { AMENT_PREFIX_PATH: `${prefix}:${process.env['AMENT_PREFIX_PATH'] ?? ''}` });
}, 240_000);
afterAll(async () => {
  killLeftovers();
  if (ws) await rm(ws, { recursive: true, force: true });
});

describe.skipIf(skip !== '')('sensebind as a ROS 2 package', () => {
  it('colcon build installs it; ros2 run runs the CLI', () => {
    expect(existsSync(join(ws, 'install', 'sensebind', 'share', 'sensebind', 'launch', 'sensebind.launch.xml'))).toBe(true);
    const r = spawnSync('ros2', ['run', 'sensebind', 'sensebind', '--version'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);

  it('ros2 launch sensebind sensebind.launch.xml with its defaults: the node runs, ros2 topic echo gets its events, SIGINT stops it', async () => {
    const config = join(ws, 'robot.yaml');
    await writeFile(config, [
      'robot: { id: launched }',
      'log: { level: info, format: json }',
      `model: { dir: ${JSON.stringify(join(ROOT, 'test/fixtures/models/imagebind-tiny'))}, providers: [cpu], cacheDir: ${JSON.stringify(join(ws, 'cache'))} }`,
      `match: { conceptFile: ${JSON.stringify(join(ROOT, 'test/service/fixtures/concepts-eager.yaml'))} }`,
      'ros2:',
      '  enabled: true',
      '  topics:',
      '    - { name: imu, type: sensor_msgs/msg/Imu }',
      '    - { name: color/image_raw, type: sensor_msgs/msg/Image }',
      '',
    ].join('\n'));
    const launch = new LiveProcess('ros2', ['launch', 'sensebind', 'sensebind.launch.xml', `config:=${config}`], env, ws);
    let pub: LiveProcess | undefined;
    let echo: LiveProcess | undefined;
    try {
      // the launch file's default remaps: imu -> /camera/camera/imu, color/image_raw -> /camera/camera/color/image_raw (realsense2_camera)
      const be = { reliability: 'best_effort' };
      pub = await startPeer({
        mode: 'pub',
        waitFor: 'all',
        matchSeconds: 0.5,
        topics: [
          { name: '/camera/camera/imu', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 100, count: 1000, qos: be },
          { name: '/camera/camera/color/image_raw', type: 'sensor_msgs/msg/Image', kind: 'rgb8', rate: 10, count: 100, qos: be },
        ],
      }, env);
      echo = new LiveProcess('ros2', ['topic', 'echo', '--once', '--full-length', '/sensebind/events', 'std_msgs/msg/String'], env, ws);
      expect(await echo.exited, echo.stderr).toBe(0);
      const data = /data: '(.*)'\s*$/m.exec(echo.lines.join('\n'))?.[1];
      const event = JSON.parse(data!.replace(/''/g, "'")) as SenseEvent;
      expect(event).toMatchObject({ robot: 'launched', type: 'start' });
    } finally {
      await pub?.stop();
      await echo?.stop();
    }
    expect(await launch.stop('SIGINT'), launch.stderr.slice(-3000)).toBe(0);
    expect(launch.lines.join('\n') + launch.stderr).toMatch(/"stopped":"SIGINT","clean":true/);
  }, 120_000);
});
