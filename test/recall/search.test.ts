// Remember a recording, then search it, as a user does: `replay <bag> --remember <dir>` then
// `search "<text>"` (and `--like <bag>@<s>`, and the same query over MQTT on a real Mosquitto broker),
// with the bundled bind-mini model on a simulated scene whose ground truth says when each event was.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { command as replay } from '../../src/cli/commands/replay.js';
import { command as search } from '../../src/cli/commands/search.js';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { ConceptControl } from '../../src/pipeline/control.js';
import { openPipeline, type Pipeline } from '../../src/pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../src/pipeline/options.js';
import { LanceRecallStore } from '../../src/recall/lance-store.js';
import { withRecallSearch } from '../../src/recall/mqtt-search.js';
import { writeSimulationBag } from '../../src/sim/bag.js';
import { createSimulation } from '../../src/sim/simulator.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';
import { runCommandCaptured, type CommandResult } from '../helpers/run-command.js';
import { Collector, until } from '../sinks/mqtt-helpers/events.js';

let dir: string;
let bag: string;
let store: string;
let truth: { label: string; start: number; end: number }[];

function run(command: Command, argv: string[]): Promise<CommandResult> {
  return runCommandCaptured(command, argv, async () => parseConfig({ model: { providers: ['cpu'], cacheDir: join(dir, 'cache') }, robot: { id: 'test' } }, 'test'));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-search-'));
  bag = join(dir, 'scene.mcap');
  store = join(dir, 'recall');
  const sim = createSimulation({ seed: 14, duration: 30, events: ['glass_breaking', 'dog_barking', 'tipping_over'] });
  await writeSimulationBag(sim, bag);
  const r = await run(replay, [bag, '--remember', store]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout);
  expect(out.remembered).toMatchObject({ dir: store, dropped: 0, failed: 0 });
  expect(out.remembered.written).toBe(out.snapshots);
  truth = sim.script.events.map((e) => ({ label: e.kind, start: e.start, end: e.end }));
  expect(truth.map((t) => t.label).sort()).toEqual(['dog_barking', 'glass_breaking', 'glass_breaking', 'tipping_over']);
}, 240_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Seconds after the bag's first sensor sample, from a `<bag>@<s>` clip link. */
const linkSeconds = (clip: string | null) => Number(/@([\d.]+)$/.exec(clip ?? '')?.[1]);

describe('sensebind search over a remembered recording', () => {
  it('finds each event by text: the best range overlaps its ground truth', async () => {
    for (const [query, label] of [['glass breaking', 'glass_breaking'], ['a dog barking', 'dog_barking']] as const) {
      const r = await run(search, [query, '--store', store, '--top', '3', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.query).toMatchObject({ text: query, like: null });
      const best = out.ranges[0];
      const start = linkSeconds(best.clip);
      expect(best.clip).toMatch(/scene\.mcap@[\d.]+$/);
      // The range (link = its first moment, plus its duration) overlaps a truth interval, with slack for the windows.
      const hit = truth.filter((x) => x.label === label).some((t) => start <= t.end + 1 && start + best.durationSeconds >= t.start - 1);
      expect(hit, `${query}: best range at ${start} s for ${best.durationSeconds} s, truth ${JSON.stringify(truth)}`).toBe(true);
      expect(best.score).toBeGreaterThan(out.ranges[1]?.score ?? 0);
      expect(Object.keys(best.modalityScores).length).toBeGreaterThan(1);
    }
  }, 120_000);

  it('searches with one modality, by example, and within a time range; prints a table without --json', async () => {
    const audio = JSON.parse((await run(search, ['glass breaking', '--store', store, '--modality', 'audio', '--json'])).stdout);
    expect(Object.keys(audio.ranges[0].modalityScores)).toEqual(['audio']);
    const t = truth.find((x) => x.label === 'dog_barking')!;
    const like = await run(search, ['--like', `${bag}@${((t.start + t.end) / 2).toFixed(1)}`, '--store', store, '--top', '1', '--json']);
    expect(like.code, like.stderr).toBe(0);
    const best = JSON.parse(like.stdout).ranges[0];
    expect(linkSeconds(best.clip)).toBeLessThanOrEqual(t.end + 1);
    expect(linkSeconds(best.clip) + best.durationSeconds).toBeGreaterThanOrEqual(t.start - 1);
    const all = JSON.parse((await run(search, ['glass breaking', '--store', store, '--top', '50', '--json'])).stdout);
    const cut = BigInt(all.ranges[0].peak);
    const later = JSON.parse((await run(search, ['glass breaking', '--store', store, '--since', String(Number(cut) / 1e9 + 2), '--json'])).stdout);
    expect(later.ranges.every((g: { start: string }) => BigInt(g.start) >= cut + 2_000_000_000n)).toBe(true);
    const text = await run(search, ['glass breaking', '--store', store, '--top', '2']);
    expect(text.stdout).toMatch(/^ 1\. .* score 0\.\d{3} .*scene\.mcap@/m);
  }, 120_000);

  it('names bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['glass', '--like', 'x.png', '--store', store], /a query text or --like/],
      [['glass'], /no store/],
      [['glass', '--store', join(dir, 'none')], /no recall.json there/],
      [['glass', '--store', store, '--modality', 'smell'], /unknown modality "smell"/],
      [['glass', '--store', store, '--since', 'yesterday-ish'], /--since: expected seconds, an ISO date/],
      [['--like', join(dir, 'x.bin'), '--store', store], /cannot tell the modality/],
      [['--like', `${bag}@999`, '--store', store], /ends before 999 s/],
    ];
    for (const [argv, problem] of cases) {
      const r = await run(search, argv);
      expect(r.code, argv.join(' ')).toBe(problem.source.includes('recall.json') ? 1 : 2); // a missing store is bad input (1), the rest usage (2)
      expect(r.stderr).toMatch(problem);
    }
  }, 120_000);
});

