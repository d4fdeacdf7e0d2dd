/**
 * What ROS 2 a process runs against, read from the environment setup.bash leaves (no ROS call): the
 * distro, the RMW implementation and the DDS discovery settings that decide who the node can see.
 * `doctor` prints it; the node logs it at start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Ros2Environment {
  distro: string | undefined;
  /** RMW_IMPLEMENTATION, else the one the install provides (only one is built: it is the default). */
  rmw: string;
  domainId: string;
  discoveryRange: string | undefined;
  cycloneUri: boolean;
}

const KNOWN_RMW = ['rmw_cyclonedds_cpp', 'rmw_fastrtps_cpp', 'rmw_connextdds', 'rmw_zenoh_cpp'];

export function ros2Environment(env: NodeJS.ProcessEnv = process.env): Ros2Environment {
  const distro = env['ROS_DISTRO'] || undefined;
  let rmw = env['RMW_IMPLEMENTATION'] || '';
  if (rmw === '') {
    const lib = (env['AMENT_PREFIX_PATH'] ?? '').split(':').filter((p) => p !== '');
    const found = KNOWN_RMW.filter((r) => lib.some((prefix) => existsSync(join(prefix, 'lib', `lib${r}.so`))));
    // Jazzy's default is Fast DDS when installed; with one RMW in the install, that one is used.
    rmw = found.length === 1 ? found[0]! : found.includes('rmw_fastrtps_cpp') ? 'rmw_fastrtps_cpp (default)' : found.length > 0 ? found.join(' or ') : 'unknown RMW';
  }
  return {
    distro,
    rmw,
    domainId: env['ROS_DOMAIN_ID'] || '0',
    discoveryRange: env['ROS_AUTOMATIC_DISCOVERY_RANGE'] || undefined,
    cycloneUri: (env['CYCLONEDDS_URI'] ?? '') !== '',
  };
}

export function describeRos2Environment(e: Ros2Environment): string {
  const parts = [`ROS 2 ${e.distro ?? '(ROS_DISTRO unset)'}`, `RMW ${e.rmw}`, `ROS_DOMAIN_ID=${e.domainId}`];
  if (e.discoveryRange !== undefined) parts.push(`discovery ${e.discoveryRange}`);
  if (e.cycloneUri) parts.push('CYCLONEDDS_URI set');
  return `rclnodejs loads; ${parts.join(', ')}`;
}

/**
 * Why importing rclnodejs must not even be tried in this environment, or undefined when it may be.
 * rclnodejs' native loader answers a missing ROS library by running `npm run rebuild` inside the running
 * process (minutes, and its `node-gyp clean` deletes the addon that was fine), so sensebind checks first
 * that ROS 2 is sourced: ROS_DISTRO set and librcl.so on LD_LIBRARY_PATH.
 */
export function ros2EnvironmentProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!env['ROS_DISTRO']) return 'ROS 2 is not sourced (ROS_DISTRO unset): source /opt/ros/<distro>/setup.bash before starting sensebind (docs/ros2.md)';
  const dirs = (env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== '');
  if (!dirs.some((d) => existsSync(join(d, 'librcl.so')))) {
    return `ROS 2 ${env['ROS_DISTRO']} is only half sourced: no librcl.so on LD_LIBRARY_PATH; source /opt/ros/${env['ROS_DISTRO']}/setup.bash in this shell (docs/ros2.md)`;
  }
  return undefined;
}
