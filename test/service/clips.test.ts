import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sample, SenseEvent } from '../../src/core/types.js';
import { ClipRecorder } from '../../src/service/clips.js';
import { PreRollBuffer } from '../../src/service/preroll.js';
import { applyRetention } from '../../src/service/retention.js';
import { nsToIso } from '../../src/core/clock.js';

const T0 = 1_700_000_000_000_000_000n;
const ms = (n: number) => T0 + BigInt(n) * 1_000_000n;

function samplesAt(t: number): Sample[] {
  const stamp = ms(t);
  return [
    { modality: 'vision', sensorId: '/cam/image_raw', stamp, width: 4, height: 2, rgb: new Uint8Array(24).fill(t & 0xff) },
    { modality: 'depth', sensorId: '/cam/depth', stamp, width: 2, height: 2, metres: new Float32Array([1, 2, 3, t / 1000]) },
    { modality: 'audio', sensorId: '/dev/ttyACM0', stamp, rate: 16000, samples: new Float32Array(160).fill(0.25) },
    { modality: 'imu', sensorId: '/imu/data_raw', stamp, acc: [0, 0, 9.81], gyro: [0.1, 0, 0] },
  ];
}

function event(type: SenseEvent['type'], startMs: number, endMs: number | null, seq: number): SenseEvent {
  return {
    v: 1, id: 'ev-1', type, robot: 'r1', concept: { id: 'glass_breaking', label: 'glass breaking' }, score: 0.9,
    peakScore: 0.9, modalityScores: { audio: 0.9 }, present: ['audio'], missing: [], start: String(ms(startMs)),
    end: endMs === null ? null : String(ms(endMs)),
    startTime: nsToIso(ms(startMs)), endTime: endMs === null ? null : nsToIso(ms(endMs)), emittedAt: new Date(0).toISOString(), seq,
  };
}

