/**
 * Builds a real multimodal rosbag2 MCAP from ../shared/data with the project's writer: EuRoC V1_01 cam0
 * frames as sensor_msgs/Image mono8, cam1 frames as CompressedImage png (the original PNG bytes), the
 * ADIS16448 imu0 readings over the same second as sensor_msgs/Imu, one second of an ESC-10 clip as
 * ros-drivers AudioDataStamped with its AudioInfo side topic, and one truth record. EuRoC data may not be
 * copied into the repository, so the bag is generated into a temp dir by each test run.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { Ros2McapWriter, type Ros2McapWriterOptions } from '../../src/bag/mcap-writer.js';
import { toRosTime } from '../../src/core/ros-time.js';

const EUROC = resolve('../shared/data/camera_imu/euroc_v1_01_micro/mav0');
const WAV = resolve('../shared/data/audio/esc10/dog_bark__1-100032-A.wav');

export interface Expected {
  frames: Array<{ stamp: bigint; width: number; height: number; grey: Uint8Array }>;
  frames1: Array<{ stamp: bigint; width: number; height: number; grey: Uint8Array }>;
  imu: Array<{ stamp: bigint; gyro: [number, number, number]; acc: [number, number, number] }>;
  audio: { rate: number; chunkStamps: bigint[]; samples: Float32Array };
  truth: { stamp: bigint; text: string };
}

async function frames(cam: string): Promise<Expected['frames']> {
  const csv = (await readFile(join(EUROC, cam, 'data.csv'), 'utf8')).split('\n').filter((l) => /^\d/.test(l));
  return Promise.all(
    csv.map(async (line) => {
      const [ts, file] = line.trim().split(',');
      const { data, info } = await sharp(join(EUROC, cam, 'data', file!)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 1) throw new Error(`${file}: expected grey`);
      return { stamp: BigInt(ts!), width: info.width, height: info.height, grey: new Uint8Array(data) };
    }),
  );
}

function readWavS16Mono(buf: Buffer): { rate: number; pcm: Buffer } {
  let at = 12;
  let rate = 0;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (buf.readUInt16LE(at + 10) !== 1 || buf.readUInt16LE(at + 22) !== 16) throw new Error('expected mono 16-bit');
      rate = buf.readUInt32LE(at + 12);
    }
    if (id === 'data') return { rate, pcm: buf.subarray(at + 8, at + 8 + size) };
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

export const TOPICS = {
  cam0: '/cam0/image_raw',
  cam1: '/cam1/image_raw/compressed',
  imu: '/imu0',
  audio: '/audio/audio',
  audioInfo: '/audio/audio_info',
  truth: '/sensebind/truth',
};

export async function writeMultimodalBag(path: string, options: Ros2McapWriterOptions = {}): Promise<Expected> {
  const cam0 = await frames('cam0');
  const cam1 = await frames('cam1');
  const png1 = await Promise.all(
    (await readFile(join(EUROC, 'cam1', 'data.csv'), 'utf8'))
      .split('\n')
      .filter((l) => /^\d/.test(l))
      .map((l) => readFile(join(EUROC, 'cam1', 'data', l.trim().split(',')[1]!))),
  );
  const t0 = cam0[0]!.stamp;
  const t1 = cam0[cam0.length - 1]!.stamp + 50_000_000n;
  const imu = (await readFile(join(EUROC, 'imu0', 'data.csv'), 'utf8'))
    .split('\n')
    .filter((l) => /^\d/.test(l))
    .map((l) => {
      const v = l.trim().split(',');
      return {
        stamp: BigInt(v[0]!),
        gyro: [Number(v[1]), Number(v[2]), Number(v[3])] as [number, number, number],
        acc: [Number(v[4]), Number(v[5]), Number(v[6])] as [number, number, number],
      };
    })
    .filter((r) => r.stamp >= t0 && r.stamp <= t1);
  const { rate, pcm } = readWavS16Mono(await readFile(WAV));
  const chunk = rate / 10; // 100 ms per message
  const chunkStamps: bigint[] = [];
  const samples = new Float32Array(chunk * 10);
  for (let i = 0; i < samples.length; i++) samples[i] = pcm.readInt16LE(2 * i) / 32768;

  const w = await Ros2McapWriter.open(path, options);
  w.addTopic(TOPICS.cam0, 'sensor_msgs/msg/Image', { reliability: 'best_effort', depth: 5 });
  w.addTopic(TOPICS.cam1, 'sensor_msgs/msg/CompressedImage', { reliability: 'best_effort', depth: 5 });
  w.addTopic(TOPICS.imu, 'sensor_msgs/msg/Imu', { reliability: 'best_effort', depth: 5 });
  w.addTopic(TOPICS.audioInfo, 'audio_common_msgs/msg/AudioInfo', { durability: 'transient_local', depth: 1 });
  w.addTopic(TOPICS.audio, 'audio_common_msgs/msg/AudioDataStamped');
  w.addTopic(TOPICS.truth, 'std_msgs/msg/String');
  type Ev = { stamp: bigint; write: () => Promise<void> };
  const events: Ev[] = [];
  const header = (stamp: bigint, frame_id: string) => ({ stamp: toRosTime(stamp), frame_id });
  events.push({
    stamp: t0 - 1n,
    write: () => w.write(TOPICS.audioInfo, t0 - 1n, { channels: 1, sample_rate: rate, sample_format: 'S16LE', bitrate: rate * 16, coding_format: 'WAVE' }),
  });
  cam0.forEach((f) =>
    events.push({
      stamp: f.stamp,
      write: () => w.write(TOPICS.cam0, f.stamp, { header: header(f.stamp, 'cam0'), height: f.height, width: f.width, encoding: 'mono8', is_bigendian: 0, step: f.width, data: f.grey }),
    }),
  );
  cam1.forEach((f, k) =>
    events.push({ stamp: f.stamp, write: () => w.write(TOPICS.cam1, f.stamp, { header: header(f.stamp, 'cam1'), format: 'png', data: png1[k]! }) }),
  );
  imu.forEach((r) =>
    events.push({
      stamp: r.stamp,
      write: () =>
        w.write(TOPICS.imu, r.stamp, {
          header: header(r.stamp, 'imu4'),
          orientation: { x: 0, y: 0, z: 0, w: 1 },
          orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
          angular_velocity: { x: r.gyro[0], y: r.gyro[1], z: r.gyro[2] },
          angular_velocity_covariance: new Array(9).fill(0),
          linear_acceleration: { x: r.acc[0], y: r.acc[1], z: r.acc[2] },
          linear_acceleration_covariance: new Array(9).fill(0),
        }),
    }),
  );
  for (let k = 0; k < 10; k++) {
    // header stamp = first sample; published when the chunk is complete (log time 100 ms later)
    const first = t0 + BigInt(k) * 100_000_000n;
    chunkStamps.push(first);
    const bytes = pcm.subarray(2 * k * chunk, 2 * (k + 1) * chunk);
    events.push({ stamp: first + 100_000_000n, write: () => w.write(TOPICS.audio, first + 100_000_000n, { header: header(first, 'mic'), audio: { data: bytes } }) });
  }
  const truth = { stamp: t0 + 500_000_000n, text: '{"concept":"dog barking","start":true}' };
  events.push({ stamp: truth.stamp, write: () => w.write(TOPICS.truth, truth.stamp, { data: truth.text }) });
  events.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
  for (const e of events) await e.write();
  await w.close();
  return { frames: cam0, frames1: cam1, imu, audio: { rate, chunkStamps, samples }, truth };
}
