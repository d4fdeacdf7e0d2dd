/**
 * Defensive field access for ROS message objects. Messages come from CDR/ROS 1 deserialisers, from
 * rclnodejs, or from a hand-built test; any field may be missing or of the wrong type, and that must
 * become a clear "bad message" reason, never a TypeError deep in a converter.
 */
import { SensebindError } from '../core/errors.js';
import { fromRosTime } from '../core/ros-time.js';

export type Fields = Record<string, unknown>;

export function bad(message: string): never {
  throw new SensebindError('INPUT', message);
}

export function obj(value: unknown, name: string): Fields {
  if (typeof value !== 'object' || value === null) bad(`${name}: expected a message, found ${typeof value}`);
  return value as Fields;
}

export function num(msg: Fields, key: string): number {
  const v = msg[key];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return bad(`field ${key}: expected a number, found ${v === undefined ? 'nothing' : typeof v}`);
}

export function str(msg: Fields, key: string): string {
  const v = msg[key];
  if (typeof v !== 'string') bad(`field ${key}: expected a string, found ${v === undefined ? 'nothing' : typeof v}`);
  return v;
}

/** A uint8[] field as bytes: deserialisers give Uint8Array, rclnodejs may give Uint8Array or number[]. */
export function bytes(msg: Fields, key: string): Uint8Array {
  const v = msg[key];
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  return bad(`field ${key}: expected a byte array, found ${v === undefined ? 'nothing' : typeof v}`);
}

/** A numeric array field (typed array or plain array). */
export function numbers(msg: Fields, key: string): ArrayLike<number> {
  const v = msg[key];
  if (Array.isArray(v)) return v as number[];
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return v as unknown as ArrayLike<number>;
  return bad(`field ${key}: expected an array of numbers, found ${v === undefined ? 'nothing' : typeof v}`);
}

export function vec3(msg: Fields, key: string): [number, number, number] {
  const v = obj(msg[key], key);
  return [num(v, 'x'), num(v, 'y'), num(v, 'z')];
}

/** header.stamp in ns, or undefined when there is no header or the stamp is zero (unset). */
export function headerStamp(msg: Fields): bigint | undefined {
  const header = msg['header'];
  if (typeof header !== 'object' || header === null) return undefined;
  const ns = fromRosTime((header as Fields)['stamp']);
  return ns === undefined || ns === 0n ? undefined : ns;
}
