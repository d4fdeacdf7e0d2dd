import { describe, expect, it } from 'vitest';
import type { AudioSample, ImuSample, VisionSample } from '../../src/core/types.js';
import { Windower } from '../../src/window/windower.js';

const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S; // epoch-like stamps, as ROS bags have

function audio(stampNs: bigint, n: number, rate = 16000, value = 0.5, sensorId = '/mic'): AudioSample {
  return { modality: 'audio', sensorId, stamp: stampNs, rate, samples: new Float32Array(n).fill(value) };
}
function imu(stampNs: bigint, ax: number, sensorId = '/imu'): ImuSample {
  return { modality: 'imu', sensorId, stamp: stampNs, acc: [ax, 0, 9.81], gyro: [0, 0, ax / 10] };
}
function frame(stampNs: bigint, sensorId = '/cam'): VisionSample {
  return { modality: 'vision', sensorId, stamp: stampNs, width: 2, height: 1, rgb: new Uint8Array(6) };
}
const ms = (x: number) => BigInt(Math.round(x * 1e6));

describe('Windower: audio', () => {
  it('assembles exactly the last window of contiguous chunks', () => {
    const w = new Windower({ gates: false, audioSeconds: 2 });
    // 3 s of 100 ms chunks, chunk i filled with value i.
    for (let i = 0; i < 30; i++) w.push(audio(T0 + ms(100 * i), 1600, 16000, i));
    const snap = w.snapshot(T0 + 3n * S);
    const win = snap.windows.audio!;
    expect(win.samples.length).toBe(32000);
    expect(win.coverage).toBe(1);
    expect(win.samples[0]).toBe(10); // the window starts at 1.0 s
    expect(win.samples[31999]).toBe(29);
    expect(win.end).toBe(T0 + 3n * S);
    expect(win.start).toBe(T0 + 1n * S);
    expect(snap.present).toContain('audio');
  });

  it('tolerates stamp jitter but fills real gaps with counted silence', () => {
    const w = new Windower({ gates: false, audioSeconds: 1 });
    w.push(audio(T0, 1600, 16000, 1));
    w.push(audio(T0 + ms(101), 1600, 16000, 1)); // 1 ms jitter: contiguous
    w.push(audio(T0 + ms(500), 1600, 16000, 1)); // 300 ms gap
    const stats = w.stats().audio;
    expect(stats.gaps).toBe(1);
    expect(stats.gapSamples).toBe(Math.round(0.299 * 16000));
    const win = w.snapshot(T0 + ms(600)).windows.audio!;
    // Window = [-0.4, 0.6]: 0.2 s of real audio from the first chunks, then silence, then the last chunk.
    const zeros = win.samples.filter((x) => x === 0).length;
    expect(zeros).toBeGreaterThan(0.299 * 16000 - 20);
    expect(win.samples[win.samples.length - 1]).toBe(1);
  });

  it('drops late chunks and trims overlaps, counting both', () => {
    const w = new Windower({ gates: false, audioSeconds: 1 });
    w.push(audio(T0, 1600));
    w.push(audio(T0 + ms(100), 1600));
    w.push(audio(T0 + ms(50), 800)); // entirely inside what we have: late
    w.push(audio(T0 + ms(120), 1600)); // 80 ms overlap (beyond the 50 ms jitter tolerance)
    const stats = w.stats().audio;
    expect(stats.lateChunks).toBe(1);
    expect(stats.overlapSamples).toBe(1280);
    expect(stats.samples).toBe(1600 * 2 + 320);
  });

  it('restarts on a rate change and is absent until enough audio arrived', () => {
    const w = new Windower({ gates: false, audioSeconds: 2 });
    w.push(audio(T0, 16000, 16000)); // 1 s at 16 kHz
    expect(w.snapshot(T0 + 1n * S).windows.audio?.coverage).toBe(0.5);
    w.push(audio(T0 + 1n * S, 4800, 48000)); // 0.1 s at 48 kHz
    expect(w.stats().audio.rateChanges).toBe(1);
    expect(w.snapshot(T0 + ms(1100)).windows.audio).toBeUndefined();
  });

  it('marks a stale microphone absent after maxAge', () => {
    const w = new Windower({ gates: false, audioSeconds: 1, maxAgeSeconds: { audio: 0.5 } });
    w.push(audio(T0, 16000));
    expect(w.snapshot(T0 + 1n * S + ms(400)).present).toContain('audio');
    const late = w.snapshot(T0 + 1n * S + ms(600));
    expect(late.present).not.toContain('audio');
    expect(late.missing).toContain('audio');
    expect(w.stats().ageSeconds.audio).toBeCloseTo(0.6, 6);
  });
});

