// Motion of the robot's body on real recordings, through the real pipeline (`sensebind replay`, bundled
// bind-mini, bundled concepts/default.yaml):
// - needsOneOf: a real machine sound the model never heard (../shared/data's exercise bike, a held-out
//   file of the open-set corpus) reads as `tipping_over` from audio alone; with the default concepts,
//   which let only the camera, depth or the IMU fire a fall or a lift, it fires none.
// - bodyMotion: a camera moving to and fro (EuRoC V1_01's real frames) reads as `tipping_over`; with a real
//   IMU lying still beside it (the AR.Drone bag's 9 s on the ground, looped) the default concepts fire no
//   motion event, and without an IMU the camera still fires it (a robot without an IMU keeps its camera).
// Each case has a control: the same bag with the new key stripped from the concept file fires the event,
// so the key, not the recording, is what keeps the agent quiet.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { command as replay } from '../../src/cli/commands/replay.js';
import { writeRecordingBag, type FrameRecording, type ImuReading } from '../../src/eval/recording-bag.js';
import { readWav } from '../../src/preprocess/wav.js';
import { readBag } from '../../src/sources/bag.js';
import { runCommandCaptured } from '../helpers/run-command.js';
import { missingData, mustData } from '../helpers/data.js';

const BIKE = 'audio/background/exercise_bike.wav';
const EUROC_CAM = 'camera_imu/euroc_v1_01_micro/mav0/cam0/data';
const ARDRONE = 'imu/ros1_bags/imu_tools_ardrone_imu.bag';
const MOTION = ['collision', 'tipping_over', 'picked_up'];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-body-motion-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** concepts/default.yaml without the lines setting `key` (the concepts as they were before the key). */
async function conceptsWithout(key: string): Promise<string> {
  const text = await readFile('concepts/default.yaml', 'utf8');
  const stripped = text.replace(new RegExp(`^\\s+${key}:.*\\n`, 'gm'), '');
  expect(stripped).not.toBe(text);
  const path = join(dir, `without-${key}.yaml`);
  await writeFile(path, stripped);
  return path;
}

interface ReplaySummary {
  events: { started: Record<string, number> };
  snapshots: number;
  matcher: { modalityEvidence: Record<string, number>; gatedVotes: Record<string, number> };
}

// The familiarity gate is off here: the EuRoC camera's frames are far from every simulated fall, so the
// gate alone removes its `tipping_over` (docs/concepts.md, "Familiarity gate"), which would hide what
// `bodyMotion` does.
async function replayed(bag: string, conceptFile = 'concepts/default.yaml'): Promise<ReplaySummary> {
  const r = await runCommandCaptured(replay, [bag], async () =>
    parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache') }, robot: { id: 't' }, match: { conceptFile, familiarity: { enabled: false } } }, 'test'),
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ReplaySummary;
}

const motionStarts = (s: ReplaySummary) => MOTION.reduce((a, id) => a + (s.events.started[id] ?? 0), 0);

describe('motion concepts need a sensor the motion moves', () => {
  it.skipIf(missingData('audio alone never fires a fall or a lift', BIKE))('a real machine sound alone: no tipping_over or picked_up; control without needsOneOf fires them', async () => {
    const wav = await readWav(mustData(BIKE));
    const bag = join(dir, 'bike.mcap');
    await writeRecordingBag(bag, { audio: { samples: wav.channels[0]!, rate: wav.rate } });
    const quiet = await replayed(bag);
    expect(quiet.matcher.modalityEvidence.audio).toBeGreaterThan(quiet.snapshots / 4);
    expect(quiet.events.started.tipping_over ?? 0).toBe(0);
    expect(quiet.events.started.picked_up ?? 0).toBe(0);
    const control = await replayed(bag, await conceptsWithout('needsOneOf'));
    expect((control.events.started.tipping_over ?? 0) + (control.events.started.picked_up ?? 0)).toBeGreaterThan(0);
  }, 120_000);

  it.skipIf(missingData('an IMU at rest rules motion out', EUROC_CAM, ARDRONE))(
    'a moving camera beside a real IMU at rest: no motion event; without an IMU the camera fires it; control without bodyMotion fires it',
    async () => {
      const camDir = mustData(EUROC_CAM);
      const names = (await readdir(camDir)).filter((f) => f.endsWith('.png')).sort();
      const imgs = await Promise.all(
        names.map(async (f) => {
          const { data, info } = await sharp(join(camDir, f)).resize(376, 240).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
          return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
        }),
      );
      // the 20 frames at half size (a 376x240 camera: smaller bags, a faster test) played forwards and
      // backwards for 30 s at 10 Hz (bench/open-set.mjs corpus: full size at 20 Hz)
      const order = [...imgs.keys(), ...[...imgs.keys()].reverse().slice(1, -1)];
      const frames: FrameRecording[] = Array.from({ length: 300 }, (_, i) => ({ t: i / 10, ...imgs[order[i % order.length]!]! }));
      // the drone on the ground between its flights: 43-52 s of the bag, every axis still
      const readings: ImuReading[] = [];
      let t0: bigint | undefined;
      for await (const item of readBag(mustData(ARDRONE))) {
        if (item.kind !== 'sample' || item.sample.modality !== 'imu') continue;
        t0 ??= item.sample.stamp;
        const t = Number(item.sample.stamp - t0) / 1e9;
        if (t >= 43 && t < 52) readings.push({ t: t - 43, acc: item.sample.acc, gyro: item.sample.gyro });
      }
      expect(readings.length).toBeGreaterThan(400); // ~50 Hz
      const imu: ImuReading[] = [];
      for (let k = 0; k < 4; k++) for (const r of readings) if (r.t + 9 * k < 30) imu.push({ ...r, t: r.t + 9 * k });
      const still = join(dir, 'camera-still-imu.mcap');
      const cameraOnly = join(dir, 'camera.mcap');
      await writeRecordingBag(still, { frames, imu });
      await writeRecordingBag(cameraOnly, { frames });

      const quiet = await replayed(still);
      // the gates found the IMU at rest in (nearly) every snapshot, and the camera gave evidence
      expect(quiet.matcher.gatedVotes.imu).toBeGreaterThan(quiet.snapshots * 0.8);
      expect(quiet.matcher.modalityEvidence.vision).toBeGreaterThan(quiet.snapshots / 2);
      expect(motionStarts(quiet)).toBe(0);
      expect((await replayed(cameraOnly)).events.started.tipping_over).toBeGreaterThan(0);
      expect((await replayed(still, await conceptsWithout('bodyMotion'))).events.started.tipping_over).toBeGreaterThan(0);
    },
    180_000,
  );
});
