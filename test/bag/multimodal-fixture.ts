/**
 * Builds a real multimodal rosbag2 MCAP with the project's writer: a stereo pair as cam0 frames
 * (sensor_msgs/Image mono8) and cam1 frames (CompressedImage png), one second of IMU readings as
 * sensor_msgs/Imu, one second of an ESC-10 clip as ros-drivers AudioDataStamped with its AudioInfo side
 * topic, and one truth record. The bag is generated into a temp dir by each test run.
 *
 * Where the shared data folder is here the cameras and IMU are EuRoC V1_01 (cam0, cam1 with its original
 * PNG bytes, the ADIS16448 at 200 Hz); EuRoC may not be copied into the repository, so elsewhere they are
 * built from the recordings the repository carries: 752x480 grey views cut from the rtabmap and TUM colour
 * frames (20 per camera, 20 Hz) and the x-io walk (about 400 Hz, converted to SI units), on EuRoC's clock.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { Ros2McapWriter, type Ros2McapWriterOptions } from '../../src/bag/mcap-writer.js';
import { toRosTime } from '../../src/core/ros-time.js';
import { dataFile, mustData } from '../helpers/data.js';

const EUROC = dataFile('camera_imu/euroc_v1_01_micro/mav0');
const WAV = mustData('audio/esc10/dog_bark__1-100032-A.wav');
/** EuRoC V1_01's first cam0 stamp: the bundled stand-in runs on the same clock. */
const BASE_STAMP = 1403715273262142976n;

export interface Expected {
  frames: Array<{ stamp: bigint; width: number; height: number; grey: Uint8Array }>;
  frames1: Array<{ stamp: bigint; width: number; height: number; grey: Uint8Array }>;
  imu: Array<{ stamp: bigint; gyro: [number, number, number]; acc: [number, number, number] }>;
  audio: { rate: number; chunkStamps: bigint[]; samples: Float32Array };
  truth: { stamp: bigint; text: string };
}

type Frame = Expected['frames'][number];
type ImuRow = Expected['imu'][number];

async function eurocFrames(euroc: string, cam: string): Promise<{ frames: Frame[]; png: Buffer[] }> {
  const csv = (await readFile(join(euroc, cam, 'data.csv'), 'utf8')).split('\n').filter((l) => /^\d/.test(l));
  const frames = await Promise.all(
    csv.map(async (line) => {
      const [ts, file] = line.trim().split(',');
      const { data, info } = await sharp(join(euroc, cam, 'data', file!)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== 1) throw new Error(`${file}: expected grey`);
      return { stamp: BigInt(ts!), width: info.width, height: info.height, grey: new Uint8Array(data) };
    }),
  );
  const png = await Promise.all(csv.map((l) => readFile(join(euroc, cam, 'data', l.trim().split(',')[1]!))));
  return { frames, png };
}

/** 20 grey 752x480 views (20 Hz) cut from the bundled colour frames; cam1 looks 40 px to the right of cam0. */
async function bundledFrames(cam: 'cam0' | 'cam1'): Promise<{ frames: Frame[]; png: Buffer[] }> {
  const sources = ['depth/rtabmap/rgb/17.jpg', 'depth/rtabmap/rgb/154.jpg', 'depth/tum/TUM_color.png'].map(mustData);
  const frames: Frame[] = [];
  const png: Buffer[] = [];
  for (let k = 0; k < 20; k++) {
    const left = (k * 7) % 60 + (cam === 'cam1' ? 40 : 0);
    const top = (k * 5) % 40;
    const view = sharp(sources[k % sources.length]!).extract({ left, top, width: 540, height: 400 }).resize(752, 480).toColourspace('b-w');
    const { data, info } = await view.raw().toBuffer({ resolveWithObject: true });
    const grey = new Uint8Array(data);
    frames.push({ stamp: BASE_STAMP + BigInt(k) * 50_000_000n, width: info.width, height: info.height, grey });
    png.push(await sharp(grey, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toBuffer());
  }
  return { frames, png };
}

function cameraFrames(cam: 'cam0' | 'cam1'): Promise<{ frames: Frame[]; png: Buffer[] }> {
  return EUROC !== undefined ? eurocFrames(EUROC, cam) : bundledFrames(cam);
}

/**
 * Real IMU readings in SI units (rad/s, m/s^2) with ns stamps from BASE_STAMP on: EuRoC's ADIS16448 where
 * the shared data is here, else the bundled x-io walk (deg/s and g converted) from its 10th second.
 */
export async function realImuRows(seconds: number): Promise<ImuRow[]> {
  const end = BASE_STAMP + BigInt(Math.round(seconds * 1e9));
  if (EUROC !== undefined) {
    return (await readFile(join(EUROC, 'imu0', 'data.csv'), 'utf8'))
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
      .filter((r) => r.stamp >= BASE_STAMP && r.stamp <= end);
  }
  const rad = Math.PI / 180;
  const g = 9.80665;
  return (await readFile(mustData('imu/xio_walk/short_walk.csv'), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number))
    .filter((v) => v[0]! >= 10)
    .map((v) => ({
      stamp: BASE_STAMP + BigInt(Math.round((v[0]! - 10) * 1e9)),
      gyro: [v[1]! * rad, v[2]! * rad, v[3]! * rad] as [number, number, number],
      acc: [v[4]! * g, v[5]! * g, v[6]! * g] as [number, number, number],
    }))
    .filter((r) => r.stamp <= end);
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
  const cam0 = (await cameraFrames('cam0')).frames;
  const { frames: cam1, png: png1 } = await cameraFrames('cam1');
  const t0 = cam0[0]!.stamp;
  const t1 = cam0[cam0.length - 1]!.stamp + 50_000_000n;
  if (t0 !== BASE_STAMP) throw new Error(`cam0 starts at ${t0}, expected ${BASE_STAMP}`);
  const imu = await realImuRows(Number(t1 - t0) / 1e9);
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