describe('Windower: IMU', () => {
  it('resamples any rate onto the model step count (linear)', () => {
    const w = new Windower({ gates: false, imuSeconds: 1, imuSamples: 100 });
    // 250 Hz ramp: ax = t seconds.
    for (let i = 0; i <= 500; i++) w.push(imu(T0 + ms(4 * i), i * 0.004));
    const win = w.snapshot(T0 + 2n * S).windows.imu!;
    expect(win.count).toBe(100);
    expect(win.channels.length).toBe(600);
    expect(win.coverage).toBe(1);
    // Steps at 1.01 .. 2.00 s; ax channel is channel 0, gz = ax/10 is channel 5.
    expect(win.channels[0]).toBeCloseTo(1.01, 4);
    expect(win.channels[99]).toBeCloseTo(2.0, 4);
    expect(win.channels[2 * 100 + 50]).toBeCloseTo(9.81, 4);
    expect(win.channels[5 * 100 + 99]).toBeCloseTo(0.2, 4);
  });

  it('handles jitter and rate changes inside the window', () => {
    const w = new Windower({ gates: false, imuSeconds: 1, imuSamples: 50 });
    let t = 0;
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    while (t < 1.2) {
      w.push(imu(T0 + BigInt(Math.round(t * 1e9)), t));
      t += t < 0.6 ? 0.005 + rand() * 0.004 : 0.0025; // jittery 140 Hz, then 400 Hz
    }
    const win = w.snapshot(T0 + ms(1200)).windows.imu!;
    for (let k = 1; k < 50; k++) expect(win.channels[k]!).toBeGreaterThan(win.channels[k - 1]!);
    const end = Number(win.end - T0) / 1e9;
    // Linear ramp: resampled values equal their step times.
    expect(win.channels[49]).toBeCloseTo(end, 4);
    expect(win.channels[0]).toBeCloseTo(end - 1 + 0.02, 3);
  });

  it('drops out-of-order, duplicate and non-finite readings, counting each', () => {
    const w = new Windower({ gates: false });
    w.push(imu(T0 + ms(10), 1));
    w.push(imu(T0 + ms(10), 2));
    w.push(imu(T0 + ms(5), 3));
    w.push({ ...imu(T0 + ms(20), 1), acc: [NaN, 0, 0] });
    expect(w.stats().imu).toEqual({ readings: 1, duplicates: 1, outOfOrder: 1, nonFinite: 1 });
  });

  it('reports partial coverage of a window with a late-starting sensor', () => {
    const w = new Windower({ gates: false, imuSeconds: 5, imuSamples: 2000 });
    for (let i = 0; i <= 300; i++) w.push(imu(T0 + ms(10 * i), 1)); // 3 s
    const win = w.snapshot(T0 + 3n * S).windows.imu!;
    expect(win.coverage).toBeCloseTo(0.6, 6);
    expect(win.channels[0]).toBe(1); // held edge value
    expect(w.snapshot(T0 + 3n * S).present).toContain('imu');
    const w2 = new Windower({ gates: false, imuSeconds: 5, imuSamples: 2000 });
    for (let i = 0; i <= 100; i++) w2.push(imu(T0 + ms(10 * i), 1)); // 1 s: below minCoverage
    expect(w2.snapshot(T0 + 1n * S).windows.imu).toBeUndefined();
  });
});

describe('Windower: frames and sensors', () => {
  it('keeps the newest frame, drops late and duplicate frames', () => {
    const w = new Windower({ gates: false });
    w.push(frame(T0 + ms(100)));
    w.push(frame(T0 + ms(200)));
    w.push(frame(T0 + ms(150)));
    w.push(frame(T0 + ms(200)));
    const snap = w.snapshot(T0 + ms(250));
    expect(snap.windows.vision?.sample.stamp).toBe(T0 + ms(200));
    expect(w.stats().vision).toMatchObject({ frames: 2, outOfOrder: 1, duplicates: 1, replacedUnread: 1 });
  });

  it('ignores a second sensor of the same modality and disabled modalities, counting both', () => {
    const w = new Windower({ gates: false, disabled: ['imu'] });
    w.push(frame(T0, '/cam_front'));
    w.push(frame(T0 + ms(10), '/cam_back'));
    w.push(imu(T0, 1));
    const snap = w.snapshot(T0 + ms(20));
    expect(snap.windows.vision?.sample.sensorId).toBe('/cam_front');
    expect(snap.present).toEqual(['vision']);
    expect(snap.missing).toEqual(['audio', 'depth', 'thermal', 'imu']);
    expect(w.stats().skipped).toMatchObject({ vision: 1, imu: 1 });
    expect(w.stats().sensors.vision).toBe('/cam_front');
  });

  it('numbers snapshots and reports the newest stamp', () => {
    const w = new Windower({ gates: false });
    expect(w.newestStamp()).toBeUndefined();
    w.push(frame(T0 + ms(5)));
    w.push(imu(T0 + ms(9), 0));
    expect(w.newestStamp()).toBe(T0 + ms(9));
    expect(w.snapshot(T0).seq).toBe(0);
    expect(w.snapshot(T0).seq).toBe(1);
  });
});