describe('search over MQTT', () => {
  let broker: LocalBroker;
  let pipeline: Pipeline;
  beforeAll(async () => {
    broker = await LocalBroker.start();
    pipeline = await openPipeline(pipelineOptionsFromConfig(parseConfig({ model: { cacheDir: join(dir, 'cache') } }, 'test')));
  });
  afterAll(async () => {
    await pipeline?.close();
    await broker?.close();
  });

  it('answers {"op":"search"} on the command topic; other ops still reach the concept memory', async () => {
    const s = await LanceRecallStore.open({ dir: store, modelId: pipeline.runtime.modelId, dim: pipeline.runtime.manifest.embeddingDim, create: false });
    const sink = new MqttSink({
      url: broker.url,
      robot: 'r9',
      logger: silentLogger(),
      commands: withRecallSearch(new ConceptControl(pipeline.memory, { conceptFile: '', logger: silentLogger() }).mqttHandler(), { store: s, pipeline, config: parseConfig({}, 'test'), hopSeconds: 0.5, calibration: { textScale: pipeline.runtime.scale('text') } }),
      concepts: () => pipeline.memory.concepts(),
    });
    try {
      await until(() => sink.connected, 'sink connected');
      const c = await Collector.connect(broker.url, ['reply/search'], { protocolVersion: 4 });
      await new Promise((r) => setTimeout(r, 100));
      const ask = async (body: object) => {
        const n = c.on('reply/search').length;
        await c.client.publishAsync('sensebind/r9/cmd/concepts', JSON.stringify({ ...body, replyTo: 'reply/search' }), { qos: 1 });
        await c.waitFor(() => c.on('reply/search').length > n, `reply to ${JSON.stringify(body)}`);
        return JSON.parse(c.on('reply/search').at(-1)!.text);
      };
      const found = await ask({ op: 'search', text: 'glass breaking', top: 2, correlationId: 'q1' });
      expect(found).toMatchObject({ v: 1, ok: true, op: 'search', correlationId: 'q1' });
      const cli = JSON.parse((await run(search, ['glass breaking', '--store', store, '--top', '2', '--json'])).stdout);
      expect(found.result.ranges.map((g: { start: string; score: number }) => [g.start, g.score])).toEqual(cli.ranges.map((g: { start: string; score: number }) => [g.start, g.score]));
      expect(await ask({ op: 'search', text: 'x', top: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID', message: expect.stringMatching(/top/) } });
      expect(await ask({ op: 'search' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/exactly one of text or like/) } });
      expect(await ask({ op: 'list' })).toMatchObject({ ok: true, op: 'list' });
      await c.close();
    } finally {
      await sink.close();
      await s.close();
    }
  }, 120_000);
});
