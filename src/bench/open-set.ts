/**
 * `node bench/open-set.mjs <corpus|levels> --out <dir>`: the bags behind the open-set figures.
 *
 * corpus: event-free rosbag2 MCAPs from the real recordings in ../shared/data (none of the sounds,
 *   motions or scenes is one of the simulator's events: dog barks and speech are left out), split by
 *   file into a calibration set and a held-out set (never the same recording on both sides), plus the
 *   ROS 1 IMU bags, which replay as they are. Writes <out>/calibration.txt and <out>/heldout.txt (one
 *   bag path per line) for `sensebind calibrate` and `sensebind eval`, and <out>/training.txt (the
 *   calibration side plus a silence-and-noise bag) for bind-mini's "no event" training windows, and
 *   <out>/heldout-gains.txt (the held-out sounds at -20, -10 and +10 dB).
 * levels: simulator scenes (seeds from --seeds) whose microphone track is scaled by 0, -10, -20 and
 *   -30 dB, and the same scenes with a real background recording (--background, at -45 dBFS) mixed
 *   under them, for the audio recall table (frames are tiny: score with --drop vision,depth,imu).
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { writeRecordingBag, type FrameRecording, type ImuReading } from '../eval/recording-bag.js';
import { readWav } from '../preprocess/wav.js';
import { writeSimulationBag } from '../sim/bag.js';
import { createSimulation, type SimItem } from '../sim/simulator.js';

const DATA = resolve('../shared/data');
const G = 9.80665;
const RAD = Math.PI / 180;

/** Gains at which the held-out sounds are also written (heldout-gains.txt). */
const HELDOUT_GAINS_DB = [-20, -10, 10] as const;

/** Calibration / held-out by file; kinds of life (vehicle, hand-held, walk, room sound) on both sides. */
export const SPLIT = {
  calibration: {
    ros1: ['robot_localization_test1.bag', 'imu_tools_ardrone_imu.bag', 'imu_tools_phidgets_imu_upside_down.bag'],
    xio: ['long_walk.csv'],
    audio: [
      'background/doing_the_dishes.wav',
      'background/running_tap.wav',
      'freesound/applause.wav',
      'freesound/birds1.wav',
      'freesound/car_engine.wav',
      'freesound/rain.wav',
      'freesound/thunder.wav',
    ],
    /** ESC-10 clips (5 s each) played one after another with 2 s of silence between. */
    escSequence: ['baby_cry__1-187207-A', 'chainsaw__1-116765-A', 'clock_tick__1-35687-A', 'fire_crackling__1-17808-A', 'helicopter__1-172649-A', 'person_sneeze__1-54505-A', 'rain__1-17367-A', 'rooster__1-27724-A', 'sea_waves__2-125966-A'],
    frames: ['rtabmap'],
  },
  heldout: {
    ros1: ['robot_localization_test2.bag', 'imu_tools_sparkfun_razor.bag'],
    xio: ['short_walk.csv'],
    assist: true,
    /** EuRoC V1_01's ADIS16448 (200 Hz, 146 s of a MAV flight; mounted with gravity on +x). */
    eurocImu: true,
    audio: ['background/dude_miaowing.wav', 'background/exercise_bike.wav', 'freesound/crowd_cheering.wav', 'freesound/snoring.wav', 'freesound/train.wav', 'freesound/typing.wav'],
    escSequence: ['baby_cry__1-211527-A', 'chainsaw__1-47250-A', 'clock_tick__1-42139-A', 'fire_crackling__1-17808-B', 'helicopter__1-172649-B', 'person_sneeze__1-59324-A', 'rain__1-21189-A', 'rooster__1-34119-A', 'sea_waves__2-133863-A'],
    frames: ['euroc', 'tum'],
  },
} as const;

