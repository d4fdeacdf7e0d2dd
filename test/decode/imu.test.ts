import { describe, expect, it } from 'vitest';
import { decodeImu, imuNotProvided } from '../../src/decode/imu.js';

const imu = (over: Record<string, unknown> = {}) => ({
  header: { stamp: { sec: 2, nanosec: 0 }, frame_id: 'imu_link' },
  orientation: { x: 0, y: 0, z: 0, w: 1 },
  orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
  angular_velocity: { x: 0.1, y: -0.2, z: 0.3 },
  angular_velocity_covariance: new Float64Array(9),
  linear_acceleration: { x: 0.5, y: 0, z: 9.81 },
  linear_acceleration_covariance: new Float64Array(9),
  ...over,
});

describe('sensor_msgs/Imu', () => {
  it('takes specific force and rates as given (orientation not provided is fine)', () => {
    const m = imu();
    expect(imuNotProvided(m)).toBeUndefined();
    expect(decodeImu(m, '/imu', 9n)).toEqual({ modality: 'imu', sensorId: '/imu', stamp: 9n, acc: [0.5, 0, 9.81], gyro: [0.1, -0.2, 0.3] });
  });
  it('a field with covariance[0] = -1 is not provided', () => {
    expect(imuNotProvided(imu({ angular_velocity_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0] }))).toMatch(/angular_velocity not provided/);
    expect(imuNotProvided(imu({ linear_acceleration_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0] }))).toMatch(/linear_acceleration not provided/);
  });
  it('malformed: missing vector, non-finite values', () => {
    expect(() => decodeImu(imu({ angular_velocity: undefined }), '/imu', 0n)).toThrow(/angular_velocity: expected a message/);
    expect(() => decodeImu(imu({ linear_acceleration: { x: Number.NaN, y: 0, z: 0 } }), '/imu', 0n)).toThrow(/non-finite/);
  });
});
