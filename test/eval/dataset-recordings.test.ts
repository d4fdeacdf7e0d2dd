// `sensebind dataset export-recordings` on a real recording: idle rows, one per hop, only the modality
// the recording has marked present, and audio replayed at a lower gain giving exactly the log-mel shift
// (floored at the fbank's log epsilon) that bind-mini's training recipe applies to simulator audio.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/embed/manifest.js';
import { writeRecordingBag } from '../../src/eval/recording-bag.js';
import { readWav } from '../../src/preprocess/wav.js';
import { exportRecordings } from '../../src/eval/dataset-recordings.js';
import { command as dataset } from '../../src/cli/commands/dataset.js';
import { parseConfig } from '../../src/config/load.js';
import { runCommandCaptured } from '../helpers/run-command.js';

const DATA = join(process.cwd(), '../shared/data');
const WAV = join(DATA, 'audio/background/running_tap.wav');
const haveData = existsSync(WAV);
if (!haveData) console.log(`dataset-recordings tests skipped: ${WAV} not found (../shared/data is absent here)`);

const dir = mkdtempSync(join(tmpdir(), 'sensebind-dataset-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// training/bind_mini.py: FBANK_MEAN, FBANK_STD and the float32 epsilon floor (manifest normMean/normStd)
const DB_SHIFT = Math.log(10) / 10 / 9.138;
const FLOOR = (Math.log(1.1920928955078125e-7) + 4.268) / 9.138;
const MEL = 128 * 204;

describe.runIf(haveData)('sensebind dataset export-recordings', () => {
  it('exports idle windows of a real recording at each gain, matching the recipe\'s log-mel gain shift', async () => {
    const wav = await readWav(WAV);
    const samples = (wav.channels[0] as Float32Array).subarray(0, wav.rate * 6);
    const imu = Array.from({ length: 6 * 100 }, (_, i) => ({ t: i / 100, acc: [0.3 * Math.sin(i / 7), 0, 9.81] as const, gyro: [0, 0.2 * Math.cos(i / 5), 0] as const }));
    const audioBag = join(dir, 'tap.mcap');
    const imuBag = join(dir, 'imu.mcap');
    await writeRecordingBag(audioBag, { audio: { samples, rate: wav.rate } });
    await writeRecordingBag(imuBag, { imu });
    const manifest = await loadManifest('models/bind-mini', { verifyHashes: false });
    const out = join(dir, 'ds');
    const summary = await exportRecordings({ manifest, bags: [audioBag, imuBag], out, gainsDb: [0, -20] });
    const rows = readFileSync(join(out, 'windows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { file: string; gainDb: number; label: string; present: string[]; t: number });
    expect(rows.length).toBe(summary.windows);
    // 6 s recordings, first window at 2 s, one per second: 2, 3, 4, 5 (a window is taken once a later sample
    // arrives); the IMU's 5 s window is present from 3 s on, when half of it is real data (minCoverage)
    expect(summary.perFile).toEqual({ 'tap.mcap@0dB': 4, 'tap.mcap@-20dB': 4, 'imu.mcap@0dB': 3 });
    for (const r of rows) {
      expect(r.label).toBe('idle');
      expect(r.present).toEqual([r.file === 'tap.mcap' ? 'audio' : 'imu']);
    }
    for (const m of ['vision', 'audio', 'depth', 'imu']) {
      const per = { vision: 3 * 224 * 224, audio: MEL, depth: 224 * 224, imu: 6 * 2000 }[m]!;
      expect(statSync(join(out, `${m}.f32`)).size).toBe(rows.length * per * 4);
    }
    const audio = new Float32Array(readFileSync(join(out, 'audio.f32')).buffer);
    const imuT = new Float32Array(readFileSync(join(out, 'imu.f32')).buffer);
    // absent modalities are zeros, present ones are not
    expect(audio.subarray(8 * MEL, 9 * MEL).every((v) => v === 0)).toBe(true);
    expect(imuT.subarray(8 * 12000, 9 * 12000).some((v) => v !== 0)).toBe(true);
    // the same window at 0 dB (row 1) and at -20 dB (row 5): -20 dB shifts each log-mel value of the 198 real
    // frames by -20 * DB_SHIFT, or to the floor; the 6 padding frames (204 - 198) stay; 16-bit rounding of
    // the quieter samples moves the quietest bins a little
    const a0 = audio.subarray(1 * MEL, 2 * MEL);
    const a20 = audio.subarray(5 * MEL, 6 * MEL);
    let worst = 0;
    let sum = 0;
    let shifted = 0;
    for (let bin = 0; bin < 128; bin++) {
      for (let f = 0; f < 204; f++) {
        const i = bin * 204 + f;
        const want = f < 198 ? Math.max((a0[i] as number) - 20 * DB_SHIFT, FLOOR) : (a0[i] as number);
        const err = Math.abs(want - (a20[i] as number));
        worst = Math.max(worst, err);
        sum += err;
        if (f < 198 && (a0[i] as number) - 20 * DB_SHIFT > FLOOR) shifted++;
      }
    }
    expect(shifted).toBeGreaterThan(MEL / 2); // most bins were above the floor: the shift itself is tested
    expect(sum / MEL).toBeLessThan(0.01);
    expect(worst).toBeLessThan(0.2);
  });

  it('refuses an empty list of recordings', async () => {
    const manifest = await loadManifest('models/bind-mini', { verifyHashes: false });
    await expect(exportRecordings({ manifest, bags: [], out: join(dir, 'none') })).rejects.toThrow(/no recordings given/);
  });

  it('the CLI names a bad --gains value and a missing recording list', async () => {
    const config = async () => parseConfig({}, 'test');
    const bad = await runCommandCaptured(dataset, ['export-recordings', WAV, '--out', join(dir, 'x'), '--gains', '0,loud'], config);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--gains expects dB values .* got "0,loud"/);
    const none = await runCommandCaptured(dataset, ['export-recordings', '--out', join(dir, 'x')], config);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/give at least one recording/);
  });
});
