/** ROS 1 message deserialisation per connection (shared by the indexed reader and the scan). */
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg-serialization';
import { errorMessage } from '../core/errors.js';
import type { BagRecord } from './records.js';

export interface Ros1Connection {
  conn: number;
  topic: string;
  type: string;
  messageDefinition: string;
}

export type Ros1Decompress = Record<string, (buffer: Uint8Array, size: number) => Uint8Array>;

/** Deserialises messages per connection, building each reader once from the connection's definition. */
export class Ros1MessageParser {
  #readers = new Map<number, MessageReader | string>();

  record(conn: Ros1Connection, logTime: bigint, data: Uint8Array): BagRecord {
    // the reader is built on first use of the connection (cheap to look up afterwards)
    let reader = this.#readers.get(conn.conn);
    if (reader === undefined) {
      try {
        reader = new MessageReader(parseMsg(conn.messageDefinition, { ros2: false }));
      } catch (err) {
        reader = `message definition of ${conn.type} does not parse: ${errorMessage(err)}`;
      }
      this.#readers.set(conn.conn, reader);
    }
    const ready = reader;
    return {
      kind: 'message',
      topic: conn.topic,
      type: conn.type,
      logTime,
      decode: () => {
        if (typeof ready === 'string') throw new Error(ready);
        try {
          return ready.readMessage(data);
        } catch (err) {
          throw new Error(`deserialisation failed: ${errorMessage(err)}`);
        }
      },
    };
  }
}

