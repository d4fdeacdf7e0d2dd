// The protocol session without a port: what it asks the device, how it holds data until it can stamp and
// scale it, and how it turns frames into Samples.
import { describe, expect, it } from 'vitest';
import type { AudioSample, DepthSample, ImuSample, Sample } from '../../src/core/types.js';
import { DeviceSession } from '../../src/serial/device-session.js';
import { encodeFrame } from '../../src/serial/frame-codec.js';
import { FrameDecoder } from '../../src/serial/frame-decoder.js';
import type { Frame, HelloFrame } from '../../src/serial/protocol.js';

const HELLO: HelloFrame = {
  type: 'hello',
  stream: 0,
  seq: 0,
  tUs: 1_000,
  fw: [1, 2, 3],
  deviceUid: 0xabc,
  bootId: 5,
  name: 'unit',
  sensors: [
    { stream: 1, kind: 'imu', paramA: 16, paramB: 2000, batch: 2, rateMhz: 1_000_000, scaleA: 0.5, scaleB: 0.25 },
    { stream: 2, kind: 'audio', paramA: 1, paramB: 16, batch: 4, rateMhz: 16_000_000, scaleA: 1 / 32768, scaleB: 0 },
    { stream: 3, kind: 'depth', paramA: 2, paramB: 2, batch: 1, rateMhz: 15_000, scaleA: 0.001, scaleB: 4 },
  ],
};

function harness(options: { syncWaitMs?: number } = {}) {
  let now = 1_000_000_000_000n;
  const sent: Frame[] = [];
  const samples: Sample[] = [];
  const session = new DeviceSession({
    sensorPrefix: 'dev',
    send: (bytes) => {
      const d = new FrameDecoder();
      d.append(bytes);
      const r = d.next();
      if (r?.ok) sent.push(r.frame);
    },
    onSample: (s) => samples.push(s),
    now: () => now,
    syncWaitMs: options.syncWaitMs ?? 0,
  });
  return {
    session,
    sent,
    samples,
    advanceMs: (ms: number) => (now += BigInt(ms * 1e6)),
    now: () => now,
    feed: (...frames: Frame[]) => session.receive(Buffer.concat(frames.map(encodeFrame)), now),
  };
}

