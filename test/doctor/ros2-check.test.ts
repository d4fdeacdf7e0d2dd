import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ros2Check, type CheckResult } from '../../src/doctor/checks.js';
import { ros2EnvironmentProblem } from '../../src/ros2/environment.js';
import { rclnodejsNotInstalled } from '../helpers/ros2-absent.js';

const config = parseConfig({}, 'test');
const one = (r: CheckResult | CheckResult[]) => (Array.isArray(r) ? r[0]! : r);

// Both branches on every machine: the rclnodejs import and the environment are injected.
describe('doctor: ros2', () => {
  it('ROS 2 present: ok, naming the distro, the RMW the install provides and the DDS settings', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'sb-ros-'));
    await mkdir(join(prefix, 'lib'));
    await writeFile(join(prefix, 'lib', 'librmw_cyclonedds_cpp.so'), '');
    const env = { ROS_DISTRO: 'jazzy', AMENT_PREFIX_PATH: prefix, ROS_DOMAIN_ID: '42', ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST' };
    const r = one(await ros2Check(async () => ({ init: async () => undefined }), env)(config));
    expect(r).toEqual({ name: 'ros2', status: 'ok', detail: 'rclnodejs loads; ROS 2 jazzy, RMW rmw_cyclonedds_cpp, ROS_DOMAIN_ID=42, discovery LOCALHOST' });
    const fast = one(await ros2Check(async () => ({}), { ...env, RMW_IMPLEMENTATION: 'rmw_fastrtps_cpp' })(config));
    expect(fast.detail).toMatch(/RMW rmw_fastrtps_cpp/);
    await rm(prefix, { recursive: true });
  });

  it('ROS 2 absent: a warning saying what to do; bag replay and serial still work', async () => {
    const r = one(await ros2Check(rclnodejsNotInstalled, { ROS_DISTRO: 'jazzy' })(config));
    expect(r.status).toBe('warn');
    expect(r.detail).toMatch(/^ROS 2 not available: rclnodejs is not installed: with ROS 2 jazzy sourced, run `npm ci` again.*; bag replay and serial still work$/);
    const unsourced = one(await ros2Check(rclnodejsNotInstalled, {})(config));
    expect(unsourced.detail).toMatch(/ROS 2 is not sourced \(ROS_DISTRO unset\)/);
  });

  it('rclnodejs is never imported where ROS 2 is not sourced (its loader would rebuild itself in-process)', () => {
    expect(ros2EnvironmentProblem({})).toMatch(/ROS_DISTRO unset/);
    expect(ros2EnvironmentProblem({ ROS_DISTRO: 'jazzy', LD_LIBRARY_PATH: '/nonexistent' })).toMatch(/half sourced: no librcl\.so on LD_LIBRARY_PATH/);
  });
});
