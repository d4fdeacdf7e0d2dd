import { describe, expect, it } from 'vitest';
import { SensebindError } from '../../src/core/errors.js';
import { parseConceptCommand, subscribeConceptCommands } from '../../src/ros2/concept-commands.js';
import { createRclnodejsLoader, ros2UnavailableReason } from '../../src/ros2/load-rclnodejs.js';
import { LoopbackTransport } from '../../src/ros2/loopback-transport.js';
import { resolveTopicName } from '../../src/ros2/rclnodejs-transport.js';
import { rclnodejsNotInstalled, sessionWithoutRos2 } from '../helpers/ros2-absent.js';

// Both outcomes of loading rclnodejs, on every machine: the import is injected (a robot has the package,
// this build machine may not). The real package is exercised by the live tests (test/ros2/live/).

describe('loading rclnodejs', () => {
  it('not installed: UNAVAILABLE, saying how to fix it with and without ROS 2 sourced', async () => {
    const err = await createRclnodejsLoader(rclnodejsNotInstalled)().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SensebindError);
    expect((err as SensebindError).code).toBe('UNAVAILABLE');
    expect((err as Error).message).toMatch(/^ROS 2 is not available: rclnodejs is not installed.*npm ci.*docs\/ros2\.md/);
    expect(ros2UnavailableReason(new Error("Cannot find package 'rclnodejs'"), {})).toMatch(/ROS 2 is not sourced \(ROS_DISTRO unset\): source \/opt\/ros/);
    expect(ros2UnavailableReason(new Error("Cannot find package 'rclnodejs'"), { ROS_DISTRO: 'jazzy' })).toMatch(/with ROS 2 jazzy sourced, run `npm ci` again/);
    expect(ros2UnavailableReason(new Error('libfoo.so: cannot open shared object file'), { ROS_DISTRO: 'jazzy' })).toBe('rclnodejs does not load with ROS 2 jazzy: libfoo.so: cannot open shared object file');
  });

  it('installed: initialised once, its SIGINT handler removed (sensebind owns SIGINT/SIGTERM), sensebind\'s own kept', async () => {
    let inits = 0;
    const theirs = () => undefined;
    const ours = () => undefined;
    const fake = { init: async () => void inits++, removeSignalHandlers: () => process.off('SIGINT', theirs) };
    const load = createRclnodejsLoader(async () => {
      process.on('SIGINT', theirs); // what rclnodejs does at import
      process.on('SIGINT', ours); // sensebind's service installing its handlers while the import runs
      return { default: fake };
    });
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(fake);
    expect(b).toBe(fake);
    expect(inits).toBe(1);
    expect(process.listeners('SIGINT')).not.toContain(theirs);
    expect(process.listeners('SIGINT')).toContain(ours);
    process.off('SIGINT', ours);
  });

  it('an rclnodejs without removeSignalHandlers: the SIGINT/SIGTERM listeners its import added are removed', async () => {
    const theirs = () => undefined;
    const before = process.listenerCount('SIGINT');
    await createRclnodejsLoader(async () => {
      process.on('SIGINT', theirs);
      process.on('SIGTERM', theirs);
      return { init: async () => undefined };
    })();
    expect(process.listenerCount('SIGINT')).toBe(before);
    expect(process.listeners('SIGTERM')).not.toContain(theirs);
  });

  it('init failure: UNAVAILABLE with the reason, and a later call retries', async () => {
    let calls = 0;
    const load = createRclnodejsLoader(async () => ({ init: async () => { if (calls++ === 0) throw new Error('rcl_init: bad domain id'); } }));
    await expect(load()).rejects.toThrow(/ROS 2 is not available: rclnodejs\.init\(\) failed: rcl_init: bad domain id/);
    await expect(load()).resolves.toBeDefined();
  });

  it('a session reports unavailable instead of throwing', async () => {
    const session = sessionWithoutRos2();
    expect(await session.transport()).toBeUndefined();
    expect(session.unavailableReason).toMatch(/rclnodejs is not installed/);
    await session.close();
  });
});

describe('topic names', () => {
  it.each([
    ['/camera/image_raw', 'sensebind', '', '/camera/image_raw'],
    ['camera/image_raw', 'sensebind', '', '/camera/image_raw'],
    ['camera/image_raw', 'sensebind', '/robot1', '/robot1/camera/image_raw'],
    ['~/events', 'sensebind', '/robot1/', '/robot1/sensebind/events'],
    ['~/events', 'sb', '', '/sb/events'],
  ])('%s in node %s, namespace "%s" -> %s', (topic, node, ns, want) => {
    expect(resolveTopicName(topic, node, ns)).toBe(want);
  });
});

describe('concept commands', () => {
  it('parses JSON objects with an op and counts the rest', () => {
    expect(parseConceptCommand('{"op":"enable","id":"glass"}')).toEqual({ op: 'enable', id: 'glass' });
    expect(() => parseConceptCommand('nope')).toThrow(/not JSON/);
    expect(() => parseConceptCommand('[1]')).toThrow(/string "op"/);
    const t = new LoopbackTransport({ namespace: '/r1' });
    const got: unknown[] = [];
    const { subscription, stats } = subscribeConceptCommands(t, '~/concepts', (c) => got.push(c));
    expect(subscription.topic).toBe('/r1/sensebind/concepts');
    t.deliver('/r1/sensebind/concepts', { data: '{"op":"disable","id":"x"}' });
    t.deliver('/r1/sensebind/concepts', { data: '{oops' });
    expect(got).toEqual([{ op: 'disable', id: 'x' }]);
    expect(stats()).toEqual({ received: 2, bad: 1 });
  });
});

describe('ros2FromConfig', () => {
  it('is off by default; when enabled builds source, sink, parameters and the command topic on one node', async () => {
    const { configSchema } = await import('../../src/config/schema.js');
    const { ros2FromConfig } = await import('../../src/ros2/from-config.js');
    expect(ros2FromConfig(configSchema.parse({}))).toBeUndefined();
    const t = new LoopbackTransport({ namespace: '/r1' });
    let created = 0;
    const commands: unknown[] = [];
    const io = ros2FromConfig(
      configSchema.parse({ robot: { id: 'r1' }, ros2: { enabled: true, namespace: '/r1', topics: [{ name: 'imu', type: 'sensor_msgs/msg/Imu' }] } }),
      { createTransport: async () => (created++, t), onConceptCommand: (c) => commands.push(c), configPath: '/etc/sb.yaml' },
    )!;
    await io.source!.start(() => undefined);
    await io.startCommands();
    expect(created).toBe(1);
    expect(t.subscriptions.get('/r1/imu')?.qos.reliability).toBe('best_effort');
    expect(Object.fromEntries(t.parameters)).toMatchObject({ robot_id: 'r1', config_path: '/etc/sb.yaml' });
    t.deliver('/r1/sensebind/concepts', { data: '{"op":"remove","id":"x"}' });
    expect(commands).toEqual([{ op: 'remove', id: 'x' }]);
    await io.close();
  });
});
