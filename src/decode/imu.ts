/**
 * sensor_msgs/Imu -> ImuSample. Orientation is not used (the models take raw rates and specific force).
 * Covariance conventions (sensor_msgs/Imu.msg, REP-145): all zeros = covariance unknown (the value is
 * still valid); element 0 = -1 = the field is not provided. An accelerometer-only IMU (gyro not provided)
 * or a gyro-only one is still used: the absent field is fed to the model as zeros (its rates or force read
 * as "none"), so the IMU embedding rests on the field that is there; the converter logs this once per
 * topic. A message with neither field carries no reading and is skipped.
 */
import type { ImuSample } from '../core/types.js';
import { bad, numbers, vec3, type Fields } from './fields.js';

export type ImuField = 'linear_acceleration' | 'angular_velocity';

const FIELDS = [
  ['linear_acceleration', 'linear_acceleration_covariance'],
  ['angular_velocity', 'angular_velocity_covariance'],
] as const;

/** The fields a well-formed Imu message marks as not provided (covariance[0] = -1). */
export function imuAbsentFields(msg: Fields): ImuField[] {
  return FIELDS.filter(([, cov]) => msg[cov] !== undefined && numbers(msg, cov)[0] === -1).map(([field]) => field);
}

/** Why a well-formed Imu message carries no usable reading (neither field provided), or undefined when it does. */
export function imuNotProvided(msg: Fields): string | undefined {
  const absent = imuAbsentFields(msg);
  if (absent.length < FIELDS.length) return undefined;
  return 'neither linear_acceleration nor angular_velocity provided (covariance[0] = -1 on both)';
}

export function decodeImu(msg: Fields, sensorId: string, stamp: bigint): ImuSample {
  const absent = imuAbsentFields(msg);
  const acc = absent.includes('linear_acceleration') ? ([0, 0, 0] as [number, number, number]) : vec3(msg, 'linear_acceleration');
  const gyro = absent.includes('angular_velocity') ? ([0, 0, 0] as [number, number, number]) : vec3(msg, 'angular_velocity');
  if (![...acc, ...gyro].every(Number.isFinite)) bad(`non-finite reading: acc ${acc.join(',')} gyro ${gyro.join(',')}`);
  return { modality: 'imu', sensorId, stamp, acc, gyro };
}
