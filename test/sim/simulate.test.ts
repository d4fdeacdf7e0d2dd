// The simulator as `sensebind simulate` runs it: same seed = same bytes, and a bag any MCAP/rosbag2 reader
// can decode, with every sensor and the ground truth on it.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { MessageConverter } from '../../src/decode/converter.js';
import type { Sample } from '../../src/core/types.js';
import { createSimulation } from '../../src/sim/simulator.js';
import { writeSimulationBag } from '../../src/sim/bag.js';
import { DEFAULT_SIM_TOPICS } from '../../src/sim/ros-messages.js';
import { parseTruth, type TruthEvent } from '../../src/sim/truth.js';

const dir = mkdtempSync(join(tmpdir(), 'sensebind-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

interface Decoded {
  counts: Record<string, number>;
  samples: Sample[];
  truth: TruthEvent[];
  profile: string;
}

async function decodeBag(path: string): Promise<Decoded> {
  const handle = await open(path, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
    const readers = new Map<number, MessageReader>();
    for (const [id, schema] of reader.schemasById) {
      expect(schema.encoding).toBe('ros2msg');
      readers.set(id, new MessageReader(parseMsg(new TextDecoder().decode(schema.data), { ros2: true })));
    }
    const converter = new MessageConverter();
    const counts: Record<string, number> = {};
    const samples: Sample[] = [];
    const truth: TruthEvent[] = [];
    for await (const m of reader.readMessages()) {
      const channel = reader.channelsById.get(m.channelId)!;
      const schema = reader.schemasById.get(channel.schemaId)!;
      expect(channel.messageEncoding).toBe('cdr');
      const message = readers.get(channel.schemaId)!.readMessage(m.data);
      counts[channel.topic] = (counts[channel.topic] ?? 0) + 1;
      if (channel.topic === DEFAULT_SIM_TOPICS.truth) {
        truth.push(parseTruth((message as { data: string }).data, `${path} @${m.logTime}`));
        continue;
      }
      const r = await converter.convert(channel.topic, schema.name, message, m.logTime);
      if (r.kind === 'sample') samples.push(r.sample);
      else expect(r.kind, `${channel.topic}: ${JSON.stringify(r)}`).toBe('info');
    }
    return { counts, samples, truth, profile: reader.header.profile };
  } finally {
    await handle.close();
  }
}

describe('sensebind simulate', () => {
  it('writes identical bytes for the same seed, different bytes for another seed', async () => {
    const a = join(dir, 'a.mcap');
    const b = join(dir, 'b.mcap');
    const c = join(dir, 'c.mcap');
    await writeSimulationBag(createSimulation({ seed: 11, duration: 3 }), a);
    await writeSimulationBag(createSimulation({ seed: 11, duration: 3 }), b);
    await writeSimulationBag(createSimulation({ seed: 12, duration: 3 }), c);
    expect(sha(a)).toBe(sha(b));
    expect(sha(a)).not.toBe(sha(c));
  });

  it('writes a rosbag2 MCAP whose every sensor decodes through the project converter, with ground truth', async () => {
    const path = join(dir, 'full.mcap');
    const sim = createSimulation({ seed: 5, duration: 12, events: ['tipping_over'] });
    const summary = await writeSimulationBag(sim, path);
    const bag = await decodeBag(path);
    expect(bag.profile).toBe('ros2');
    const t = DEFAULT_SIM_TOPICS;
    expect(bag.counts[t.image]).toBe(120);
    expect(bag.counts[t.depth]).toBe(120);
    expect(bag.counts[t.imu]).toBe(2400);
    expect(bag.counts[t.audio]).toBe(120);
    expect(bag.counts[t.audioInfo]).toBe(1);
    expect(summary.messages.truth).toBeGreaterThanOrEqual(1);
    expect(bag.truth.length).toBe(summary.messages.truth);
    const byModality = (m: Sample['modality']) => bag.samples.filter((s) => s.modality === m);
    const vision = byModality('vision');
    expect(vision.length).toBe(120);
    expect(vision[0]).toMatchObject({ width: 320, height: 240 });
    const depth = byModality('depth');
    expect(depth.length).toBe(120);
    const audio = byModality('audio');
    expect(audio.reduce((n, s) => n + (s.modality === 'audio' ? s.samples.length : 0), 0)).toBe(12 * 16000);
    const imu = byModality('imu');
    expect(imu.length).toBe(2400);

    // Ground truth agrees with what the sensors show: while tipped over, gravity lies along the IMU's y axis.
    const ev = bag.truth[0]!;
    expect(ev.label).toBe('tipping_over');
    expect(ev.end > ev.start).toBe(true);
    const lying = imu.filter((s) => s.modality === 'imu' && s.stamp > ev.start + 2_200_000_000n && s.stamp < ev.end - 1_000_000_000n);
    const before = imu.filter((s) => s.modality === 'imu' && s.stamp < ev.start);
    const meanAbs = (xs: Sample[], axis: 1 | 2) => xs.reduce((n, s) => n + Math.abs(s.modality === 'imu' ? s.acc[axis] : 0), 0) / xs.length;
    expect(lying.length).toBeGreaterThan(50);
    expect(meanAbs(before, 2)).toBeGreaterThan(9);
    expect(meanAbs(lying, 1)).toBeGreaterThan(8);
    // Depth is in metres after decoding (16UC1 mm): a room is between 0.15 m and 10 m away.
    const d0 = depth[0]!;
    if (d0.modality !== 'depth') throw new Error('not depth');
    const valid = Array.from(d0.metres).filter((v) => Number.isFinite(v));
    expect(valid.length).toBeGreaterThan(d0.metres.length * 0.9);
    expect(Math.min(...valid)).toBeGreaterThanOrEqual(0.15);
    expect(Math.max(...valid)).toBeLessThanOrEqual(10);
  });

  it('runs depth at its own rate and size when asked (a 30 Hz colour stream beside 15 Hz depth)', async () => {
    const sim = createSimulation({ seed: 3, duration: 2, width: 64, height: 48, fps: 30, depthFps: 15, depthWidth: 40, depthHeight: 30 });
    const frames: Array<{ kind: string; stamp: bigint; width: number }> = [];
    let last = 0n;
    for await (const item of sim.items()) {
      expect(item.stamp >= last, 'items come in stamp order').toBe(true);
      last = item.stamp;
      if (item.kind === 'image' || item.kind === 'depth') frames.push({ kind: item.kind, stamp: item.stamp, width: item.width });
    }
    const images = frames.filter((f) => f.kind === 'image');
    const depths = frames.filter((f) => f.kind === 'depth');
    expect(images.length).toBe(60);
    expect(depths.length).toBe(30);
    expect(depths.every((d) => d.width === 40)).toBe(true);
    // 15 Hz: about 66.7 ms apart (stamps jitter by a few ms)
    const gaps = depths.slice(1).map((d, i) => Number(d.stamp - depths[i]!.stamp) / 1e6);
    for (const g of gaps) expect(Math.abs(g - 1000 / 15)).toBeLessThan(7);
  });
});
