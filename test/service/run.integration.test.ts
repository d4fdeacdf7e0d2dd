/**
 * `sensebind run` as a user runs it: the built CLI as a child process on a simulated rosbag2 bag replayed
 * in real time with JSONL and MQTT (a real Mosquitto) sinks, scraped over HTTP, reloaded with SIGHUP, stopped
 * with SIGTERM mid-stream; then the JSONL sink, the MQTT traffic, the exit code, the summary and an event
 * clip (its contents, and through `sensebind replay`) are checked.
 * Model: the random-weight imagebind-tiny test graphs with an eager concept file (the service is under
 * test here, not detection quality). Needs `npm run build` first (`npm test` does it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { connect as mqttConnect, type MqttClient } from 'mqtt';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');

let dir: string;
let bag: string;
/** /metrics of the running agent, once events flowed (linted by promtool below). */
let scraped = '';
const HAVE_PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
if (!HAVE_PROMTOOL) console.warn('run.integration.test.ts: the promtool check is skipped: promtool not found (apt-get install prometheus; .ci/run does)');
let broker: LocalBroker;
let observer: MqttClient;
const mqttMessages: Array<{ topic: string; payload: string }> = [];

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function readEvents(path: string): Promise<SenseEvent[]> {
  if (!existsSync(path)) return [];
  const text = await readFile(path, 'utf8');
  return text.split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as SenseEvent);
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/commands/run.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-run-'));
  bag = join(dir, 'sim.mcap');
  // 12 s of a simulated robot: camera + depth 10 Hz, IMU 200 Hz, audio 16 kHz, small frames to keep it quick.
  broker = await LocalBroker.start();
  observer = mqttConnect(broker.url);
  await new Promise<void>((r, j) => observer.once('connect', () => r()).once('error', j));
  await observer.subscribeAsync('sensebind/itest/#', { qos: 1 });
  observer.on('message', (topic, payload) => mqttMessages.push({ topic, payload: payload.toString() }));
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '11', '--duration', '12', '--width', '160', '--height', '120', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await observer?.endAsync();
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sensebind run (child process)', () => {
  it('serves metrics and readiness, reloads on SIGHUP, stops cleanly on SIGTERM mid-stream, and writes replayable clips', async () => {
    const port = await freePort();
    const eventsFile = join(dir, 'events.jsonl');
    const clipsDir = join(dir, 'clips');
    const concepts = join(dir, 'concepts.yaml');
    await copyFile(CONCEPTS, concepts);
    const config = join(dir, 'sensebind.yaml');
    await writeFile(
      config,
      [
        'robot: { id: itest }',
        'log: { level: info, format: json }',
        `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
        `sinks: { jsonl: { path: ${JSON.stringify(eventsFile)} } }`,
        `mqtt: { url: ${JSON.stringify(broker.url)}, outbox: { dir: ${JSON.stringify(join(dir, 'outbox'))} } }`,
        'service:',
        `  metrics: { port: ${port} }`,
        '  stopDeadlineSeconds: 20',
        `  clips: { dir: ${JSON.stringify(clipsDir)}, preRollSeconds: 1, postRollSeconds: 0.5 }`,
        '',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'run', '--config', config, '--bag', bag, '--speed', '1', '--concepts', concepts], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exit = exited(child);
    try {
      const base = `http://127.0.0.1:${port}`;
      // Ready once the model is loaded and the bag source is playing.
      const ready = await until('/readyz 200', async () => {
        const r = await fetch(`${base}/readyz`).catch(() => undefined);
        return r?.status === 200 ? ((await r.json()) as { ready: boolean; checks: Record<string, boolean> }) : undefined;
      });
      expect(ready.checks).toMatchObject({ models: true, running: true, [`source:bag:${bag}`]: true });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      // The first events: then the stream is under way, well before the 12 s bag ends.
      await until('a first event in the JSONL sink', async () => ((await readEvents(eventsFile)).length > 0 ? true : undefined));
      // Series that must be there once events flow; scraped until they are (the MQTT sink may still be
      // connecting when the JSONL sink has its first event), then every one is asserted.
      const wanted: RegExp[] = [
        /sensebind_source_received_total\{source="bag:[^"]+"\} [1-9]/,
        /sensebind_snapshots_total [1-9]/,
        /sensebind_inference_seconds_count\{modality="audio",provider="cpu"\} [1-9]/,
        /sensebind_preprocess_seconds_count\{modality="audio"\} [1-9]/,
        /sensebind_events_total\{concept="(dog_barking|person_approaching)",phase="start"\} [1-9]/,
        /sensebind_modality_age_seconds\{modality="imu"\} [0-9.e-]+/,
        /sensebind_ready 1/,
        /sensebind_event_loop_lag_seconds\{quantile="0.99"\} [0-9.e-]+/,
        /process_resident_memory_bytes \d+/,
        /sensebind_sink_pending\{sink="mqtt"\} \d+/,
        /sensebind_queue_depth\{queue="preprocess"\} \d+/,
        /sensebind_sink_written_total\{sink="mqtt"\} [1-9]/,
        /sensebind_sink_delivery_seconds_count\{sink="mqtt"\} [1-9]/,
      ];
      let metrics = '';
      await until('the metrics of a running pipeline', async () => {
        metrics = await (await fetch(`${base}/metrics`)).text();
        if (/sensebind_events_total\{/.test(metrics)) scraped = metrics; // for the promtool check, whatever else is missing
        return wanted.every((re) => re.test(metrics)) ? true : undefined;
      }, 20_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}; missing: ${wanted.filter((re) => !re.test(metrics)).join(', ')}`);
      });
      for (const re of wanted) expect(metrics).toMatch(re);
      const received = Number(/sensebind_source_received_total\{source="bag:[^"]+"\} (\d+)/.exec(metrics)?.[1]);

      // SIGHUP: a concept added to the file reaches the matcher; the bag source keeps streaming meanwhile.
      const matcherConcepts = (text: string) => Number(/sensebind_stage_stat\{stage="matcher",key="concepts"\} (\d+)/.exec(text)?.[1]);
      expect(matcherConcepts(metrics)).toBe(3);
      await writeFile(concepts, `${await readFile(concepts, 'utf8')}  - id: glass_breaking\n    prompts: [glass breaking]\n`);
      child.kill('SIGHUP');
      await until('the reload log line', () => (stderr.includes('SIGHUP: reloaded concepts') ? true : undefined), 20_000);
      expect(stderr).toContain('"summary":"4 concepts from');
      const after = await (await fetch(`${base}/metrics`)).text();
      expect(matcherConcepts(after)).toBe(4);
      expect(after).toMatch(/sensebind_source_connected\{source="bag:[^"]+"\} 1/);
      const receivedAfter = Number(/sensebind_source_received_total\{source="bag:[^"]+"\} (\d+)/.exec(after)?.[1]);
      expect(receivedAfter).toBeGreaterThan(received);

      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    // Clean stop mid-stream: the bag had not ended, every emitted event is in the JSONL sink, no event open.
    expect(stderr).not.toContain('every source has ended');
    expect(stderr).toContain('"msg":"stopped cleanly"');
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { stopped: string; clean: boolean; events: number; sinks: Record<string, { written: number; dropped: number }>; clips: number };
    expect(summary).toMatchObject({ stopped: 'SIGTERM', clean: true });
    const events = await readEvents(eventsFile);
    expect(events.length).toBe(summary.events);
    expect(summary.sinks.jsonl).toMatchObject({ written: summary.events, dropped: 0 });
    const started = new Set(events.filter((e) => e.type === 'start').map((e) => e.id));
    const ended = new Set(events.filter((e) => e.type === 'end').map((e) => e.id));
    expect(started.size).toBeGreaterThan(0);
    expect([...started].filter((id) => !ended.has(id))).toEqual([]);
    expect(new Set(events.map((e) => e.seq)).size).toBe(events.length);
    // MQTT: the outbox was flushed before the stop (every event acknowledged), then `stopped` was published.
    await until('the stopped status on MQTT', () => (mqttMessages.some((m) => m.topic === 'sensebind/itest/status' && m.payload === 'stopped') ? true : undefined), 10_000);
    const mqttEvents = mqttMessages.filter((m) => m.topic === 'sensebind/itest/events').map((m) => JSON.parse(m.payload) as SenseEvent);
    expect(new Set(mqttEvents.map((e) => `${e.id}/${e.type}/${e.seq}`))).toEqual(new Set(events.map((e) => `${e.id}/${e.type}/${e.seq}`)));
    const statuses = mqttMessages.filter((m) => m.topic === 'sensebind/itest/status').map((m) => m.payload);
    expect(statuses.at(-1)).toBe('stopped');
    expect(statuses).not.toContain('offline');

    // Clips: one per event, every message names its clip, the files are complete MCAP with the event inside.
    const clips = (await readdir(clipsDir)).filter((n) => n.endsWith('.mcap'));
    expect(clips.length).toBe(started.size);
    expect(summary.clips).toBe(clips.length);
    const first = events.find((e) => e.type === 'start')!;
    expect(first.clip).toBeDefined();
    expect(events.filter((e) => e.id === first.id).every((e) => e.clip === first.clip)).toBe(true);
    const handle = await open(first.clip!, 'r');
    const inside: SenseEvent[] = [];
    try {
      const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
      const topics = [...reader.channelsById.values()].map((c) => c.topic).sort();
      expect(topics).toEqual(expect.arrayContaining(['/camera/color/image_raw', '/camera/depth/image_rect_raw', '/imu/data_raw', '/audio/audio', '/sensebind/events']));
      const eventsChannel = [...reader.channelsById.values()].find((c) => c.topic === '/sensebind/events')!;
      const schema = reader.schemasById.get(eventsChannel.schemaId)!;
      expect(schema.name).toBe('std_msgs/msg/String');
      const decoder = new MessageReader(parseMsg(new TextDecoder().decode(schema.data), { ros2: true }));
      for await (const m of reader.readMessages({ topics: ['/sensebind/events'] })) {
        inside.push(JSON.parse(decoder.readMessage<{ data: string }>(m.data).data) as SenseEvent);
      }
    } finally {
      await handle.close();
    }
    expect(inside.filter((e) => e.id === first.id).map((e) => e.type)).toEqual(expect.arrayContaining(['start', 'end']));

    // The clip runs back through the whole pipeline.
    const replay = spawnSync(process.execPath, [CLI, 'replay', first.clip!, '--model', MODEL, '--concepts', CONCEPTS], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(replay.status, replay.stderr.slice(-2000)).toBe(0);
    const replayed = JSON.parse(replay.stdout) as { samples: Record<string, number>; snapshots: number };
    expect(replayed.samples.vision).toBeGreaterThan(0);
    expect(replayed.samples.audio).toBeGreaterThan(0);
    expect(replayed.samples.depth).toBeGreaterThan(0);
    expect(replayed.samples.imu).toBeGreaterThan(0);
    expect(replayed.snapshots).toBeGreaterThan(0);
  }, 180_000);

  it.skipIf(!HAVE_PROMTOOL)('its /metrics passes `promtool check metrics` (exit 0, no lint findings)', () => {
    expect(scraped).toMatch(/sensebind_events_total\{/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: scraped, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
    expect(scraped).toContain('# TYPE sensebind_event_loop_lag_seconds summary');
    expect(scraped).toMatch(/sensebind_event_loop_lag_seconds_count [1-9]/);
    expect(scraped).not.toMatch(/^nodejs_active_\w+_total/m);
  });
});
