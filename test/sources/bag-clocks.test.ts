// Bags whose topics stamp on different clocks, as robots record them: real rosbag2 MCAPs written by the
// simulator with the project's writer, the header stamps of one topic shifted (an hour behind or ahead, a
// device boot clock, one stamp a year ahead) while the log time stays the recorder's. Replayed through
// the whole pipeline with the bundled model: each finishes quickly, gives the same events, samples and
// duration as the bag with one clock, and says once which topic was off and by how much.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import type { SenseEvent } from '../../src/core/types.js';
import { parseConfig } from '../../src/config/load.js';
import { openPipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { runBag, type BagRun, type BagRunOptions } from '../../src/pipeline/run-bag.js';
import { writeSimulationBag, type WriteBagOptions } from '../../src/sim/bag.js';
import { DEFAULT_SIM_TOPICS } from '../../src/sim/ros-messages.js';
import { DEFAULT_START_STAMP, createSimulation } from '../../src/sim/simulator.js';

const S = 1_000_000_000n;
const HOUR = 3600n * S;
const YEAR = 365n * 86400n * S;

let dir: string;
let baseline: BagRun;
let baselineWall: number;

async function bag(name: string, headerStamp?: WriteBagOptions['headerStamp']): Promise<string> {
  const path = join(dir, `${name}.mcap`);
  const sim = createSimulation({ seed: 11, duration: 14, fps: 4, width: 160, height: 120, events: ['dog_barking', 'glass_breaking', 'collision'] });
  await writeSimulationBag(sim, path, headerStamp !== undefined ? { headerStamp } : {});
  return path;
}

async function replayLogged(path: string, clock?: BagRunOptions['clock']) {
  const lines: { level: number; msg: string; topic?: string; offsetSeconds?: number }[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const logger = createLogger({ level: 'info', format: 'json', destination });
  // A fresh pipeline per replay: the matcher's event state must not carry over from another bag.
  const config = parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache') } }, 'test');
  const pipeline = await openPipeline(pipelineOptionsFromConfig(config));
  try {
    const t0 = performance.now();
    const run = await runBag(pipeline, config, path, { hopSeconds: 0.5, logger, ...(clock !== undefined ? { clock } : {}) });
    const wall = (performance.now() - t0) / 1000;
    await new Promise((r) => setImmediate(r));
    return { run, lines, wall };
  } finally {
    await pipeline.close();
  }
}

/** What a consumer sees of an event: everything but the per-run id, sequence and wall-clock emission time. */
const comparable = (events: SenseEvent[]) => events.map((e) => ({ type: e.type, concept: e.concept.id, start: e.start, end: e.end, score: e.score, present: e.present }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-clocks-'));
  ({ run: baseline, wall: baselineWall } = await replayLogged(await bag('one-clock')));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('topics on different clocks in a bag', () => {
  it('the bag with one clock fires events (so the comparisons below compare something)', () => {
    expect(baseline.summary.events.filter((e) => e.type === 'start').length).toBeGreaterThan(0);
    expect(baseline.summary.durationSeconds).toBeGreaterThan(13);
    expect(baseline.bag?.clocks).toEqual({});
  });

  const cases: [string, string, WriteBagOptions['headerStamp'], number][] = [
    ['audio an hour behind', DEFAULT_SIM_TOPICS.audio, (role, t) => (role === 'audio' ? t - HOUR : t), -3600],
    ['audio an hour ahead', DEFAULT_SIM_TOPICS.audio, (role, t) => (role === 'audio' ? t + HOUR : t), 3600],
    ['IMU on a boot clock (42 s since power-on)', DEFAULT_SIM_TOPICS.imu, (role, t) => (role === 'imu' ? t - DEFAULT_START_STAMP + 42n * S : t), Number(42n * S - DEFAULT_START_STAMP) / 1e9],
  ];
  for (const [name, topic, headerStamp, offset] of cases) {
    it(`${name}: mapped onto the log clock, same events, said once naming ${topic}`, async () => {
      const { run, lines, wall } = await replayLogged(await bag(name.replace(/\W+/g, '-'), headerStamp));
      expect(wall).toBeLessThan(baselineWall * 3 + 20);
      expect(comparable(run.summary.events)).toEqual(comparable(baseline.summary.events));
      expect(run.summary.samples).toEqual(baseline.summary.samples);
      expect(run.summary.durationSeconds).toBeCloseTo(baseline.summary.durationSeconds, 6);
      const warned = lines.filter((l) => l.topic === topic && /another clock/.test(l.msg));
      expect(warned).toHaveLength(1);
      expect(warned[0]!.offsetSeconds).toBeCloseTo(offset, 3);
      expect(warned[0]!.msg).toContain(`topic ${topic} stamps on another clock`);
      expect(Object.keys(run.bag!.clocks)).toEqual([topic]);
      expect(run.bag!.clocks[topic]).toMatchObject({ action: 'mapped', jumps: 0 });
    });
  }

  it('one camera stamp a year ahead: the replay does not tick through the year, events unchanged', async () => {
    let images = 0;
    const path = await bag('year-ahead', (role, t) => (role === 'image' && ++images === 6 ? t + YEAR : t));
    const { run, lines, wall } = await replayLogged(path);
    expect(wall).toBeLessThan(baselineWall * 3 + 20);
    expect(comparable(run.summary.events)).toEqual(comparable(baseline.summary.events));
    expect(run.summary.durationSeconds).toBeCloseTo(baseline.summary.durationSeconds, 6);
    expect(lines.filter((l) => l.topic === DEFAULT_SIM_TOPICS.image && l.level === 40).map((l) => l.msg)).toEqual([
      `topic ${DEFAULT_SIM_TOPICS.image} stamps on another clock: +31536000.000 s from the bag log time (after a jump); mapped onto the bag log time by a fixed offset`,
      `topic ${DEFAULT_SIM_TOPICS.image} clock jumped: offset from the bag log time +31536000.000 s -> +0.000 s; further jumps are counted, not logged`,
    ]);
  });

  it('policy refuse: the audio topic an hour behind is skipped with a warning; the rest replays', async () => {
    const { run, lines } = await replayLogged(await bag('refuse', (role, t) => (role === 'audio' ? t - HOUR : t)), { mode: 'refuse' });
    expect(run.summary.samples.audio).toBe(0);
    expect(run.summary.samples.vision).toBe(baseline.summary.samples.vision);
    const audio = run.bag!.topics[DEFAULT_SIM_TOPICS.audio]!;
    expect(audio.decoded).toBe(0);
    expect(audio.skipped).toBe(baseline.bag!.topics[DEFAULT_SIM_TOPICS.audio]!.decoded);
    expect(audio.firstReason).toBe('stamps -3600.000 s off the bag log time (clock policy refuse)');
    expect(lines.filter((l) => l.topic === DEFAULT_SIM_TOPICS.audio && /refused/.test(l.msg))).toHaveLength(1);
  });
});