describe('DeviceSession', () => {
  it('asks for HELLO on connect, then paces time-sync requests: a burst, 4/s, then the interval', () => {
    const h = harness();
    h.session.connected();
    expect(h.sent.map((f) => f.type)).toEqual(['helloRequest', 'syncRequest']);
    for (let i = 0; i < 100; i++) {
      h.advanceMs(50);
      h.session.tick();
    }
    // 5 s: 8 burst requests 50 ms apart, then every 250 ms
    const syncs = h.sent.filter((f) => f.type === 'syncRequest').length;
    expect(syncs).toBeGreaterThanOrEqual(24);
    expect(syncs).toBeLessThanOrEqual(26);
    const before = h.sent.length;
    for (let i = 0; i < 100; i++) {
      h.advanceMs(50);
      h.session.tick();
    }
    const later = h.sent.slice(before).filter((f) => f.type === 'syncRequest').length;
    expect(later).toBe(5); // 1/s after the first 5 s
    expect(h.sent.filter((f) => f.type === 'helloRequest').length).toBeGreaterThan(5); // no HELLO yet: asked again each second
  });

  it('holds data until the HELLO gives its scales, then converts every modality', () => {
    const h = harness();
    h.session.connected();
    h.feed(
      { type: 'imu', stream: 1, seq: 0, tUs: 10_000, dtUs: Uint16Array.from([0, 1000]), raw: Int16Array.from([2, 4, 6, 8, 10, 12, -2, -4, -6, -8, -10, -12]) },
      { type: 'audio', stream: 2, seq: 0, tUs: 10_000, firstIndex: 0, pcm: Int16Array.from([0, 16384, -32768, 32767]) },
      { type: 'depth', stream: 3, seq: 0, tUs: 10_000, width: 2, height: 2, mm: Uint16Array.from([0, 1000, 65535, 250]) },
    );
    expect(h.samples).toEqual([]);
    h.feed(HELLO);
    const [a, b] = h.samples.filter((s): s is ImuSample => s.modality === 'imu');
    expect(a).toMatchObject({ sensorId: 'dev/imu', acc: [1, 2, 3], gyro: [2, 2.5, 3] });
    expect(b).toMatchObject({ acc: [-1, -2, -3], gyro: [-2, -2.5, -3] });
    expect(b!.stamp - a!.stamp).toBe(1_000_000n); // dt 1000 us
    const audio = h.samples.find((s): s is AudioSample => s.modality === 'audio')!;
    expect(audio.rate).toBe(16000);
    expect(Array.from(audio.samples)).toEqual([0, 0.5, -1, 32767 / 32768].map(Math.fround));
    const depth = h.samples.find((s): s is DepthSample => s.modality === 'depth')!;
    expect(Array.from(depth.metres)).toEqual([NaN, Math.fround(1), Infinity, Math.fround(0.25)]);
    expect(h.session.stats()).toMatchObject({ decoded: 3, bad: 0, dropped: 0, device: 'unit fw 1.2.3 uid abc boot 5' });
  });

  it('waits briefly for the first good time-sync reply so the first stamps are right', () => {
    const h = harness({ syncWaitMs: 1000 });
    h.session.connected();
    h.feed(HELLO, { type: 'imu', stream: 1, seq: 0, tUs: 2_000_000, dtUs: Uint16Array.from([0]), raw: new Int16Array(6) });
    expect(h.samples.length).toBe(0);
    const req = h.sent.find((f) => f.type === 'syncRequest')!;
    if (req.type !== 'syncRequest') throw new Error('unreachable');
    // device clock = agent time - 1 s, in us; the exchange took 2 ms, symmetric
    h.advanceMs(2);
    const devUs = (t: bigint) => Number((t - 1_000_000_000n) / 1000n);
    h.feed({ type: 'syncReply', stream: 0, seq: 1, tUs: devUs(h.now() - 1_000_000n), id: req.id, hostT1: req.hostT1, devRxUs: devUs(h.now() - 1_000_000n), devTxUs: devUs(h.now() - 1_000_000n) });
    expect(h.samples.length).toBe(1);
    expect(h.samples[0]!.stamp).toBe(1_000_000_000n + 2_000_000_000n);
  });

  it('counts sequence gaps, audio sample gaps, replays, device errors and unknown streams', () => {
    const h = harness();
    h.session.connected();
    const audio = (seq: number, firstIndex: number): Frame => ({ type: 'audio', stream: 2, seq, tUs: 10_000 + seq * 250, firstIndex, pcm: new Int16Array(4) });
    h.feed(HELLO, audio(0, 0), audio(1, 4), audio(4, 16), audio(4, 16));
    h.feed({ type: 'error', stream: 0, seq: 1, tUs: 20_000, code: 3, errorStream: 1, text: 'fifo' });
    h.feed({ type: 'imu', stream: 9, seq: 0, tUs: 20_000, dtUs: Uint16Array.from([0]), raw: new Int16Array(6) });
    h.feed({ type: 'syncRequest', stream: 0, seq: 2, tUs: 0, id: 1, hostT1: 5n });
    expect(h.session.stats()).toMatchObject({
      lostFrames: 2,
      lostByStream: { 2: 2 },
      dropped: 2,
      lostAudioSamples: 8,
      replayed: 1,
      bad: 1,
      deviceErrors: 1,
      decoded: 3,
    });
    expect(h.session.stats().skipped).toBe(4); // hello, error report, unknown stream, echoed host frame
  });
  it('with a device that never answers time sync, waits once per connection, then passes data straight on', () => {
    const h = harness({ syncWaitMs: 1000 });
    h.session.connected();
    const imu = (seq: number): Frame => ({ type: 'imu', stream: 1, seq, tUs: 2_000_000 + seq * 1000, dtUs: Uint16Array.from([0]), raw: new Int16Array(6) });
    h.feed(HELLO, imu(0));
    h.advanceMs(500);
    h.feed(imu(1));
    expect(h.samples.length).toBe(0);
    h.advanceMs(600);
    // the wait is over: the next frame comes out after the held ones, in order
    h.feed(imu(2));
    expect(h.samples.length).toBe(3);
    expect(h.samples.map((s) => s.stamp).every((t, i, all) => i === 0 || t > all[i - 1]!)).toBe(true);
    h.advanceMs(1);
    h.feed(imu(3));
    expect(h.samples.length).toBe(4);
    expect(h.session.stats()).toMatchObject({ replayed: 0, lostFrames: 0 });
    expect(h.session.stats().clockMode).toBe('arrival');
  });
});
