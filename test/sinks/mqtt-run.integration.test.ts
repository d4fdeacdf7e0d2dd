/**
 * The MQTT sink as a user meets it: `sensebind run --bag` (the built CLI, a child process) replays a
 * simulated rosbag2 recording with `mqtt.url` and the JSONL sink configured; the broker is stopped and
 * restarted mid-replay; a persistent subscriber must end with exactly the events of the JSONL sink, in
 * order (deduplicated by id + seq). Model: the random-weight test graphs with an eager concept file (the
 * transport is under test, not detection). Needs `npm run build` first (`npm test` does it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';
import { Collector, until } from './mqtt-helpers/events.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');

let dir: string;
let bag: string;

beforeAll(() => {
  if (!existsSync(join(ROOT, 'dist/cli/commands/run.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = mkdtempSync(join(tmpdir(), 'sensebind-mqtt-run-'));
  bag = join(dir, 'sim.mcap');
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '11', '--duration', '8', '--width', '160', '--height', '120', '--out', bag, '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function jsonlEvents(path: string): SenseEvent[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as SenseEvent);
}

describe('sensebind run with MQTT (child process, real broker)', () => {
  it('delivers every event of a bag replay exactly once, in order, across a broker restart', async () => {
    const broker = await LocalBroker.start();
    try {
      const sub = await Collector.connect(broker.url, ['sensebind/itest-mqtt/#'], {
        protocolVersion: 5,
        clean: false,
        clientId: 'fleet-dashboard',
        resubscribe: false,
        properties: { sessionExpiryInterval: 3600 },
      });
      const eventsFile = join(dir, 'events.jsonl');
      const config = join(dir, 'sensebind.yaml');
      writeFileSync(
        config,
        [
          'robot: { id: itest-mqtt }',
          'log: { level: info, format: json }',
          `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
          `sinks: { jsonl: { path: ${JSON.stringify(eventsFile)} } }`,
          'service: { stopDeadlineSeconds: 20 }',
          `mqtt: { url: ${JSON.stringify(broker.url)}, outbox: { dir: ${JSON.stringify(join(dir, 'outbox'))} }, reconnect: { initialMs: 100, maxMs: 400 } }`,
          '',
        ].join('\n'),
      );
      const child = spawn(process.execPath, [CLI, 'run', '--config', config, '--bag', bag, '--speed', '1', '--exit-at-end', '--concepts', CONCEPTS], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

      // Mid-replay: once the first event is out, the broker goes away for a second, then comes back.
      await until(() => jsonlEvents(eventsFile).length > 0 || child.exitCode !== null, 'the first event', 60_000);
      expect(child.exitCode, stderr.slice(-2000)).toBeNull();
      await broker.stop('SIGTERM');
      const duringOutage = jsonlEvents(eventsFile).length;
      await new Promise((r) => setTimeout(r, 1200));
      await broker.resume();

      expect(await exit, stderr.slice(-2000)).toBe(0);
      const summary = JSON.parse(stdout) as { sinks: Record<string, { written: number; pending: number; detail?: Record<string, unknown> }> };
      const written = jsonlEvents(eventsFile);
      expect(written.length).toBeGreaterThan(duringOutage); // events were produced after the outage began
      expect(summary.sinks.mqtt).toMatchObject({ written: written.length, pending: 0 });
      expect(summary.sinks.mqtt?.detail?.connects as number).toBeGreaterThanOrEqual(2);

      await sub.waitFor(() => sub.uniqueEvents('sensebind/itest-mqtt/events').events.length >= written.length, 'every event at the subscriber', 20_000);
      const { events } = sub.uniqueEvents('sensebind/itest-mqtt/events');
      expect(events).toEqual(written);
      await sub.waitFor(() => sub.on('sensebind/itest-mqtt/status').at(-1)?.text === 'stopped', 'stopped status');
      await sub.close();
    } finally {
      await broker.close();
    }
  });
});
