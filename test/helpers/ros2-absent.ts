// A Ros2Session on a machine where rclnodejs is not installed, whatever this machine has: the import is
// injected, so the "ROS 2 absent" branch is tested on robots too.
import { createRclnodejsLoader } from '../../src/ros2/load-rclnodejs.js';
import { RclnodejsTransport } from '../../src/ros2/rclnodejs-transport.js';
import { Ros2Session, type Ros2SessionOptions } from '../../src/ros2/session.js';

export const rclnodejsNotInstalled = async (): Promise<never> => {
  throw Object.assign(new Error("Cannot find package 'rclnodejs' imported from load-rclnodejs.js"), { code: 'ERR_MODULE_NOT_FOUND' });
};

export function sessionWithoutRos2(options: Ros2SessionOptions = {}): Ros2Session {
  const load = createRclnodejsLoader(rclnodejsNotInstalled);
  return new Ros2Session({ ...options, createTransport: (o) => RclnodejsTransport.create({ ...o, load }) });
}
