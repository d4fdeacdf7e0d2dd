/**
 * Guarded dynamic import of rclnodejs. It is an optionalDependency: it installs only where ROS 2 is
 * sourced at `npm ci` time, and importing it without a working ROS 2 install throws (or tries a source
 * rebuild). So it is imported here, on demand, never at module top level, and a failure becomes one
 * clear UNAVAILABLE error that callers turn into "ROS 2 not available; other sources keep running".
 */
import { SensebindError, errorMessage } from '../core/errors.js';
import type { Rclnodejs } from './rclnodejs-api.js';

function ros2UnavailableReason(err: unknown): string {
  const distro = process.env['ROS_DISTRO'];
  const first = errorMessage(err).split('\n')[0] ?? '';
  if (/Cannot find (module|package) 'rclnodejs'/.test(first) || /ERR_MODULE_NOT_FOUND/.test(String((err as { code?: unknown }).code))) {
    return distro === undefined
      ? 'rclnodejs is not installed and ROS 2 is not sourced (ROS_DISTRO unset): source /opt/ros/<distro>/setup.bash, then run `npm ci` (docs/ros2.md)'
      : `rclnodejs is not installed: with ROS 2 ${distro} sourced, run \`npm ci\` again so the optional dependency installs (docs/ros2.md)`;
  }
  return `rclnodejs does not load${distro === undefined ? ' (ROS 2 not sourced: ROS_DISTRO unset)' : ` with ROS 2 ${distro}`}: ${first}`;
}

let cached: Promise<Rclnodejs> | undefined;

/** Loads and initialises rclnodejs once per process; throws SensebindError('UNAVAILABLE') with the reason. */
export function loadRclnodejs(): Promise<Rclnodejs> {
  cached ??= (async () => {
    const name = 'rclnodejs'; // a variable, so bundlers and tsc do not try to resolve the optional module
    let mod: { default?: Rclnodejs } & Rclnodejs;
    try {
      mod = (await import(name)) as { default?: Rclnodejs } & Rclnodejs;
    } catch (err) {
      throw new SensebindError('UNAVAILABLE', `ROS 2 is not available: ${ros2UnavailableReason(err)}`, { cause: err });
    }
    const rcl = mod.default ?? mod;
    try {
      await rcl.init();
    } catch (err) {
      throw new SensebindError('UNAVAILABLE', `ROS 2 is not available: rclnodejs.init() failed: ${errorMessage(err)}`, { cause: err });
    }
    return rcl;
  })();
  const attempt = cached;
  attempt.catch(() => {
    if (cached === attempt) cached = undefined; // allow a later retry (e.g. after sourcing in a shell)
  });
  return attempt;
}
