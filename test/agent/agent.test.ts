/**
 * The Agent's own contract, on real parts: a real Windower, the imagebind-tiny ONNX graphs through the
 * EmbeddingRuntime, a real ConceptMemory and ConceptMatcher, real sinks. Checks what the agent promises
 * (src/agent/agent.ts): only present modalities are embedded; an embedder that throws makes that modality
 * missing while matching goes on; a sink that fails is counted and the others still get every event; an
 * unchanged frame is reused, not re-embedded; finish() ends open events and flushes.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, type ModalityEmbedder } from '../../src/agent/agent.js';
import { Ticker } from '../../src/agent/ticker.js';
import { silentLogger } from '../../src/core/log.js';
import type { Sample, SenseEvent, StampNs, TaggedWindow } from '../../src/core/types.js';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { ConceptMatcher } from '../../src/match/matcher.js';
import { textPrototypeBuilder } from '../../src/match/prototypes.js';
import { ConceptMemory } from '../../src/memory/memory.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';
import type { EventSink } from '../../src/sinks/sink.js';
import { Windower } from '../../src/window/windower.js';

const ROOT = resolve(import.meta.dirname, '../..');
const T0 = 1_750_000_000_000_000_000n;
let dir: string;
let runtime: EmbeddingRuntime;

/** `seconds` of a 1 Hz camera (slower than the 2 Hz ticks), tone audio (100 ms chunks) and a 100 Hz IMU in motion. */
function sensors(seconds: number): Sample[] {
  const out: Sample[] = [];
  for (let k = 0; k < seconds * 100; k++) {
    const stamp = T0 + BigInt(k) * 10_000_000n;
    out.push({ modality: 'imu', sensorId: '/imu', stamp, acc: [0, 0.5 * Math.sin(k / 7), 9.81], gyro: [0.3 * Math.sin(k / 10), 0, 0] }); // moving: not gated at rest
    if (k % 100 === 0) {
      const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 7 + k) & 0xff);
      out.push({ modality: 'vision', sensorId: '/cam', stamp, width: 64, height: 48, rgb });
    }
    if (k % 10 === 0) {
      const samples = Float32Array.from({ length: 1600 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * (k * 160 + i)) / 16000));
      out.push({ modality: 'audio', sensorId: '/mic', stamp, rate: 16000, samples });
    }
  }
  return out;
}

async function agentWith(options: { embedder?: ModalityEmbedder; sinks: EventSink[] }) {
  const memory = await ConceptMemory.open({ conceptFile: join(ROOT, 'test/service/fixtures/concepts-eager.yaml'), builder: textPrototypeBuilder(runtime), logger: silentLogger() });
  const matcher = new ConceptMatcher(memory, { robot: 'agent-test', calibration: { textScale: runtime.scale('text') } });
  const agent = new Agent({
    // Gates off: the synthetic IMU lies still and the tone is steady; gating is tested in test/window/gates.test.ts.
    windower: new Windower({ audioSeconds: 2, imuSeconds: 2, imuSamples: 200, gates: false }),
    embedder: options.embedder ?? runtime,
    matcher,
    sinks: options.sinks,
    logger: silentLogger(),
    hopSeconds: 0.5,
  });
  return { agent, matcher };
}

/** Plays samples through the agent on their own clock, as the Service does for a bag as fast as possible. */
async function play(agent: Agent, samples: Sample[]): Promise<{ events: SenseEvent[]; presentSeen: Set<string> }> {
  const events: SenseEvent[] = [];
  const presentSeen = new Set<string>();
  const ticker = new Ticker({
    agent,
    hopSeconds: 0.5,
    logger: silentLogger(),
    busy: 'wait',
    onTick: (r) => {
      events.push(...r.match.events);
      for (const m of r.embeddings.present) presentSeen.add(m);
    },
  });
  for (const s of samples) {
    await ticker.advance(s.stamp);
    agent.push(s);
  }
  const end = (await ticker.drain()) ?? T0;
  events.push(...(await agent.finish(end)));
  return { events, presentSeen };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-agent-'));
  runtime = await EmbeddingRuntime.open(join(ROOT, 'test/fixtures/models/imagebind-tiny'), { providers: ['cpu'], cacheDir: join(dir, 'cache'), verifyHashes: false });
});
afterAll(async () => {
  await runtime?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Agent', () => {
  it('embeds the present modalities, reuses an unchanged frame, and ends every event it started', async () => {
    const file = join(dir, 'events.jsonl');
    const jsonl = new JsonlSink({ path: file });
    const { agent } = await agentWith({ sinks: [jsonl] });
    const { events, presentSeen } = await play(agent, sensors(6));
    await jsonl.close();
    expect([...presentSeen].sort()).toEqual(['audio', 'imu', 'vision']);
    const stats = agent.stats();
    expect(stats.embedded.depth).toBe(0);
    // Each 1 Hz frame is seen by two 2 Hz ticks: embedded once, reused once.
    expect(stats.embedded.vision + stats.reused.vision).toBe(stats.ticks);
    expect(stats.embedded.vision).toBe(6);
    expect(stats.reused.vision).toBe(stats.ticks - 6);
    expect(events.some((e) => e.type === 'start')).toBe(true);
    const open = new Set<string>();
    for (const e of events) {
      if (e.type === 'start') open.add(e.id);
      if (e.type === 'end') open.delete(e.id);
    }
    expect([...open]).toEqual([]);
    const written = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SenseEvent);
    expect(written.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
  }, 60_000);

  it('treats a modality whose embedder throws as missing and goes on with the others', async () => {
    const failingAudio: ModalityEmbedder = {
      modalities: () => runtime.modalities(),
      embedWindows: (windows: readonly TaggedWindow[], stamp: StampNs) => {
        if (windows[0]?.modality === 'audio') return Promise.reject(new Error('microphone graph crashed'));
        return runtime.embedWindows(windows, stamp);
      },
    };
    const { agent } = await agentWith({ embedder: failingAudio, sinks: [] });
    const { presentSeen } = await play(agent, sensors(3));
    const stats = agent.stats();
    expect(stats.embedErrors.audio).toBeGreaterThan(0);
    expect(stats.embedded.audio).toBe(0);
    expect(stats.embedded.imu).toBeGreaterThan(0);
    expect(presentSeen.has('audio')).toBe(false);
    expect(presentSeen.has('imu')).toBe(true);
  }, 60_000);

  it('counts a sink that fails and still delivers every event to the others', async () => {
    const got: SenseEvent[] = [];
    const broken: EventSink = {
      name: 'broken',
      write: () => Promise.reject(new Error('disk on fire')),
      flush: async () => {},
      close: async () => {},
      stats: () => ({ written: 0, dropped: 0, pending: 0, errors: 0 }),
    };
    const good: EventSink = {
      name: 'good',
      write: async (e) => void got.push(e),
      flush: async () => {},
      close: async () => {},
      stats: () => ({ written: got.length, dropped: 0, pending: 0, errors: 0 }),
    };
    const { agent } = await agentWith({ sinks: [broken, good] });
    const { events } = await play(agent, sensors(4));
    expect(events.length).toBeGreaterThan(0);
    expect(got.map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    expect(agent.stats().sinkErrors).toBe(events.length);
  }, 60_000);
});
