// Fuzz: 100,000 bad frames (random bytes, truncated frames, bit flips, replays) interleaved with good ones,
// fed in random chunk sizes. Nothing may throw or hang, every bad candidate must be counted (by reason, or as
// a replay), and every good frame must come out as samples with its values intact.
import { describe, expect, it } from 'vitest';
import type { ImuSample, Sample } from '../../src/core/types.js';
import { DeviceSession } from '../../src/serial/device-session.js';
import { encodeFrame } from '../../src/serial/frame-codec.js';
import type { Frame, SensorDescriptor } from '../../src/serial/protocol.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** Non-empty runs between zeros: how many candidates a decoder sees in these bytes. */
function candidates(bytes: Uint8Array): number {
  let n = 0;
  let run = 0;
  for (const b of bytes) {
    if (b === 0) {
      if (run > 0) n++;
      run = 0;
    } else run++;
  }
  return n;
}

const SENSORS: SensorDescriptor[] = [
  { stream: 1, kind: 'imu', paramA: 16, paramB: 2000, batch: 4, rateMhz: 1_000_000, scaleA: Math.fround(9.80665 / 2048), scaleB: Math.fround(0.001) },
  { stream: 2, kind: 'audio', paramA: 1, paramB: 16, batch: 32, rateMhz: 16_000_000, scaleA: 1 / 32768, scaleB: 0 },
  { stream: 3, kind: 'depth', paramA: 4, paramB: 4, batch: 1, rateMhz: 15_000, scaleA: Math.fround(0.001), scaleB: 4 },
];

describe('fuzz: decoder and session under hostile input', () => {
  it('counts 100,000 bad frames and still decodes every good frame after them', () => {
    const t0 = performance.now();
    const random = rng(0xc0ffee);
    const int = (n: number) => Math.floor(random() * n);
    const BAD = 100_000;
    const seq = [0, 0, 0, 0];
    let t = 1_000_000;
    let imuIndex = 0;
    const expectImu: number[] = []; // raw ax of every good IMU sample, in order
    let goodData = 0;
    let goodAudio = 0;
    let goodDepth = 0;

    const nextGood = (k: number): Frame => {
      t += 1000;
      const which = k % 4;
      const s = which === 3 ? 0 : which + 1;
      const head = { stream: s, seq: seq[s]!, tUs: t };
      seq[s] = (seq[s]! + 1) & 0xffff;
      if (which === 0) {
        const raw = new Int16Array(24);
        for (let i = 0; i < 4; i++) {
          raw[i * 6] = (imuIndex % 30000) - 15000;
          expectImu.push(raw[i * 6]!);
          imuIndex++;
          for (let c = 1; c < 6; c++) raw[i * 6 + c] = int(65536) - 32768;
        }
        goodData++;
        return { type: 'imu', ...head, dtUs: Uint16Array.from([0, 250, 250, 250]), raw };
      }
      if (which === 1) {
        goodData++;
        goodAudio++;
        const pcm = new Int16Array(32);
        for (let i = 0; i < 32; i++) pcm[i] = int(65536) - 32768;
        return { type: 'audio', ...head, firstIndex: (head.seq * 32) >>> 0, pcm };
      }
      if (which === 2) {
        goodData++;
        goodDepth++;
        const mm = new Uint16Array(16);
        for (let i = 0; i < 16; i++) mm[i] = int(65536);
        return { type: 'depth', ...head, width: 4, height: 4, mm };
      }
      return { type: 'heartbeat', ...head, txDroppedFrames: 0, txHighWater: int(4096), status: 7 };
    };

    const parts: Uint8Array[] = [];
    seq[0] = 1;
    parts.push(encodeFrame({ type: 'hello', stream: 0, seq: 0, tUs: t, fw: [1, 0, 0], deviceUid: 1, bootId: 99, name: 'fuzz', sensors: SENSORS }));
    let expectedBadCandidates = 0;
    let expectedReplays = 0;
    const kinds = { random: 0, truncated: 0, flipped: 0, replayed: 0 };
    let previous = encodeFrame(nextGood(0));
    parts.push(previous);
    for (let k = 1; k <= BAD; k++) {
      const kind = (['random', 'truncated', 'flipped', 'replayed'] as const)[int(4)]!;
      kinds[kind]++;
      let bad: Uint8Array;
      if (kind === 'random') {
        bad = new Uint8Array(1 + int(300));
        for (let i = 0; i < bad.length - 1; i++) bad[i] = int(256);
      } else if (kind === 'truncated') {
        const cut = 1 + int(previous.length - 2);
        bad = new Uint8Array(cut + 1);
        bad.set(previous.subarray(0, cut));
      } else if (kind === 'flipped') {
        bad = Uint8Array.from(previous);
        const at = new Set<number>(); // distinct bytes, so two flips never cancel out
        for (let f = 1 + int(3); f > 0; f--) at.add(int(bad.length - 1));
        for (const i of at) bad[i]! ^= 1 << int(8);
      } else {
        bad = previous; // a duplicate of the frame just delivered (what a flaky bridge or a retry produces)
        expectedReplays++;
      }
      if (kind !== 'replayed') expectedBadCandidates += candidates(bad);
      parts.push(bad);
      previous = encodeFrame(nextGood(k));
      parts.push(previous);
    }
    const stream = Buffer.concat(parts);
    const generated = performance.now();

    const samples: Sample[] = [];
    const session = new DeviceSession({
      sensorPrefix: 'fuzz',
      send: () => {},
      onSample: (s) => samples.push(s),
      now: () => 0n,
      syncWaitMs: 0,
    });
    const started = performance.now();
    const genSeconds = (generated - t0) / 1000;
    for (let pos = 0; pos < stream.length; ) {
      const n = 1 + int(4096);
      session.receive(stream.subarray(pos, pos + n), BigInt(pos) * 1000n);
      pos += n;
    }
    const seconds = (performance.now() - started) / 1000;
    const st = session.stats();

    expect(kinds.random + kinds.truncated + kinds.flipped + kinds.replayed).toBe(BAD);
    expect(st.decoder.bad).toBe(expectedBadCandidates);
    expect(st.replayed).toBe(expectedReplays);
    expect(st.bad).toBe(expectedBadCandidates + expectedReplays);
    expect(st.lostFrames).toBe(0);
    expect(st.resyncs).toBe(0);
    expect(st.decoded).toBe(goodData);
    const imu = samples.filter((s): s is ImuSample => s.modality === 'imu');
    expect(imu.map((s) => Math.round(s.acc[0] / SENSORS[0]!.scaleA))).toEqual(expectImu);
    expect(samples.filter((s) => s.modality === 'audio').length).toBe(goodAudio);
    expect(samples.filter((s) => s.modality === 'depth').length).toBe(goodDepth);
    expect(seconds).toBeLessThan(20);
    console.log(
      `fuzz: ${BAD} bad (${JSON.stringify(kinds)}) -> ${st.decoder.bad} rejected ${JSON.stringify(st.decoder.badByReason)} + ${st.replayed} replays; ${goodData} good data frames decoded; ${(stream.length / 1e6).toFixed(1)} MB decoded in ${seconds.toFixed(2)} s (generated in ${genSeconds.toFixed(2)} s)`,
    );
  });
});
