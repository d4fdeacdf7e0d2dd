// Evidence gates: the measurements on real and generated signals, and the decisions the windower makes.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AudioWindow, ImuSample, ImuWindow, VisionSample } from '../../src/core/types.js';
import { setLevel, whiteNoise } from '../../src/eval/recording-bag.js';
import { readWav } from '../../src/preprocess/wav.js';
import { EvidenceGates } from '../../src/window/evidence-gates.js';
import { audioActivity, changedFraction, frameFingerprint, imuMotion } from '../../src/window/gates.js';
import { Windower } from '../../src/window/windower.js';

const DATA = '../shared/data/audio';
const haveData = existsSync(DATA);
if (!haveData) console.warn(`gates.test: ${DATA} absent; the real-clip cases are skipped`);

function audioWindow(samples: Float32Array, rate = 16000): AudioWindow {
  return { kind: 'audio', rate, samples, start: 0n, end: BigInt(Math.round((samples.length / rate) * 1e9)), coverage: 1 };
}

function sine(seconds: number, rate: number, hz: number, amp: number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * rate) }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));
}

async function clip(path: string, from: number, seconds: number): Promise<AudioWindow> {
  const wav = await readWav(path);
  const ch = wav.channels[0]!;
  return audioWindow(ch.slice(Math.round(from * wav.rate), Math.round((from + seconds) * wav.rate)), wav.rate);
}

describe('audio activity', () => {
  it('measures level in dBFS and finds white noise flat and steady at every level', () => {
    for (const db of [-80, -60, -40, -20]) {
      const a = audioActivity(audioWindow(whiteNoise(2, 16000, db, 7)));
      expect(a.dbfs).toBeCloseTo(db, 1);
      expect(a.flatness).toBeGreaterThan(0.85);
      expect(a.dynamicsDb).toBeLessThan(3);
    }
    expect(audioActivity(audioWindow(new Float32Array(32000))).dbfs).toBe(-Infinity);
  });

  it('finds a tone not flat', () => {
    const a = audioActivity(audioWindow(sine(2, 16000, 440, 0.1)));
    expect(a.dbfs).toBeCloseTo(20 * Math.log10(0.1 / Math.SQRT2), 1);
    expect(a.flatness).toBeLessThan(0.05);
  });

  it('skips zero padding and buffer gaps when measuring', () => {
    const samples = new Float32Array(32000);
    samples.set(whiteNoise(1, 16000, -30, 3), 16000);
    const a = audioActivity({ ...audioWindow(samples), coverage: 0.5 });
    expect(a.dbfs).toBeCloseTo(-30, 1);
    expect(a.dynamicsDb).toBeLessThan(3);
  });

  it.skipIf(!haveData)('finds real speech and a real bark active at -30 dBFS', async () => {
    const gates = new EvidenceGates();
    for (const [path, from] of [
      [`${DATA}/speech/silero_test_speech.wav`, 5],
      [`${DATA}/esc10/dog_bark__1-100032-A.wav`, 1],
    ] as const) {
      const w = await clip(path, from, 2);
      setLevel(w.samples, -30);
      const a = audioActivity(w);
      expect(a.dynamicsDb, path).toBeGreaterThan(10);
      const windows = { audio: w };
      expect(gates.apply(windows), path).toEqual({});
      expect(windows.audio).toBeDefined();
    }
  });
});

