/** ROS time <-> bigint nanoseconds (builtin_interfaces/Time in ROS 2, {sec, nsec} in ROS 1). */
import { NS_PER_S } from './clock.js';

export interface RosTime {
  sec: number;
  nanosec: number;
}


/** A ROS 2 `builtin_interfaces/Time` for a nanosecond stamp (non-negative). */
export function toRosTime(ns: bigint): RosTime {
  return { sec: Number(ns / NS_PER_S), nanosec: Number(ns % NS_PER_S) };
}

/** Nanoseconds of a ROS 1 (`nsec`) or ROS 2 (`nanosec`) time object; undefined when it is not one. */
export function fromRosTime(value: unknown): bigint | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const t = value as { sec?: unknown; nanosec?: unknown; nsec?: unknown };
  const nanos = t.nanosec ?? t.nsec;
  if (typeof t.sec !== 'number' || typeof nanos !== 'number') return undefined;
  if (!Number.isFinite(t.sec) || !Number.isFinite(nanos)) return undefined;
  return BigInt(Math.trunc(t.sec)) * NS_PER_S + BigInt(Math.trunc(nanos));
}
