// Live IMU messages read from their CDR bytes (rclnodejs' raw mode) give exactly the samples that the
// plain message objects give; other types keep rclnodejs' object path (src/ros2/serialized.ts says why).
// The bytes are written by the real ROS 2 serialiser sensebind's bags use (@foxglove/rosmsg2-serialization).
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { describe, expect, it } from 'vitest';
import { messageDefinition } from '../../src/bag/msg-defs.js';
import { MessageConverter } from '../../src/decode/converter.js';
import { serializedDecoder } from '../../src/ros2/serialized.js';
import { toRosMessage } from '../../src/sim/ros-messages.js';

const cdr = (type: string, message: object): Uint8Array => new MessageWriter(parseMsg(messageDefinition(type)!, { ros2: true })).writeMessage(message);

const imu = toRosMessage({ kind: 'imu', stamp: 1_750_000_000_123_456_789n, acc: [0.1, -0.2, 9.81], gyro: [0.01, 0.02, -0.03] });

describe('serialized live messages', () => {
  it('sensor_msgs/msg/Imu from CDR: the same sample as from the message object', async () => {
    const decode = serializedDecoder(imu.type);
    expect(decode).toBeDefined();
    const fromObject = await new MessageConverter().convert(imu.topic, imu.type, imu.message, 0n);
    const fromCdr = await new MessageConverter({ ownedMessages: true }).convert(imu.topic, imu.type, decode!(cdr(imu.type, imu.message)), 0n);
    expect(fromObject.kind).toBe('sample');
    expect(fromCdr).toEqual(fromObject);
    expect(serializedDecoder('sensor_msgs/Imu'), 'short type name').toBeDefined();
  });

  it('images, audio and other types keep rclnodejs objects (pixels without a copy; audio layout per installed package)', () => {
    for (const type of ['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage', 'audio_common_msgs/msg/AudioDataStamped', 'audio_common_msgs/msg/AudioStamped', 'std_msgs/msg/String']) {
      expect(serializedDecoder(type), type).toBeUndefined();
    }
  });

  it('truncated bytes throw (the source counts the message as bad)', () => {
    const bytes = cdr(imu.type, imu.message);
    expect(() => serializedDecoder(imu.type)!(bytes.subarray(0, 40))).toThrow();
  });
});
