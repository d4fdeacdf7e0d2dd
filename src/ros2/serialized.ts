/**
 * Decoding live sensor messages from their serialized form (CDR bytes, as rclnodejs' raw mode hands them
 * out) with the definitions sensebind ships (bag/msg-defs.ts), instead of rclnodejs' own deserialiser.
 *
 * Only the IMU is read this way. rclnodejs builds each message through ref-struct wrappers field by field,
 * which at 200 Hz was the largest share of the node's JavaScript time after garbage collection; reading
 * its few hundred bytes of CDR directly costs a fraction of that. Images are not: rclnodejs hands their
 * pixels over without a copy (an ArrayBuffer over the memory rmw deserialised into, which V8 does not
 * count against its heap), while raw mode copies every frame into a new Node buffer that V8 does count,
 * and at 640x480 and 30 Hz that copy alone drove garbage collection up (measured: docs/ros2.md).
 * Nor is audio_common_msgs: two packages publish different layouts under the same names, and only the
 * installed package (which rclnodejs reads) knows which one this robot has.
 */
import { buildDecoder, type Decode } from '../bag/message-decoder.js';
import { messageDefinition } from '../bag/msg-defs.js';
import { shortTypeName } from '../decode/ros-type.js';

const SERIALIZED = new Set(['sensor_msgs/Imu']);

/** A CDR decoder for `type` when its messages are read serialized, else undefined (use plain objects). */
export function serializedDecoder(type: string): Decode | undefined {
  const short = shortTypeName(type);
  if (!SERIALIZED.has(short)) return undefined;
  const full = short.replace('/', '/msg/');
  const decoder = buildDecoder(full, 'ros2msg', messageDefinition(full) ?? '', 'cdr');
  return typeof decoder === 'string' ? undefined : decoder;
}
