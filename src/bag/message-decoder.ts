/**
 * Deserialisers per (schema, message encoding): ROS 2 CDR with `ros2msg` schemas through
 * @foxglove/rosmsg2-serialization, ROS 1 with `ros1msg` schemas through @foxglove/rosmsg-serialization.
 * Built once per channel/connection; an unsupported pair yields a reason instead of a decoder.
 */
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader as Ros1Reader } from '@foxglove/rosmsg-serialization';
import { MessageReader as Ros2Reader } from '@foxglove/rosmsg2-serialization';
import { errorMessage } from '../core/errors.js';

export type Decode = (data: Uint8Array) => unknown;

export function buildDecoder(schemaName: string, schemaEncoding: string, schemaText: string, messageEncoding: string): Decode | string {
  try {
    if (messageEncoding === 'cdr' && schemaEncoding === 'ros2msg') {
      const reader = new Ros2Reader(parseMsg(schemaText, { ros2: true }));
      return (data) => reader.readMessage(data);
    }
    if (messageEncoding === 'ros1' && (schemaEncoding === 'ros1msg' || schemaEncoding === '')) {
      const reader = new Ros1Reader(parseMsg(schemaText, { ros2: false }));
      return (data) => reader.readMessage(data);
    }
  } catch (err) {
    return `schema ${schemaName} (${schemaEncoding}) does not parse: ${errorMessage(err)}`;
  }
  return `unsupported encoding: messages ${messageEncoding || '(none)'} with schema ${schemaEncoding || '(none)'} (supported: cdr+ros2msg, ros1+ros1msg)`;
}
