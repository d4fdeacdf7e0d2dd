/**
 * How the IMU sits on the robot. Models learn motion in the robot's frame (REP-103: x forward, y left,
 * z up, +g on z at rest); a board mounted upside down or on its side reports the same motion on other
 * axes, so gravity alone makes it look like a robot lying on its back. The mounting rotation takes
 * sensor-frame vectors into the robot frame (v_robot = R v_sensor) and is applied to every IMU window
 * before preprocessing. Rotation commutes with the window's linear resampling, so rotating the window
 * equals rotating every reading.
 *
 * Spellings (config `window.imuMounting`):
 *   "x,-y,-z"                   for each robot axis x, y, z: the sensor axis that points that way
 *   { roll, pitch, yaw }        degrees, the sensor's orientation in the robot frame as in a URDF joint
 *                               (R = Rz(yaw) Ry(pitch) Rx(roll))
 *   "auto"                      gravity-aligned: the first full window whose mean specific force has
 *                               gravity's magnitude (still, or moving without net acceleration) fixes roll
 *                               and pitch so gravity reads +z; yaw stays as mounted. Only right when the
 *                               robot starts upright: one that boots lying on its side is called upright.
 */
import { SensebindError } from '../core/errors.js';
import type { ImuWindow } from '../core/types.js';

/** Row-major 3x3 rotation. */
export type Rotation3 = readonly [number, number, number, number, number, number, number, number, number];

export type ImuMountingSpec = string | { roll?: number; pitch?: number; yaw?: number };

export const IDENTITY: Rotation3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

const AXIS_MAP = /^\s*([+-]?)([xyz])\s*,\s*([+-]?)([xyz])\s*,\s*([+-]?)([xyz])\s*$/;

/** "x,-y,-z" -> rotation; each sensor axis exactly once and a proper rotation (no mirror). */
export function rotationFromAxisMap(spec: string): Rotation3 {
  const m = AXIS_MAP.exec(spec);
  if (m === null) throw new SensebindError('CONFIG', `IMU mounting "${spec}": expected three signed axes like "x,-y,-z" or "auto"`);
  const rows: number[] = [];
  const used = new Set<string>();
  for (let r = 0; r < 3; r++) {
    const sign = m[1 + 2 * r] === '-' ? -1 : 1;
    const axis = m[2 + 2 * r] as string;
    used.add(axis);
    for (const a of ['x', 'y', 'z']) rows.push(a === axis ? sign : 0);
  }
  if (used.size !== 3) throw new SensebindError('CONFIG', `IMU mounting "${spec}": each of x, y, z must appear exactly once`);
  const R = rows as unknown as Rotation3;
  if (Math.abs(determinant(R) - 1) > 1e-9) throw new SensebindError('CONFIG', `IMU mounting "${spec}" is a mirror image, not a rotation (flip the sign of one axis)`);
  return R;
}

/** URDF-style roll/pitch/yaw in degrees -> R = Rz(yaw) Ry(pitch) Rx(roll). */
export function rotationFromRpyDegrees(rpy: { roll?: number; pitch?: number; yaw?: number }): Rotation3 {
  const d = Math.PI / 180;
  const [r, p, y] = [(rpy.roll ?? 0) * d, (rpy.pitch ?? 0) * d, (rpy.yaw ?? 0) * d];
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(r), Math.sin(r), Math.cos(p), Math.sin(p), Math.cos(y), Math.sin(y)];
  return [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, -sp, cp * sr, cp * cr];
}

/** The smallest rotation taking the direction of `g` (mean specific force at rest) onto +z. */
export function gravityAlignment(g: readonly [number, number, number]): Rotation3 {
  const n = Math.hypot(g[0], g[1], g[2]);
  if (!(n > 0)) return IDENTITY;
  const [ax, ay, az] = [g[0] / n, g[1] / n, g[2] / n];
  // Rodrigues about k = a x z with cos = a.z; the antiparallel case turns about x.
  const c = az;
  if (c < -1 + 1e-12) return [1, 0, 0, 0, -1, 0, 0, 0, -1];
  const [kx, ky] = [ay, -ax];
  const f = 1 / (1 + c);
  return [1 - f * ky * ky + 0, f * kx * ky, ky, f * kx * ky, 1 - f * kx * kx, -kx, -ky, kx, c];
}

export function determinant(R: Rotation3): number {
  const [a, b, c, d, e, f, g, h, i] = R;
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** Parses a config value; "auto" stays symbolic (the windower estimates it). */
export function parseImuMounting(spec: ImuMountingSpec): Rotation3 | 'auto' {
  if (typeof spec === 'string') return spec.trim() === 'auto' ? 'auto' : rotationFromAxisMap(spec);
  return rotationFromRpyDegrees(spec);
}

export function isIdentity(R: Rotation3): boolean {
  return R.every((v, i) => Math.abs(v - (IDENTITY[i] as number)) < 1e-12);
}

/** A copy of `window` with force and rate rotated into the robot frame. */
export function rotateImuWindow(window: ImuWindow, R: Rotation3): ImuWindow {
  const n = window.count;
  const src = window.channels;
  const out = new Float32Array(src.length);
  for (const base of [0, 3]) {
    const x = src.subarray(base * n, (base + 1) * n);
    const y = src.subarray((base + 1) * n, (base + 2) * n);
    const z = src.subarray((base + 2) * n, (base + 3) * n);
    for (let row = 0; row < 3; row++) {
      const [r0, r1, r2] = [R[3 * row] as number, R[3 * row + 1] as number, R[3 * row + 2] as number];
      const o = (base + row) * n;
      for (let i = 0; i < n; i++) out[o + i] = r0 * (x[i] as number) + r1 * (y[i] as number) + r2 * (z[i] as number);
    }
  }
  return { ...window, channels: out };
}
