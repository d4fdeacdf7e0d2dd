/**
 * The service lifecycle in-process, on real parts: the imagebind-tiny test graphs, the eager concept file,
 * a JSONL sink, clips and a looped simulated-sensor source. Checks stop order and completeness, the stop
 * deadline, and the second-signal exit.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import type { Sample, SenseEvent } from '../../src/core/types.js';
import { buildAgent } from '../../src/pipeline/build.js';
import { openPipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { LoopSource } from '../../src/service/loop-source.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string;

/** 4 s of synthetic sensors: 10 Hz 64x48 camera, 100 ms audio chunks of a tone, 100 Hz IMU. */
function sensors(): Sample[] {
  const out: Sample[] = [];
  const t0 = 1_750_000_000_000_000_000n;
  for (let k = 0; k < 400; k++) {
    const stamp = t0 + BigInt(k) * 10_000_000n;
    out.push({ modality: 'imu', sensorId: '/imu', stamp, acc: [0, 0, 9.81], gyro: [0.01 * Math.sin(k / 10), 0, 0] });
    if (k % 10 === 0) {
      const rgb = new Uint8Array(64 * 48 * 3).map((_, i) => (i * 7 + k) & 0xff);
      out.push({ modality: 'vision', sensorId: '/cam', stamp, width: 64, height: 48, rgb });
      const samples = Float32Array.from({ length: 1600 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * 440 * (k * 160 + i)) / 16000));
      out.push({ modality: 'audio', sensorId: '/mic', stamp, rate: 16000, samples });
    }
  }
  return out;
}

async function build(options: { deadline?: number } = {}) {
  const config = parseConfig(
    {
      log: { level: 'silent' },
      model: { dir: join(ROOT, 'test/fixtures/models/imagebind-tiny'), providers: ['cpu'], cacheDir: join(dir, 'cache') },
      sinks: { jsonl: { path: join(dir, `events-${Math.random()}.jsonl`) } },
      service: { stopDeadlineSeconds: options.deadline ?? 10, clips: { dir: join(dir, 'clips'), preRollSeconds: 1, postRollSeconds: 0.2 } },
    },
    'test',
  );
  const source = new LoopSource('loop', { samples: sensors(), loopNs: 4_000_000_000n, speed: 4 });
  const pipeline = await openPipeline(pipelineOptionsFromConfig(config, { concepts: join(ROOT, 'test/service/fixtures/concepts-eager.yaml') }));
  const built = await buildAgent(pipeline, config, { mode: { kind: 'replayed', sources: [source] }, logger: silentLogger() });
  return {
    service: built.service,
    agent: built.agent,
    clips: built.clips,
    source,
    eventsFile: config.sinks.jsonl.path,
    async close() {
      await built.close();
      await pipeline.close();
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-lifecycle-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Service', () => {
  it('stops in order: intake off, events ended, sinks flushed, clips complete', async () => {
    const s = await build();
    await s.service.start();
    expect(s.service.readiness().ready).toBe(true);
    while (s.agent.stats().events === 0) await new Promise((r) => setTimeout(r, 50));
    const summary = await s.service.stop('test');
    expect(summary.clean).toBe(true);
    expect(s.source.stats().connected).toBe(false);
    expect(s.service.readiness().ready).toBe(false);
    const events = (await readFile(s.eventsFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as SenseEvent);
    expect(events.length).toBe(s.agent.stats().events);
    const open = new Set<string>();
    for (const e of events) {
      if (e.type === 'start') open.add(e.id);
      if (e.type === 'end') open.delete(e.id);
    }
    expect([...open]).toEqual([]);
    expect(s.clips!.stats()).toMatchObject({ open: 0, failed: 0 });
    expect(s.clips!.stats().written).toBe(events.filter((e) => e.type === 'start').length);
    // A second stop is the same stop.
    await expect(s.service.stop('again')).resolves.toBe(summary);
    await s.close();
  }, 60_000);

  it('reports an unclean stop naming what it waited for when the deadline passes', async () => {
    const s = await build({ deadline: 0.001 });
    await s.service.start();
    // With an event open, the stop has a clip file to finish: far more than the 1 ms allowed.
    while (s.clips!.stats().open === 0) await new Promise((r) => setTimeout(r, 20));
    const summary = await s.service.stop('test');
    expect(summary.clean).toBe(false);
    expect(summary.waitingFor).toBeTypeOf('string');
    await s.service.stopped;
    await s.close();
  }, 60_000);

  it('a stop step that throws ends in an unclean stop, and `stopped` still resolves', async () => {
    const s = await build();
    await s.service.start();
    // Fault injection on the real clip writer: its close is one awaited step of the stop sequence.
    s.clips!.close = () => Promise.reject(new Error('disk gone'));
    const summary = await s.service.stop('test');
    expect(summary).toMatchObject({ clean: false, waitingFor: 'closing event clips' });
    await expect(s.service.stopped).resolves.toBe(summary);
    await s.close();
  }, 60_000);

  it('a second SIGTERM exits at once with 143', async () => {
    const s = await build();
    await s.service.start();
    const codes: number[] = [];
    s.service.handleSignals((code) => codes.push(code));
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(codes).toEqual([143]);
    expect((await s.service.stopped).clean).toBe(true);
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    await s.close();
  }, 60_000);
});
