/**
 * Simulator items as ROS 2 message objects (the field names of the .msg files, the shape
 * @foxglove/rosmsg2-serialization writes and rclnodejs delivers). The bag writer serialises exactly these,
 * and the dataset exporter feeds exactly these to the project's MessageConverter, so training data takes
 * the same decode path as a replayed bag.
 */
import { toRosTime } from '../core/ros-time.js';
import type { SimItem } from './simulator.js';
import { TRUTH_TOPIC } from './truth.js';

export interface SimTopics {
  image: string;
  depth: string;
  imu: string;
  audio: string;
  audioInfo: string;
  truth: string;
}

export const DEFAULT_SIM_TOPICS: SimTopics = {
  image: '/camera/color/image_raw',
  depth: '/camera/depth/image_rect_raw',
  imu: '/imu/data_raw',
  audio: '/audio/audio',
  audioInfo: '/audio/audio_info',
  truth: TRUTH_TOPIC,
};

export const SIM_TYPES = {
  image: 'sensor_msgs/msg/Image',
  depth: 'sensor_msgs/msg/Image',
  imu: 'sensor_msgs/msg/Imu',
  audio: 'audio_common_msgs/msg/AudioDataStamped',
  audioInfo: 'audio_common_msgs/msg/AudioInfo',
  truth: 'std_msgs/msg/String',
} as const satisfies Record<keyof SimTopics, string>;

export const FRAME_IDS = { color: 'camera_color_optical_frame', depth: 'camera_depth_optical_frame', imu: 'imu_link', audio: 'microphone' };

export interface RosMessageOut {
  role: keyof SimTopics;
  topic: string;
  type: string;
  message: object;
}

/** The AudioInfo of the simulated microphone (ros-drivers layout, published once, latched). */
export function audioInfoMessage(rate: number): object {
  return { channels: 1, sample_rate: rate, sample_format: 'S16LE', bitrate: rate * 16, coding_format: 'WAVE' };
}

function covarianceDiag(v: number): number[] {
  return [v, 0, 0, 0, v, 0, 0, 0, v];
}

export function toRosMessage(item: SimItem, topics: SimTopics = DEFAULT_SIM_TOPICS): RosMessageOut {
  switch (item.kind) {
    case 'image':
      return {
        role: 'image',
        topic: topics.image,
        type: SIM_TYPES.image,
        message: {
          header: { stamp: toRosTime(item.stamp), frame_id: FRAME_IDS.color },
          height: item.height,
          width: item.width,
          encoding: 'rgb8',
          is_bigendian: 0,
          step: item.width * 3,
          data: item.rgb,
        },
      };
    case 'depth':
      return {
        role: 'depth',
        topic: topics.depth,
        type: SIM_TYPES.depth,
        message: {
          header: { stamp: toRosTime(item.stamp), frame_id: FRAME_IDS.depth },
          height: item.height,
          width: item.width,
          encoding: '16UC1',
          is_bigendian: 0,
          step: item.width * 2,
          data: new Uint8Array(item.mm.buffer, item.mm.byteOffset, item.mm.byteLength),
        },
      };
    case 'imu':
      return {
        role: 'imu',
        topic: topics.imu,
        type: SIM_TYPES.imu,
        message: {
          header: { stamp: toRosTime(item.stamp), frame_id: FRAME_IDS.imu },
          orientation: { x: 0, y: 0, z: 0, w: 1 },
          // element 0 = -1: no orientation estimate (raw IMU)
          orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
          angular_velocity: { x: item.gyro[0], y: item.gyro[1], z: item.gyro[2] },
          angular_velocity_covariance: covarianceDiag(1e-5),
          linear_acceleration: { x: item.acc[0], y: item.acc[1], z: item.acc[2] },
          linear_acceleration_covariance: covarianceDiag(1e-3),
        },
      };
    case 'audio':
      return {
        role: 'audio',
        topic: topics.audio,
        type: SIM_TYPES.audio,
        message: {
          header: { stamp: toRosTime(item.stamp), frame_id: FRAME_IDS.audio },
          audio: { data: new Uint8Array(item.pcm.buffer, item.pcm.byteOffset, item.pcm.byteLength) },
        },
      };
    case 'truth':
      return { role: 'truth', topic: topics.truth, type: SIM_TYPES.truth, message: { data: JSON.stringify(item.truth) } };
  }
}
