/**
 * sensor_msgs/Imu -> ImuSample. Orientation is not used (the models take raw rates and specific force).
 * Covariance conventions (sensor_msgs/Imu.msg): all zeros = covariance unknown (the value is still
 * valid); element 0 = -1 = the field is not provided, so the reading cannot become a 6-axis sample.
 */
import type { ImuSample } from '../core/types.js';
import { bad, numbers, vec3, type Fields } from './fields.js';

/** Why a well-formed Imu message carries no usable reading, or undefined when it does. */
export function imuNotProvided(msg: Fields): string | undefined {
  for (const [field, cov] of [
    ['linear_acceleration', 'linear_acceleration_covariance'],
    ['angular_velocity', 'angular_velocity_covariance'],
  ] as const) {
    const c = msg[cov];
    if (c !== undefined && numbers(msg, cov)[0] === -1) return `${field} not provided (${cov}[0] = -1)`;
  }
  return undefined;
}

export function decodeImu(msg: Fields, sensorId: string, stamp: bigint): ImuSample {
  const acc = vec3(msg, 'linear_acceleration');
  const gyro = vec3(msg, 'angular_velocity');
  if (![...acc, ...gyro].every(Number.isFinite)) bad(`non-finite reading: acc ${acc.join(',')} gyro ${gyro.join(',')}`);
  return { modality: 'imu', sensorId, stamp, acc, gyro };
}
