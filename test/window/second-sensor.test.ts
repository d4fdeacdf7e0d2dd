// A second topic of one modality (the real stereo pair of the multimodal bag: cam0 and cam1): the windower
// listens to one camera, counts the other's frames as skipped and says so once, naming the config key
// (window.sensors.vision) that picks the camera; with the key set it listens to the one named.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import type { Sample } from '../../src/core/types.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { readBag } from '../../src/sources/bag.js';
import { Windower } from '../../src/window/windower.js';
import { TOPICS, writeMultimodalBag } from '../bag/multimodal-fixture.js';

let dir: string;
const samples: Sample[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-stereo-'));
  const bag = join(dir, 'stereo.mcap');
  await writeMultimodalBag(bag);
  for await (const item of readBag(bag)) if (item.kind === 'sample') samples.push(item.sample);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function windowerLogged(sensors?: Record<string, string>) {
  const lines: { msg: string; modality?: string; using?: string; ignored?: string }[] = [];
  const destination = new Writable({
    write(chunk, _e, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  const w = new Windower({ logger: createLogger({ level: 'info', format: 'json', destination }), ...(sensors !== undefined ? { sensors } : {}) });
  for (const s of samples) w.push(s);
  return { w, lines };
}

describe('a second sensor of one modality', () => {
  it('the first camera is used, the other counted and named once with the key that picks it', async () => {
    const { w, lines } = windowerLogged();
    await new Promise((r) => setImmediate(r));
    const stats = w.stats();
    expect(stats.sensors.vision).toBe(TOPICS.cam0);
    expect(stats.skipped.vision).toBe(20);
    expect(lines).toEqual([
      expect.objectContaining({
        modality: 'vision',
        using: TOPICS.cam0,
        ignored: TOPICS.cam1,
        msg: `second vision sensor ${TOPICS.cam1} ignored: vision listens to ${TOPICS.cam0}; set window.sensors.vision to pick the sensor`,
      }),
    ]);
  });

  it('window.sensors.vision picks the other camera, from the config file through to the windower', async () => {
    const config = parseConfig({ window: { sensors: { vision: TOPICS.cam1 } } }, 'robot.yaml');
    const sensors = pipelineOptionsFromConfig(config).window.sensors as Record<string, string>;
    const { w, lines } = windowerLogged(sensors);
    await new Promise((r) => setImmediate(r));
    expect(w.stats().sensors.vision).toBe(TOPICS.cam1);
    expect(w.stats().skipped.vision).toBe(20);
    expect(lines.map((l) => l.ignored)).toEqual([TOPICS.cam0]);
    expect(() => parseConfig({ window: { sensors: { smell: '/nose' } } }, 'robot.yaml')).toThrow(/window\.sensors: unknown key "smell"/);
  });
});