async function readClip(path: string): Promise<Map<string, unknown[]>> {
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
    const readers = new Map([...reader.schemasById.values()].map((s) => [s.id, new MessageReader(parseMsg(new TextDecoder().decode(s.data), { ros2: true }))]));
    const out = new Map<string, unknown[]>();
    for await (const m of reader.readMessages()) {
      const ch = reader.channelsById.get(m.channelId)!;
      const list = out.get(ch.topic) ?? [];
      list.push({ logTime: m.logTime, msg: readers.get(ch.schemaId)!.readMessage(m.data) });
      out.set(ch.topic, list);
    }
    return out;
  } finally {
    await handle.close();
  }
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-clips-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ClipRecorder', () => {
  it('writes pre-roll, event span and post-roll of every topic plus the event JSON', async () => {
    const rec = new ClipRecorder({ dir, preRollSeconds: 1, postRollSeconds: 0.5 });
    // 3 s of samples at 10 Hz; the event runs 1.5 s .. 2.0 s; clip = 0.5 s .. 2.5 s.
    const events: SenseEvent[] = [];
    for (let t = 0; t <= 3000; t += 100) {
      for (const s of samplesAt(t)) rec.push(s);
      if (t === 1600) events.push(rec.annotate(event('start', 1500, null, 1)));
      if (t === 2100) events.push(rec.annotate(event('end', 1500, 2000, 2)));
    }
    await rec.close();
    const path = events[0]!.clip!;
    expect(path).toMatch(/glass_breaking_ev-1\.mcap$/);
    expect(events[1]!.clip).toBe(path);
    expect(rec.stats()).toMatchObject({ written: 1, failed: 0, open: 0, droppedSamples: 0 });
    const topics = await readClip(path);
    expect([...topics.keys()].sort()).toEqual(['/cam/depth', '/cam/image_raw', '/imu/data_raw', '/sensebind/audio/dev_ttyACM0', '/sensebind/events']);
    const cam = topics.get('/cam/image_raw') as Array<{ logTime: bigint; msg: { encoding: string; data: Uint8Array } }>;
    expect(cam[0]!.logTime).toBe(ms(500));
    // Closed by the first sample at or past end + post-roll (2.5 s).
    expect(cam.at(-1)!.logTime).toBe(ms(2500));
    expect(cam).toHaveLength(21);
    expect(cam[0]!.msg.encoding).toBe('rgb8');
    const depth = topics.get('/cam/depth') as Array<{ msg: { encoding: string; data: Uint8Array } }>;
    expect(depth[0]!.msg.encoding).toBe('32FC1');
    expect(Array.from(new Float32Array(depth[0]!.msg.data.slice().buffer))).toEqual([1, 2, 3, 0.5]);
    const audio = topics.get('/sensebind/audio/dev_ttyACM0') as Array<{ msg: { audio: { audio_data: { float32_data: Float32Array }; info: { rate: number } } } }>;
    expect(audio[0]!.msg.audio.info.rate).toBe(16000);
    expect(audio[0]!.msg.audio.audio_data.float32_data[0]).toBe(0.25);
    const imu = topics.get('/imu/data_raw') as Array<{ msg: { linear_acceleration: { z: number }; orientation_covariance: number[] } }>;
    expect(imu[0]!.msg.linear_acceleration.z).toBeCloseTo(9.81);
    expect(imu[0]!.msg.orientation_covariance[0]).toBe(-1);
    const ev = (topics.get('/sensebind/events') as Array<{ msg: { data: string } }>).map((e) => JSON.parse(e.msg.data) as SenseEvent);
    expect(ev.map((e) => e.type)).toEqual(['start', 'end']);
    expect(ev[0]!.clip).toBe(path);
  });

  it('closes a clip at maxSeconds and on close(), and names the clip in later messages', async () => {
    const rec = new ClipRecorder({ dir, preRollSeconds: 0.2, postRollSeconds: 0, maxSeconds: 1 });
    for (const s of samplesAt(0)) rec.push(s);
    const start = rec.annotate(event('start', 0, null, 1));
    for (let t = 100; t <= 1500; t += 100) for (const s of samplesAt(t)) rec.push(s);
    expect(rec.stats().open).toBe(0);
    const update = rec.annotate(event('update', 0, null, 2));
    expect(update.clip).toBe(start.clip);
    await rec.settled();
    expect(rec.stats().written).toBe(1);
  });

  it('gives no clip to events beyond maxOpen, and counts them', async () => {
    const rec = new ClipRecorder({ dir, maxOpen: 1 });
    for (const s of samplesAt(0)) rec.push(s);
    const a = rec.annotate(event('start', 0, null, 1));
    const b = rec.annotate({ ...event('start', 0, null, 2), id: 'ev-2' });
    expect(a.clip).toBeDefined();
    expect(b.clip).toBeUndefined();
    await rec.close();
    expect(rec.stats()).toMatchObject({ written: 1, skipped: 1 });
  });

  it('keeps going without a clip when the folder cannot be written', async () => {
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const rec = new ClipRecorder({ dir: join(blocker, 'clips') });
    for (const s of samplesAt(0)) rec.push(s);
    rec.annotate(event('start', 0, null, 1));
    await rec.close();
    expect(rec.stats()).toMatchObject({ written: 0, failed: 1 });
  });
});

describe('PreRollBuffer', () => {
  it('bounds by time per topic and by bytes overall, oldest first', () => {
    const buf = new PreRollBuffer(1, 100_000);
    for (let t = 0; t <= 2000; t += 100) for (const s of samplesAt(t)) buf.push(s);
    const all = buf.since(0n);
    expect(all.every((s) => s.stamp >= ms(1000))).toBe(true);
    expect(buf.stats().evictedForMemory).toBe(0);
    const small = new PreRollBuffer(10, 2_000);
    for (let t = 0; t <= 2000; t += 100) for (const s of samplesAt(t)) small.push(s);
    expect(small.stats().bytes).toBeLessThanOrEqual(2_000);
    expect(small.stats().evictedForMemory).toBeGreaterThan(0);
    // What is left is the newest data.
    expect(small.since(0n).at(-1)!.stamp).toBe(ms(2000));
  });
});