async function xioWalk(file: string): Promise<ImuReading[]> {
  const lines = (await readFile(join(DATA, 'imu/xio_walk', file), 'utf8')).trim().split('\n').slice(1);
  let last = -Infinity;
  const out: ImuReading[] = [];
  for (const l of lines) {
    const v = l.split(',').map(Number);
    const t = v[0] as number;
    if (!(t > last)) continue; // the log repeats its first stamp
    last = t;
    out.push({ t, gyro: [v[1]! * RAD, v[2]! * RAD, v[3]! * RAD], acc: [v[4]! * G, v[5]! * G, v[6]! * G] });
  }
  return out;
}

/** ASSIST stairs, the tag's accelerometer (g) only: no gyro in the recording, so rates read 0. */
async function assistStairs(): Promise<ImuReading[]> {
  const lines = (await readFile(join(DATA, 'imu/assist_stairs/stairs_05_acceleration.csv'), 'utf8')).trim().split('\n').slice(1);
  const out: ImuReading[] = [];
  let t0: number | undefined;
  let last = -Infinity;
  for (const l of lines) {
    const f = l.split('|');
    if (f[3] !== 'TAG' || f[9] !== '0') continue;
    const ms = Date.parse(`${(f[2] as string).replace(' ', 'T')}Z`);
    t0 ??= ms;
    const t = (ms - t0) / 1000;
    if (!(t > last)) continue;
    last = t;
    out.push({ t, acc: [Number(f[4]) * G, Number(f[5]) * G, Number(f[6]) * G], gyro: [0, 0, 0] });
  }
  return out;
}

/** EuRoC's imu0/data.csv: ns stamps, rates in rad/s, specific force in m/s^2. */
async function eurocImu(): Promise<ImuReading[]> {
  const lines = (await readFile(join(DATA, 'camera_imu/euroc_v1_01_micro/mav0/imu0/data.csv'), 'utf8')).trim().split('\n').slice(1);
  let t0: bigint | undefined;
  return lines.map((l) => {
    const f = l.split(',');
    const ns = BigInt(f[0] as string);
    t0 ??= ns;
    const v = f.slice(1).map(Number);
    return { t: Number(ns - t0) / 1e9, gyro: [v[0]!, v[1]!, v[2]!], acc: [v[3]!, v[4]!, v[5]!] };
  });
}

async function mono(path: string): Promise<{ samples: Float32Array; rate: number }> {
  const wav = await readWav(path);
  return { samples: wav.channels[0] as Float32Array, rate: wav.rate };
}

async function escSequence(ids: readonly string[]): Promise<{ samples: Float32Array; rate: number }> {
  const clips = await Promise.all(ids.map((id) => mono(join(DATA, 'audio/esc10', `${id}.wav`))));
  const rate = clips[0]!.rate;
  const gap = 2 * rate;
  const out = new Float32Array(clips.reduce((a, c) => a + c.samples.length + gap, gap));
  let at = gap;
  for (const c of clips) {
    if (c.rate !== rate) throw new Error(`ESC-10 clips at different rates (${c.rate} vs ${rate})`);
    out.set(c.samples, at);
    at += c.samples.length + gap;
  }
  return { samples: out, rate };
}

