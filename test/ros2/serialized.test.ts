// Live sensor messages read from their CDR bytes (rclnodejs' raw mode) give exactly the samples that the
// plain message objects give, for every sensor_msgs type read that way; other types keep the object path.
// The bytes are written by the real ROS 2 serialiser sensebind's bags use (@foxglove/rosmsg2-serialization).
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { describe, expect, it } from 'vitest';
import { messageDefinition } from '../../src/bag/msg-defs.js';
import { MessageConverter } from '../../src/decode/converter.js';
import { serializedDecoder } from '../../src/ros2/serialized.js';
import { toRosMessage } from '../../src/sim/ros-messages.js';

const cdr = (type: string, message: object): Uint8Array => new MessageWriter(parseMsg(messageDefinition(type)!, { ros2: true })).writeMessage(message);

const stamp = 1_750_000_000_123_456_789n;
const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256);
const mm = Uint16Array.from({ length: 4 * 3 }, (_, i) => (i === 5 ? 0 : 500 + i * 10));
const messages = [
  toRosMessage({ kind: 'image', stamp, width: 4, height: 3, rgb }),
  toRosMessage({ kind: 'depth', stamp, width: 4, height: 3, mm }),
  toRosMessage({ kind: 'imu', stamp, acc: [0.1, -0.2, 9.81], gyro: [0.01, 0.02, -0.03] }),
  {
    topic: '/camera/color/image_raw/compressed',
    type: 'sensor_msgs/msg/CompressedImage',
    // a 1x1 JPEG (grey), as image_transport publishes it
    message: {
      header: { stamp: { sec: 1_750_000_000, nanosec: 5 }, frame_id: 'cam' },
      format: 'jpeg',
      data: Buffer.from(
        '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==',
        'base64',
      ),
    },
  },
];

describe('serialized live messages', () => {
  it.each(messages.map((m) => [m.type, m] as const))('%s from CDR: the same sample as from the message object', async (type, m) => {
    const decode = serializedDecoder(type);
    expect(decode).toBeDefined();
    const bytes = cdr(type, m.message);
    const fromObject = await new MessageConverter().convert(m.topic, type, m.message, 0n);
    const fromCdr = await new MessageConverter({ ownedMessages: true }).convert(m.topic, type, decode!(bytes), 0n);
    expect(fromObject.kind).toBe('sample');
    expect(fromCdr).toEqual(fromObject);
  });

  it('short type names work; audio and other types keep rclnodejs objects (their layout depends on the installed package)', () => {
    expect(serializedDecoder('sensor_msgs/Image')).toBeDefined();
    for (const type of ['audio_common_msgs/msg/AudioDataStamped', 'audio_common_msgs/msg/AudioStamped', 'std_msgs/msg/String', 'sensor_msgs/msg/PointCloud2']) {
      expect(serializedDecoder(type), type).toBeUndefined();
    }
  });

  it('truncated bytes throw (the source counts the message as bad)', () => {
    const bytes = cdr('sensor_msgs/msg/Image', messages[0]!.message);
    expect(() => serializedDecoder('sensor_msgs/msg/Image')!(bytes.subarray(0, 40))).toThrow();
  });
});