describe('applyRetention', () => {
  it('deletes clips past the age limit, then the oldest until the size fits, never files in use', async () => {
    const now = Date.now();
    const mk = async (name: string, bytes: number, ageH: number) => {
      const p = join(dir, name);
      await writeFile(p, Buffer.alloc(bytes));
      const t = (now - ageH * 3600_000) / 1000;
      await utimes(p, t, t);
      return p;
    };
    await mk('old.mcap', 10, 200);
    await mk('a.mcap', 400, 3);
    const inUse = await mk('b.mcap', 400, 2);
    await mk('c.mcap', 400, 1);
    await writeFile(join(dir, 'notes.txt'), 'keep');
    const r = await applyRetention(dir, { maxBytes: 500, maxAgeMs: 168 * 3600_000 }, new Set([inUse]), now);
    expect(r.deleted.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['a.mcap', 'old.mcap']);
    expect((await readdir(dir)).sort()).toEqual(['b.mcap', 'c.mcap', 'notes.txt']);
    expect((await stat(join(dir, 'c.mcap'))).size).toBe(400);
  });
});

describe('ClipRecorder scores', () => {
  it("records the scores from the pre-roll on, so a clip shows the fused score crossing its event's on-threshold", async () => {
    const { scoresMessage } = await import('../../src/live/messages.js');
    const rec = new ClipRecorder({ dir, preRollSeconds: 1, postRollSeconds: 0.5, decisionDelaySeconds: 0 });
    // A score rising 0.1 per 100 ms from 0 ms; the event starts when it reaches on = 0.5 (at 500 ms).
    const events: SenseEvent[] = [];
    for (let t = 0; t <= 1500; t += 100) {
      for (const s of samplesAt(t)) rec.push(s);
      const smoothed = Math.min(1, t / 1000);
      if (t === 500) events.push(rec.annotate(event('start', 500, null, 1)));
      if (t === 1000) events.push(rec.annotate(event('end', 500, 1000, 2)));
      const trace = [
        { conceptId: 'glass_breaking', label: 'glass breaking', fused: smoothed, smoothed, on: 0.5, off: 0.2, active: t >= 500 && t < 1000, modalityScores: { audio: smoothed } },
        { conceptId: 'alarm', label: 'alarm', fused: null, smoothed: 0, on: 0.3, off: 0.1, active: false, modalityScores: {} },
      ];
      rec.recordScores(ms(t), scoresMessage(trace, ms(t), t / 100));
    }
    await rec.close();
    const topics = await readClip(events[0]!.clip!);
    type Row = { id: string; smoothed: number; on: number; fused: number; audio: number; vision: number; active: boolean };
    const scores = topics.get('/sensebind/scores') as Array<{ logTime: bigint; msg: { timestamp: { sec: number; nanosec: number }; seq: bigint; concepts: Row[] } }>;
    // The pre-roll reaches back 1 s before the start (to 0 ms); the clip closes when the sample clock reaches
    // end + post-roll (1500 ms), before that tick's scores.
    expect(scores.map((s) => Number((s.logTime - T0) / 1_000_000n))).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200, 1300, 1400]);
    const glass = scores.map((s) => s.msg.concepts.find((c) => c.id === 'glass_breaking')!);
    expect(glass[4]!.smoothed).toBeLessThan(glass[4]!.on);
    expect(glass[5]!.smoothed).toBeGreaterThanOrEqual(glass[5]!.on);
    expect(glass[5]!).toMatchObject({ on: 0.5, active: true, audio: 0.5 });
    expect(Number.isNaN(glass[5]!.vision)).toBe(true);
    const alarm = scores[5]!.msg.concepts.find((c) => c.id === 'alarm')!;
    expect(Number.isNaN(alarm.fused)).toBe(true);
    expect(scores[5]!.msg.seq).toBe(5n);
  });
});
