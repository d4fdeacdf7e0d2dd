/**
 * Recall search over a real ROS 2 graph (rclnodejs, Cyclone DDS on loopback): a simulated bag is
 * remembered with `replay --remember`, then `sensebind run` with that store as `recall.dir` answers
 * search requests that another process publishes on `/sensebind/search` (std_msgs/String JSON) on
 * `/sensebind/search/reply`, read by a third. The answer must be the CLI's `search --json` for the same
 * query, and a bad request must be answered INVALID naming its field. Runs where ROS 2 is sourced and
 * rclnodejs is installed; skipped with the reason otherwise.
 * Model: the random-weight imagebind-tiny graphs with eager concepts (the transport is under test here).
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, domainIdFor, killLeftovers, liveRos2, ros2TestEnv, startPeer, startSensebind, type LiveProcess } from '../helpers/ros2-live.js';

const live = liveRos2();
if (!live.available) console.log(`test/ros2/live-search.test.ts skipped: live ROS 2 not available here: ${live.reason}`);

const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');
const env = ros2TestEnv(domainIdFor(import.meta.filename));
let dir: string;
let config: string;
let store: string;

interface Reply {
  v: number;
  op: string;
  correlationId: string | null;
  ok: boolean;
  result?: { ranges: Array<{ start: string; end: string; score: number }>; scored: number };
  error?: { code: string; message: string };
}

beforeAll(async () => {
  if (!live.available) return;
  dir = await mkdtemp(join(tmpdir(), 'sb-ros2-search-'));
  await copyFile(CONCEPTS, join(dir, 'concepts.yaml'));
  store = join(dir, 'recall');
  config = join(dir, 'sensebind.yaml');
  await writeFile(config, [
    'robot: { id: searchtest }',
    'log: { level: info, format: json }',
    `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
    'service: { stopDeadlineSeconds: 20 }',
    `recall: { dir: ${JSON.stringify(store)} }`,
    // A live topic nobody publishes: the node runs, serves search, and remembers nothing new meanwhile.
    'ros2: { enabled: true, topics: [ { name: /imu/data_raw, type: sensor_msgs/msg/Imu } ] }',
    '',
  ].join('\n'));
  const bag = join(dir, 'sim.mcap');
  const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env });
  const sim = run(['simulate', '--seed', '11', '--duration', '8', '--width', '160', '--height', '120', '--out', bag, '--quiet']);
  expect(sim.status, sim.stderr).toBe(0);
  const replay = run(['replay', bag, '--config', config, '--concepts', join(dir, 'concepts.yaml'), '--remember', store]);
  expect(replay.status, replay.stderr.slice(-2000)).toBe(0);
}, 180_000);
afterAll(async () => {
  killLeftovers();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!live.available)('recall search over a live ROS 2 graph', () => {
  it('answers a search on /sensebind/search with the CLI search result on /sensebind/search/reply; a bad one INVALID', async () => {
    const cli = spawnSync(process.execPath, [CLI, 'search', 'glass breaking', '--store', store, '--config', config, '--concepts', join(dir, 'concepts.yaml'), '--top', '3', '--json'], { cwd: dir, encoding: 'utf8', env });
    expect(cli.status, cli.stderr.slice(-2000)).toBe(0);
    const expected = JSON.parse(cli.stdout) as { ranges: Array<{ start: string }> };
    expect(expected.ranges.length).toBeGreaterThan(0);

    const sub = await startPeer({ mode: 'sub', topics: [{ name: '/sensebind/search/reply', type: 'std_msgs/msg/String', qos: { depth: 10 } }] }, env);
    const node = startSensebind(['run', '--config', config, '--concepts', join(dir, 'concepts.yaml')], env, dir);
    let ask: LiveProcess | undefined;
    try {
      await node.until('search served on ROS 2', () => (node.stderr.includes('"msg":"recall search on ROS 2"') ? true : undefined), 60_000);
      ask = await startPeer({
        mode: 'pub',
        waitFor: '/sensebind/search',
        matchSeconds: 0.5,
        topics: [
          { name: '/sensebind/search', type: 'std_msgs/msg/String', kind: 'string', rate: 2, count: 1, data: { text: 'glass breaking', top: 3, correlationId: 'q1' } },
          { name: '/sensebind/search', type: 'std_msgs/msg/String', kind: 'string', rate: 2, count: 1, data: { text: 'glass breaking', top: 0, correlationId: 'q2' } },
        ],
      }, env);
      const replies = () => sub.json<{ topic?: string; msg: { data: string } }>().filter((l) => l.topic !== undefined).map((l) => JSON.parse(l.msg.data) as Reply);
      await sub.until('both replies', () => (replies().length >= 2 ? true : undefined), 30_000);
      const byId = new Map(replies().map((r) => [r.correlationId, r]));
      const q1 = byId.get('q1');
      expect(q1).toMatchObject({ v: 1, op: 'search', ok: true });
      // The same ranges, scores and links as the CLI (timings aside).
      const { ms: _a, ...fromRos } = q1!.result as unknown as Record<string, unknown>;
      const { ms: _b, ...fromCli } = expected as unknown as Record<string, unknown>;
      expect(fromRos).toEqual(fromCli);
      expect(byId.get('q2')).toMatchObject({ ok: false, error: { code: 'INVALID', message: expect.stringMatching(/top/) } });
      expect(await node.stop('SIGINT'), node.stderr.slice(-2000)).toBe(0);
    } finally {
      await ask?.stop();
      await sub.stop();
      await node.stop('SIGKILL');
    }
  }, 150_000);
});
