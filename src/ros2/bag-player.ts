/**
 * Publishes a bag's messages into a Ros2Transport at their recorded pace (or as fast as possible), as
 * `ros2 bag play` would: the consumer on the other side is the live ROS 2 source, unchanged. With the
 * LoopbackTransport this replays bags through the robot's code path on machines without ROS 2.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readBagRecords } from '../bag/open-bag.js';
import type { Ros2Transport } from './transport.js';

export interface PlayOptions {
  /** 1 = recorded pace, 0 = as fast as possible. @default 0 */
  speed?: number;
  signal?: AbortSignal;
}

export interface PlayResult {
  published: number;
  undecodable: number;
  damage?: { offset: number; reason: string };
}

export async function playBag(path: string, transport: Ros2Transport & { deliver(topic: string, message: unknown): void; advertise(topic: string, type: string): void }, options: PlayOptions = {}): Promise<PlayResult> {
  const { speed = 0, signal } = options;
  const result: PlayResult = { published: 0, undecodable: 0 };
  let first: bigint | undefined;
  const wall0 = performance.now();
  for await (const record of readBagRecords(path)) {
    if (signal?.aborted === true) break;
    if (record.kind === 'damage') {
      result.damage = { offset: record.offset, reason: record.reason };
      break;
    }
    if (record.kind === 'undecodable') {
      result.undecodable++;
      continue;
    }
    if (speed > 0) {
      first ??= record.logTime;
      const wait = wall0 + Number(record.logTime - first) / 1e6 / speed - performance.now();
      if (wait > 1) await sleep(wait, undefined, signal ? { signal } : undefined).catch(() => undefined);
    }
    let message: unknown;
    try {
      message = record.decode();
    } catch {
      result.undecodable++;
      continue;
    }
    const type = record.type.includes('/msg/') ? record.type : record.type.replace('/', '/msg/');
    transport.advertise(record.topic, type);
    transport.deliver(record.topic, message);
    result.published++;
  }
  return result;
}
