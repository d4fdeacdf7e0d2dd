/**
 * The IMU track of a whole run from a motion model. The IMU is bolted to the camera, so its orientation
 * and height come from the same pose the renderers use (world.ts): a tipped camera image and a tipped
 * gravity vector always agree. On top: wheel vibration while driving, impact pulses, hand tremor while
 * held, floor vibration from a slammed door, white noise and a constant gyro bias.
 * Output follows sensor_msgs/Imu: specific force in m/s^2 (+g on the up axis at rest), rad/s, body frame
 * x forward, y left, z up (REP-103).
 */
import { Rng } from './rng.js';
import { isDriving, type Script } from './script.js';
import { worldAt } from './world.js';

const GRAVITY = 9.80665;

export interface ImuTrack {
  rate: number;
  /** Per reading: ax, ay, az, gx, gy, gz (interleaved, 6 per reading). */
  data: Float64Array;
  count: number;
}

export function synthesizeImu(script: Script, rate: number): ImuTrack {
  const count = Math.floor(script.duration * rate);
  const dt = 1 / rate;
  const s = script.setup;
  const rng = Rng.derive(script.seed, 'imu');
  // Body roll/pitch and height at every reading (+1 on both sides for derivatives).
  const roll = new Float64Array(count + 2);
  const pitch = new Float64Array(count + 2);
  const height = new Float64Array(count + 2);
  for (let i = 0; i < count + 2; i++) {
    const pose = worldAt(script, Math.max(0, (i - 1) * dt)).pose;
    // camera roll turns image content clockwise = the body rolls to the left (negative REP-103 roll)
    roll[i] = -(pose.roll - s.cameraRoll);
    pitch[i] = pose.pitch - s.cameraPitch;
    height[i] = pose.height;
  }
  const data = new Float64Array(count * 6);
  let vib = [0, 0, 0];
  let tremor = [0, 0, 0];
  let yawRate = 0;
  for (let i = 0; i < count; i++) {
    const t = i * dt;
    const j = i + 1;
    const r = roll[j] as number;
    const p = pitch[j] as number;
    const az = ((height[j + 1] as number) - 2 * (height[j] as number) + (height[j - 1] as number)) * rate * rate;
    const aw = [0, 0, az];
    const driving = isDriving(script, t);
    if (driving) {
      vib = vib.map((v) => v + 0.5 * (rng.normal() - v));
      aw[0] = (aw[0] as number) + 0.25 * (vib[0] as number) + 0.05 * Math.sin(2 * Math.PI * 0.3 * t);
      aw[1] = (aw[1] as number) + 0.15 * (vib[1] as number);
      aw[2] = (aw[2] as number) + 0.35 * (vib[2] as number) + 0.12 * Math.sin(2 * Math.PI * 24 * t);
      yawRate += 0.02 * (0.15 * Math.sin(2 * Math.PI * 0.05 * t + script.seed) - yawRate);
    } else {
      yawRate += 0.05 * (0 - yawRate);
    }
    for (const e of script.events) {
      if (t < e.start || t >= e.end + 0.5) continue;
      const tau = t - e.start;
      switch (e.kind) {
        case 'collision': {
          const ti = tau - (e.p.impact ?? 1);
          const k = e.p.strength ?? 1;
          if (ti >= 0 && ti < 0.06) aw[0] = (aw[0] as number) - 24 * k * Math.sin((Math.PI * ti) / 0.06);
          if (ti >= 0 && ti < 0.04) aw[2] = (aw[2] as number) + 6 * k * Math.sin((Math.PI * ti) / 0.04);
          if (ti >= 0.06 && ti < 0.5) aw[0] = (aw[0] as number) + 3 * k * Math.exp(-(ti - 0.06) / 0.08) * Math.sin(2 * Math.PI * 15 * ti);
          break;
        }
        case 'tipping_over': {
          const tl = tau - (e.p.fall ?? 1) - (e.p.fallTime ?? 0.7);
          if (tl >= 0 && tl < 0.05) {
            aw[1] = (aw[1] as number) + 14 * (e.p.side ?? 1) * Math.sin((Math.PI * tl) / 0.05);
            aw[2] = (aw[2] as number) + 10 * Math.sin((Math.PI * tl) / 0.05);
          }
          break;
        }
        case 'picked_up':
          if (tau >= (e.p.lift ?? 0.4) && t < e.end - 0.2) {
            tremor = tremor.map((v) => v + 0.05 * (rng.normal() - v));
            for (let a = 0; a < 3; a++) aw[a] = (aw[a] as number) + 2.2 * (tremor[a] as number);
            yawRate = 0.25 * Math.sin(2 * Math.PI * (e.p.swayHz ?? 0.5) * 0.7 * tau);
          }
          break;
        case 'door_slam': {
          const ts = tau - (e.p.slam ?? 0.3);
          if (ts >= 0 && ts < 0.4) {
            const k = 1.1 * (e.p.strength ?? 1) * Math.exp(-ts / 0.07);
            aw[0] = (aw[0] as number) + k * (rng.next() * 2 - 1);
            aw[1] = (aw[1] as number) + k * (rng.next() * 2 - 1);
            aw[2] = (aw[2] as number) + 1.5 * k * (rng.next() * 2 - 1);
          }
          break;
        }
        default:
          break;
      }
    }
    // specific force in the body frame: R^T (a_world + g z), R = Ry(pitch) Rx(roll), pitch positive nose down
    const fx = aw[0] as number;
    const fy = aw[1] as number;
    const fz = (aw[2] as number) + GRAVITY;
    const cr = Math.cos(r);
    const sr = Math.sin(r);
    const cp = Math.cos(p);
    const sp = Math.sin(p);
    // Ry(pitch)^T then Rx(roll)^T
    const x1 = cp * fx - sp * fz;
    const z1 = sp * fx + cp * fz;
    const bx = x1;
    const by = cr * fy + sr * z1;
    const bz = -sr * fy + cr * z1;
    const gx = ((roll[j + 1] as number) - (roll[j - 1] as number)) * rate * 0.5;
    const gy = ((pitch[j + 1] as number) - (pitch[j - 1] as number)) * rate * 0.5;
    const o = i * 6;
    data[o] = bx + s.accNoise * rng.normal();
    data[o + 1] = by + s.accNoise * rng.normal();
    data[o + 2] = bz + s.accNoise * rng.normal();
    data[o + 3] = gx + (s.gyroBias[0] as number) + s.gyroNoise * rng.normal() + (driving ? 0.02 * (vib[1] as number) : 0);
    data[o + 4] = gy + (s.gyroBias[1] as number) + s.gyroNoise * rng.normal() + (driving ? 0.02 * (vib[0] as number) : 0);
    data[o + 5] = yawRate + (s.gyroBias[2] as number) + s.gyroNoise * rng.normal();
  }
  return { rate, data, count };
}
