/**
 * Turns decoded Samples back into ROS 2 messages for event clips, so a clip is an ordinary rosbag2 MCAP
 * that Foxglove shows and `sensebind replay` reads with the same converters as any recorded bag.
 * Lossless choices: RGB frames as rgb8 Images, depth and thermal as 32FC1 (metres / sensor units), audio as
 * mgonzs13 `AudioStamped` with float32 samples (no requantisation), IMU as sensor_msgs/Imu with the
 * orientation marked "not provided" (covariance[0] = -1, REP-145).
 */
import type { Sample, SensorModality, StampNs } from '../core/types.js';

export const EVENTS_TOPIC = '/sensebind/events';
export const EVENTS_TYPE = 'std_msgs/msg/String';

/** The ROS 2 type each modality is written as. */
export const CLIP_TYPES: Record<SensorModality, string> = {
  vision: 'sensor_msgs/msg/Image',
  depth: 'sensor_msgs/msg/Image',
  thermal: 'sensor_msgs/msg/Image',
  audio: 'audio_common_msgs/msg/AudioStamped',
  imu: 'sensor_msgs/msg/Imu',
};

/** PortAudio's paFloat32, the format flag mgonzs13/audio_common uses. */
const PA_FLOAT32 = 1;

/** A sensor id that is a ROS topic stays one; anything else (serial port, file) becomes /sensebind/<modality>/<id>. */
export function clipTopic(sample: Pick<Sample, 'sensorId' | 'modality'>): string {
  const rosLike = /^\/[A-Za-z0-9_/~]+$/.test(sample.sensorId) && !sample.sensorId.endsWith('/');
  if (rosLike && !sample.sensorId.startsWith('/dev/')) return sample.sensorId;
  const id = sample.sensorId.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'sensor';
  return `/sensebind/${sample.modality}/${id}`;
}

function rosTime(stamp: StampNs): { sec: number; nanosec: number } {
  return { sec: Number(stamp / 1_000_000_000n), nanosec: Number(stamp % 1_000_000_000n) };
}

function header(sample: Sample) {
  return { stamp: rosTime(sample.stamp), frame_id: `${sample.modality}_link` };
}

function floatBytes(values: Float32Array): Uint8Array {
  // Float32Array is host-endian; every platform sensebind targets (x64, arm64) is little-endian.
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Bytes a sample holds in memory (payload only; the pre-roll cap counts these). */
export function sampleBytes(sample: Sample): number {
  switch (sample.modality) {
    case 'vision':
      return sample.rgb.byteLength + 64;
    case 'depth':
      return sample.metres.byteLength + 64;
    case 'thermal':
      return sample.values.byteLength + 64;
    case 'audio':
      return sample.samples.byteLength + 64;
    case 'imu':
      return 112;
  }
}

/** The message object for Ros2McapWriter.write (field names as in the .msg). */
export function sampleMessage(sample: Sample): object {
  switch (sample.modality) {
    case 'vision':
      return {
        header: header(sample), height: sample.height, width: sample.width, encoding: 'rgb8',
        is_bigendian: 0, step: sample.width * 3, data: sample.rgb,
      };
    case 'depth':
      return {
        header: header(sample), height: sample.height, width: sample.width, encoding: '32FC1',
        is_bigendian: 0, step: sample.width * 4, data: floatBytes(sample.metres),
      };
    case 'thermal':
      return {
        header: header(sample), height: sample.height, width: sample.width, encoding: '32FC1',
        is_bigendian: 0, step: sample.width * 4, data: floatBytes(sample.values),
      };
    case 'audio':
      return {
        header: header(sample),
        audio: {
          audio_data: {
            float32_data: sample.samples, int32_data: new Int32Array(0), int16_data: new Int16Array(0),
            int8_data: new Int8Array(0), uint8_data: new Uint8Array(0),
          },
          info: { format: PA_FLOAT32, channels: 1, rate: sample.rate, chunk: sample.samples.length },
        },
      };
    case 'imu': {
      const [ax, ay, az] = sample.acc;
      const [gx, gy, gz] = sample.gyro;
      const unknown = [0, 0, 0, 0, 0, 0, 0, 0, 0];
      return {
        header: header(sample),
        orientation: { x: 0, y: 0, z: 0, w: 1 },
        orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
        angular_velocity: { x: gx, y: gy, z: gz },
        angular_velocity_covariance: unknown,
        linear_acceleration: { x: ax, y: ay, z: az },
        linear_acceleration_covariance: unknown,
      };
    }
  }
}