describe('EvidenceGates', () => {
  it('gates silence under the floor and steady noise at any level, and counts both', () => {
    const gates = new EvidenceGates();
    expect(gates.apply({ audio: audioWindow(new Float32Array(32000)) })).toEqual({ audio: 'silent' });
    expect(gates.apply({ audio: audioWindow(whiteNoise(2, 16000, -70)) })).toEqual({ audio: 'silent' });
    for (const db of [-50, -20, -6]) expect(gates.apply({ audio: audioWindow(whiteNoise(2, 16000, db)) })).toEqual({ audio: 'stationary-noise' });
    // A bang in the noise is activity: the frame levels spread.
    const bang = whiteNoise(2, 16000, -40);
    for (let i = 16000; i < 17600; i++) bang[i] = (bang[i] as number) + 0.5 * Math.exp(-(i - 16000) / 300) * Math.sin(i * 0.3);
    expect(gates.apply({ audio: audioWindow(bang) })).toEqual({});
    expect(gates.stats().gated.audio).toEqual({ silent: 2, 'stationary-noise': 3 });
  });

  it('follows its options: a lower floor, noise gating off', () => {
    const gates = new EvidenceGates({ audio: { floorDbfs: -90, noiseFlatness: 1.01 } });
    expect(gates.apply({ audio: audioWindow(whiteNoise(2, 16000, -70)) })).toEqual({});
    expect(new EvidenceGates({ audio: { enabled: false } }).apply({ audio: audioWindow(new Float32Array(32000)) })).toEqual({});
  });

  function frame(stampS: number, fill: (i: number) => number): VisionSample {
    const rgb = new Uint8Array(64 * 48 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = fill(i);
    return { modality: 'vision', sensorId: '/cam', stamp: BigInt(Math.round(stampS * 1e9)), width: 64, height: 48, rgb };
  }

  it('gates a black frame at once and a frozen stream after frozenSeconds; a noisy live stream never', () => {
    const gates = new EvidenceGates({ frame: { frozenSeconds: 1 } });
    expect(gates.apply({ vision: { kind: 'frame', sample: frame(-1, () => 3) } })).toEqual({ vision: 'black' });
    const still = (i: number) => 100 + (i % 7);
    const verdicts = [0, 0.5, 1.0, 1.5].map((t) => gates.apply({ vision: { kind: 'frame', sample: frame(t, still) } }).vision);
    expect(verdicts).toEqual([undefined, undefined, 'frozen', 'frozen']);
    // Sensor noise: a few grey levels of difference everywhere.
    let seed = 1;
    const noisy = (i: number) => 100 + (i % 7) + ((seed = (seed * 16807) % 2147483647) % 3);
    const live = [2, 2.5, 3, 3.5, 4].map((t) => gates.apply({ vision: { kind: 'frame', sample: frame(t, noisy) } }).vision);
    expect(live).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(gates.stats().gated.vision).toEqual({ black: 1, frozen: 2 });
  });

  it('compares fingerprints on raw pixels (no averaging hides noise)', () => {
    const a = frameFingerprint(frame(0, (i) => i % 256));
    const b = frameFingerprint(frame(0, (i) => (i % 256) ^ 1));
    expect(changedFraction(a, a)).toBe(0);
    expect(changedFraction(a, b)).toBe(1);
  });

  function imuWindow(fn: (t: number) => [number, number, number, number, number, number]): ImuWindow {
    const count = 500;
    const channels = new Float32Array(6 * count);
    for (let i = 0; i < count; i++) {
      const v = fn(i / 100);
      for (let c = 0; c < 6; c++) channels[c * count + i] = v[c] as number;
    }
    return { kind: 'imu', count, channels, start: 0n, end: 5_000_000_000n, readings: count, coverage: 1 };
  }

  it('gates an IMU at rest in any orientation, not one that shakes or turns', () => {
    const gates = new EvidenceGates();
    const jitter = (t: number) => 0.02 * Math.sin(t * 97);
    expect(gates.apply({ imu: imuWindow((t) => [jitter(t), 0, -9.81 + jitter(t), 0.003, -0.002, 0.004]) })).toEqual({ imu: 'at-rest' });
    expect(gates.apply({ imu: imuWindow((t) => [9.81, jitter(t), 0, 0, 0, 0]) })).toEqual({ imu: 'at-rest' });
    expect(gates.apply({ imu: imuWindow((t) => [Math.sin(t * 40), 0, 9.81, 0, 0, 0]) })).toEqual({});
    expect(gates.apply({ imu: imuWindow(() => [0, 0, 9.81, 0, 0, 0.3]) })).toEqual({});
    expect(imuMotion(imuWindow(() => [0, 0, 9.81, 0, 0, 0.3])).gyroRms).toBeCloseTo(0.3, 5);
  });
});

describe('Windower with gates', () => {
  const S = 1_000_000_000n;
  it('lists a gated modality as missing with its reason and keeps the others', () => {
    const w = new Windower({ audioSeconds: 1, imuSeconds: 1, imuSamples: 100 });
    w.push({ modality: 'audio', sensorId: '/mic', stamp: 0n, rate: 16000, samples: new Float32Array(16000) });
    for (let i = 0; i <= 100; i++) {
      const s: ImuSample = { modality: 'imu', sensorId: '/imu', stamp: BigInt(i) * 10_000_000n, acc: [Math.sin(i), 0, 9.8], gyro: [0, 0, 0.5] };
      w.push(s);
    }
    const snap = w.snapshot(1n * S);
    expect(snap.present).toEqual(['imu']);
    expect(snap.missing).toContain('audio');
    expect(snap.gated).toEqual({ audio: 'silent' });
    expect(snap.windows.audio).toBeUndefined();
    expect(w.stats().gates.gated.audio).toEqual({ silent: 1 });
  });
});
