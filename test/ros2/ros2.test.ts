import { describe, expect, it } from 'vitest';
import { SensebindError } from '../../src/core/errors.js';
import { parseConceptCommand, subscribeConceptCommands } from '../../src/ros2/concept-commands.js';
import { loadRclnodejs } from '../../src/ros2/load-rclnodejs.js';
import { LoopbackTransport } from '../../src/ros2/loopback-transport.js';
import { resolveTopicName } from '../../src/ros2/rclnodejs-transport.js';
import { Ros2Session } from '../../src/ros2/session.js';

describe('without ROS 2 (this machine: rclnodejs is not installed)', () => {
  it('loadRclnodejs fails with UNAVAILABLE and says how to fix it', async () => {
    const err = await loadRclnodejs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SensebindError);
    expect((err as SensebindError).code).toBe('UNAVAILABLE');
    expect((err as Error).message).toMatch(/ROS 2 is not available: rclnodejs is not installed.*npm ci.*docs\/ros2\.md/);
  });

  it('a session reports unavailable instead of throwing', async () => {
    const session = new Ros2Session();
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
