/**
 * Writes plain recordings (a WAV's samples, an IMU log, a list of frames) as rosbag2 MCAP with the same
 * topics and message types as the simulator, so `replay`, `eval` and `calibrate` run the agent on them
 * exactly as on a robot's bag. Used to turn the real recordings in ../shared/data into event-free bags
 * for open-set evaluation and calibration (bench/open-set.mjs), and by the tests.
 */
import { Ros2McapWriter } from '../bag/mcap-writer.js';
import { toRosTime } from '../core/ros-time.js';
import { SensebindError } from '../core/errors.js';
import { DEFAULT_START_STAMP } from '../sim/simulator.js';
import { audioInfoMessage, DEFAULT_SIM_TOPICS, FRAME_IDS, SIM_TYPES } from '../sim/ros-messages.js';

export interface AudioRecording {
  /** Mono samples in [-1, 1] (clipped when written as 16-bit PCM). */
  samples: Float32Array;
  rate: number;
}

export interface ImuReading {
  /** Seconds from the start of the recording. */
  t: number;
  /** Specific force, m/s^2. */
  acc: readonly [number, number, number];
  /** Angular rate, rad/s. */
  gyro: readonly [number, number, number];
}

export interface FrameRecording {
  /** Seconds from the start of the recording. */
  t: number;
  width: number;
  height: number;
  /** Packed RGB8. */
  rgb: Uint8Array;
}

export interface RecordingBagInput {
  audio?: AudioRecording;
  imu?: ImuReading[];
  frames?: FrameRecording[];
  /** Agent-clock ns of t = 0. @default the simulator's start stamp */
  startStamp?: bigint;
  /** Audio samples per message. @default rate / 10 (100 ms) */
  audioChunk?: number;
}

type Item = { stamp: bigint; order: number; write: (w: Ros2McapWriter) => Promise<void> };

/** Writes one bag with whichever streams are given; returns its duration in seconds. */
export async function writeRecordingBag(path: string, input: RecordingBagInput): Promise<number> {
  const start = input.startStamp ?? DEFAULT_START_STAMP;
  const topics = DEFAULT_SIM_TOPICS;
  const at = (t: number) => start + BigInt(Math.round(t * 1e9));
  const items: Item[] = [];
  let duration = 0;
  const { audio, imu, frames } = input;
  if (audio === undefined && (imu === undefined || imu.length === 0) && (frames === undefined || frames.length === 0)) {
    throw new SensebindError('INPUT', `${path}: a recording bag needs audio, IMU readings or frames`);
  }
  if (audio !== undefined) {
    if (!(audio.rate > 0)) throw new SensebindError('INPUT', `${path}: audio rate must be positive, got ${audio.rate}`);
    const chunk = input.audioChunk ?? Math.max(1, Math.round(audio.rate / 10));
    for (let i = 0; i < audio.samples.length; i += chunk) {
      const part = audio.samples.subarray(i, Math.min(audio.samples.length, i + chunk));
      const pcm = new Int16Array(part.length);
      for (let k = 0; k < part.length; k++) pcm[k] = Math.max(-32768, Math.min(32767, Math.round((part[k] as number) * 32768)));
      const stamp = at(i / audio.rate);
      items.push({
        stamp,
        order: 3,
        write: (w) => w.write(topics.audio, stamp, { header: { stamp: toRosTime(stamp), frame_id: FRAME_IDS.audio }, audio: { data: new Uint8Array(pcm.buffer) } }),
      });
    }
    duration = Math.max(duration, audio.samples.length / audio.rate);
  }
  for (const r of imu ?? []) {
    const stamp = at(r.t);
    items.push({
      stamp,
      order: 4,
      write: (w) =>
        w.write(topics.imu, stamp, {
          header: { stamp: toRosTime(stamp), frame_id: FRAME_IDS.imu },
          orientation: { x: 0, y: 0, z: 0, w: 1 },
          orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
          angular_velocity: { x: r.gyro[0], y: r.gyro[1], z: r.gyro[2] },
          angular_velocity_covariance: new Array(9).fill(0),
          linear_acceleration: { x: r.acc[0], y: r.acc[1], z: r.acc[2] },
          linear_acceleration_covariance: new Array(9).fill(0),
        }),
    });
    duration = Math.max(duration, r.t);
  }
  for (const f of frames ?? []) {
    if (f.rgb.length !== f.width * f.height * 3) throw new SensebindError('INPUT', `${path}: frame at ${f.t} s has ${f.rgb.length} bytes, expected ${f.width}x${f.height}x3`);
    const stamp = at(f.t);
    items.push({
      stamp,
      order: 1,
      write: (w) =>
        w.write(topics.image, stamp, {
          header: { stamp: toRosTime(stamp), frame_id: FRAME_IDS.color },
          height: f.height,
          width: f.width,
          encoding: 'rgb8',
          is_bigendian: 0,
          step: f.width * 3,
          data: f.rgb,
        }),
    });
    duration = Math.max(duration, f.t);
  }
  items.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.order - b.order));
  const writer = await Ros2McapWriter.open(path);
  try {
    if (frames !== undefined && frames.length > 0) writer.addTopic(topics.image, SIM_TYPES.image, { reliability: 'best_effort', depth: 5 });
    if (imu !== undefined && imu.length > 0) writer.addTopic(topics.imu, SIM_TYPES.imu, { reliability: 'best_effort', depth: 5 });
    if (audio !== undefined) {
      writer.addTopic(topics.audio, SIM_TYPES.audio, { reliability: 'reliable', depth: 10 });
      writer.addTopic(topics.audioInfo, SIM_TYPES.audioInfo, { reliability: 'reliable', durability: 'transient_local', depth: 1 });
      await writer.write(topics.audioInfo, start - 1n, audioInfoMessage(audio.rate));
    }
    for (const item of items) await item.write(writer);
  } finally {
    await writer.close();
  }
  return duration;
}

/** White noise (uniform) whose RMS level is `dbfs`; seeded, so a test is repeatable. */
export function whiteNoise(seconds: number, rate: number, dbfs: number, seed = 1): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  // Uniform in [-a, a] has RMS a / sqrt(3).
  const a = Math.sqrt(3) * 10 ** (dbfs / 20);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = a * (((s >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
}

/** Scales `samples` in place so their RMS level is `dbfs` (digital silence stays silent). */
export function setLevel(samples: Float32Array, dbfs: number): Float32Array {
  let sq = 0;
  for (let i = 0; i < samples.length; i++) sq += (samples[i] as number) ** 2;
  if (sq === 0) return samples;
  const k = 10 ** (dbfs / 20) / Math.sqrt(sq / samples.length);
  for (let i = 0; i < samples.length; i++) samples[i] = (samples[i] as number) * k;
  return samples;
}
