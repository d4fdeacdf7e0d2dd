import { describe, expect, it } from 'vitest';
import { decodeImu, imuAbsentFields, imuNotProvided } from '../../src/decode/imu.js';

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
  it('a field with covariance[0] = -1 is not provided: fed as zeros (accelerometer-only IMU); neither = skipped', () => {
    const accOnly = imu({ angular_velocity: { x: 0, y: 0, z: 0 }, angular_velocity_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(imuAbsentFields(accOnly)).toEqual(['angular_velocity']);
    expect(imuNotProvided(accOnly)).toBeUndefined();
    expect(decodeImu(accOnly, '/imu', 1n)).toMatchObject({ acc: [0.5, 0, 9.81], gyro: [0, 0, 0] });
    // REP-145 leaves the field's values undefined: whatever a driver leaves there is not used.
    const gyroOnly = imu({ linear_acceleration: { x: NaN, y: NaN, z: NaN }, linear_acceleration_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(decodeImu(gyroOnly, '/imu', 1n)).toMatchObject({ acc: [0, 0, 0], gyro: [0.1, -0.2, 0.3] });
    const neither = imu({ angular_velocity_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0], linear_acceleration_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(imuNotProvided(neither)).toMatch(/neither linear_acceleration nor angular_velocity provided/);
  });
  it('malformed: missing vector, non-finite values', () => {
    expect(() => decodeImu(imu({ angular_velocity: undefined }), '/imu', 0n)).toThrow(/angular_velocity: expected a message/);
    expect(() => decodeImu(imu({ linear_acceleration: { x: Number.NaN, y: 0, z: 0 } }), '/imu', 0n)).toThrow(/non-finite/);
  });
});