async function rgbOf(path: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const { data, info } = await sharp(await readFile(path)).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

/** Frames of a still scene at `fps` for `seconds`: what a camera looking at it would publish (no extra noise). */
function still(img: { width: number; height: number; rgb: Uint8Array }, seconds: number, fps: number, from = 0): FrameRecording[] {
  return Array.from({ length: Math.round(seconds * fps) }, (_, i) => ({ t: from + i / fps, ...img }));
}

async function frameSets(name: string): Promise<FrameRecording[]> {
  switch (name) {
    case 'rtabmap': {
      const dir = join(DATA, 'depth/rtabmap/rgb');
      const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
      const out: FrameRecording[] = [];
      for (const [i, f] of files.entries()) out.push(...still(await rgbOf(join(dir, f)), 10, 10, i * 10));
      return out;
    }
    case 'tum':
      return still(await rgbOf(join(DATA, 'depth/tum/TUM_color.png')), 10, 10);
    case 'euroc': {
      // 20 real frames at 20 Hz (1 s), played forwards and backwards for 30 s: a camera moving to and fro.
      const dir = join(DATA, 'camera_imu/euroc_v1_01_micro/mav0/cam0/data');
      const imgs = await Promise.all((await readdir(dir)).filter((f) => f.endsWith('.png')).sort().map((f) => rgbOf(join(dir, f))));
      const order = [...imgs.keys(), ...[...imgs.keys()].reverse().slice(1, -1)];
      return Array.from({ length: 600 }, (_, i) => ({ t: i / 20, ...imgs[order[i % order.length] as number]! }));
    }
    default:
      throw new Error(`unknown frame set ${name}`);
  }
}

async function buildSide(side: 'calibration' | 'heldout', out: string): Promise<string[]> {
  const s = SPLIT[side];
  const bags: string[] = s.ros1.map((f) => join(DATA, 'imu/ros1_bags', f));
  const write = async (name: string, input: Parameters<typeof writeRecordingBag>[1]) => {
    const path = join(out, side, `${name}.mcap`);
    await writeRecordingBag(path, input);
    bags.push(path);
  };
  for (const f of s.xio) await write(`xio_${basename(f, '.csv')}`, { imu: await xioWalk(f) });
  if ('assist' in s) await write('assist_stairs_05', { imu: await assistStairs() });
  if ('eurocImu' in s) await write('euroc_v1_01_imu', { imu: await eurocImu() });
  for (const f of s.audio) await write(`audio_${basename(f, '.wav')}`, { audio: await mono(join(DATA, 'audio', f)) });
  await write('audio_esc10_sequence', { audio: await escSequence(s.escSequence) });
  for (const f of s.frames) await write(`frames_${f}`, { frames: await frameSets(f) });
  return bags;
}

function flag(argv: string[], name: string, fallback?: string): string {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

/** Wraps a simulation so its microphone chunks are scaled by `gainDb` and mixed with `background`. */
function withAudio(sim: ReturnType<typeof createSimulation>, gainDb: number, background: { samples: Float32Array; level: number } | undefined): ReturnType<typeof createSimulation> {
  const k = 10 ** (gainDb / 20);
  let at = 0;
  return {
    ...sim,
    async *items(): AsyncGenerator<SimItem> {
      for await (const item of sim.items()) {
        if (item.kind !== 'audio') {
          yield item;
          continue;
        }
        const pcm = new Int16Array(item.pcm.length);
        for (let i = 0; i < pcm.length; i++) {
          let v = ((item.pcm[i] as number) / 32768) * k;
          if (background !== undefined) v += background.level * (background.samples[(at + i) % background.samples.length] as number);
          pcm[i] = Math.max(-32768, Math.min(32767, Math.round(v * 32768)));
        }
        at += pcm.length;
        yield { ...item, pcm };
      }
    },
  };
}

/**
 * Training-side only (bind-mini's "no event" windows, never evaluated): digital silence, then white noise
 * at -80, -60, -40 and -20 dBFS, 10 s each, seeded.
 */
function silenceAndNoise(rate = 16000): { samples: Float32Array; rate: number } {
  const levels = [-80, -60, -40, -20];
  const out = new Float32Array(rate * 10 * (1 + levels.length));
  let state = 0x2545f491;
  const uniform = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  for (const [i, db] of levels.entries()) {
    // uniform noise in [-a, a] has RMS a / sqrt(3)
    const a = 10 ** (db / 20) * Math.sqrt(3);
    for (let j = rate * 10 * (i + 1); j < rate * 10 * (i + 2); j++) out[j] = (2 * uniform() - 1) * a;
  }
  return { samples: out, rate };
}

export async function main(argv: string[]): Promise<void> {
  const mode = argv[0];
  const out = resolve(flag(argv, 'out'));
  if (mode === 'corpus') {
    const result: Record<string, string[]> = {};
    for (const side of ['calibration', 'heldout'] as const) {
      await mkdir(join(out, side), { recursive: true });
      result[side] = await buildSide(side, out);
      await writeFile(join(out, `${side}.txt`), `${result[side]!.join('\n')}\n`);
    }
    // The held-out sounds again through a quieter and a louder microphone: more held-out hours of other
    // levels, the same recordings (reported apart from the held-out total).
    await mkdir(join(out, 'heldout-gains'), { recursive: true });
    const gained: string[] = [];
    const h = SPLIT.heldout;
    const sounds: [string, { samples: Float32Array; rate: number }][] = [
      ...(await Promise.all(h.audio.map(async (f) => [basename(f, '.wav'), await mono(join(DATA, 'audio', f))] as [string, { samples: Float32Array; rate: number }]))),
      ['esc10_sequence', await escSequence(h.escSequence)],
    ];
    for (const gainDb of HELDOUT_GAINS_DB) {
      for (const [name, sound] of sounds) {
        const k = 10 ** (gainDb / 20);
        const path = join(out, 'heldout-gains', `audio_${name}_${gainDb > 0 ? '+' : ''}${gainDb}dB.mcap`);
        await writeRecordingBag(path, { audio: { rate: sound.rate, samples: sound.samples.map((v) => Math.max(-1, Math.min(1, v * k))) } });
        gained.push(path);
      }
    }
    result['heldout-gains'] = gained;
    await writeFile(join(out, 'heldout-gains.txt'), `${gained.join('\n')}\n`);
    // bind-mini's training recipe reads the calibration side plus silence and noise (never the held-out side)
    await mkdir(join(out, 'training'), { recursive: true });
    const extra = join(out, 'training', 'silence_noise.mcap');
    await writeRecordingBag(extra, { audio: silenceAndNoise() });
    result.training = [...result.calibration!, extra];
    await writeFile(join(out, 'training.txt'), `${result.training.join('\n')}\n`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  if (mode === 'levels') {
    const seeds = flag(argv, 'seeds', '3001,3002,3003,3004,3005,3006').split(',').map(Number);
    const duration = Number(flag(argv, 'duration', '60'));
    const bgPath = join(DATA, 'audio/background', `${flag(argv, 'background', 'exercise_bike')}.wav`);
    const bg = await mono(bgPath);
    if (bg.rate !== 16000) throw new Error(`${bgPath}: expected 16 kHz`);
    // The background at a fixed -45 dBFS (a quiet room with a machine running), whatever the event gain.
    let sq = 0;
    for (const v of bg.samples) sq += v * v;
    const level = 10 ** (-45 / 20) / Math.sqrt(sq / bg.samples.length);
    await mkdir(out, { recursive: true });
    const written: string[] = [];
    for (const gainDb of [0, -10, -20, -30]) {
      for (const mix of [false, true]) {
        for (const seed of seeds) {
          const path = join(out, `s${seed}_${-gainDb}dB${mix ? '_bg' : ''}.mcap`);
          // Tiny frames at 1 fps: the recall table is scored on audio alone (--drop vision,depth,imu).
          const sim = createSimulation({ seed, duration, fps: 1, width: 64, height: 48, depthWidth: 32, depthHeight: 24 });
          await writeSimulationBag(withAudio(sim, gainDb, mix ? { samples: bg.samples, level } : undefined), path);
          written.push(path);
        }
      }
    }
    process.stdout.write(`${JSON.stringify({ background: bgPath, backgroundDbfs: -45, written }, null, 2)}\n`);
    return;
  }
  throw new Error('usage: node bench/open-set.mjs corpus --out <dir> | levels --out <dir> [--seeds 3001,...] [--duration 60] [--background exercise_bike]');
}
