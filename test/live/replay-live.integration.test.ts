/**
 * The live view as a user opens it: `sensebind replay --speed 1` of a simulated bag with `live.port` set
 * (the built CLI in its own process, the bundled bind-mini model), and two Foxglove protocol clients (the
 * library's FoxgloveClient, each in its own process) subscribing to every advertised channel and decoding
 * every message with its advertised JSON Schema. One viewer stops reading for 5 s meanwhile.
 * Checks: every channel delivers valid messages; at each event start the viewer sees, the concept's
 * smoothed fused score (what the on-threshold is compared with) is at or above `on` and it crossed from
 * below since the concept's previous event; the reading viewer gets every tick despite the stalled one.
 * And `sensebind run --bag` with clips on: every event clip holds the score stream (sensebind_msgs CDR)
 * from its pre-roll, below the on-threshold before the start and at or above it at the start.
 * Needs `npm run build` first (`npm test` does it).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const VIEWER = join(import.meta.dirname, 'viewer-process.mjs');

type Row = [id: string, smoothed: number, on: number, fused: number | null, active: boolean];
interface ViewerSummary {
  channels: Record<string, { schemaName: string; messages: number }>;
  invalid: unknown[];
  times: number;
  jpegOk: number;
  stalledMs: number;
  scores: { stamp: string; seq: number; concepts: Row[] }[];
  events: { stamp: string; type: string; concept: string; score: number; start: string }[];
}

let dir: string;
let bag: string;

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

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((r) => child.once('exit', (code) => r({ code, stdout, stderr })));
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/commands/replay.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-live-'));
  bag = join(dir, 'sim.mcap');
  // 16 s: a dog barking (about 3.4-9.1 s) and an alarm (7.8-14.5 s) with seed 7.
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '7', '--duration', '16', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('sensebind replay --speed 1 with the live view', () => {
  it('serves every channel to real protocol clients; the fused score crosses the on-threshold at each event start', async () => {
    const port = await freePort();
    const config = join(dir, 'live.yaml');
    await writeFile(config, `live: { port: ${port} }\n`);
    const url = `ws://127.0.0.1:${port}`;
    const replay = run([CLI, '--config', config, 'replay', bag, '--speed', '1']);
    const reading = run([VIEWER, url, '--max-seconds', '90']);
    const stalled = run([VIEWER, url, '--max-seconds', '90', '--stall-after', '0', '--stall-for', '5']);
    const [rp, rv, sv] = await Promise.all([replay, reading, stalled]);
    expect(rp.code, rp.stderr).toBe(0);
    const summary = JSON.parse(rp.stdout) as { snapshots: number; events: { started: Record<string, number> }; live: { live: { connected: number; dropped: number; errors: number; perViewer: { dropped: number }[] }; errors: number } };
    const r = JSON.parse(rv.stdout.trim().split('\n').at(-1) as string) as ViewerSummary;
    const s = JSON.parse(sv.stdout.trim().split('\n').at(-1) as string) as ViewerSummary;

    // Both viewers connected; every drop is in the summary, none was an error.
    expect(summary.live.live.connected).toBe(2);
    expect(summary.live.errors + summary.live.live.errors).toBe(0);
    expect(summary.live.live.dropped).toBe(summary.live.live.perViewer.reduce((a, v) => a + v.dropped, 0));

    // Every advertised channel delivered messages that match their advertised schema.
    const topics = ['/sensebind/scores', '/sensebind/modalities', '/sensebind/events', '/sensebind/camera', '/sensebind/imu', '/sensebind/audio_level'];
    expect(Object.keys(r.channels).sort()).toEqual([...topics].sort());
    for (const t of topics) expect(r.channels[t]!.messages, t).toBeGreaterThan(0);
    expect(r.channels['/sensebind/camera']!.schemaName).toBe('foxglove.CompressedImage');
    expect(r.jpegOk).toBe(r.channels['/sensebind/camera']!.messages);
    expect(r.invalid).toEqual([]);
    expect(s.invalid).toEqual([]);
    expect(r.times).toBeGreaterThan(0);

    // The reading viewer got every tick from its first to the replay's last, stalled neighbour or not.
    const seqs = r.scores.map((m) => m.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    expect(seqs.at(-1)).toBe(summary.snapshots - 1);
    expect(s.stalledMs).toBeGreaterThanOrEqual(5000);
    expect(s.scores.at(-1)?.seq).toBe(seqs.at(-1));

    // At each event start: smoothed >= on at that tick, held since it crossed from below.
    const starts = r.events.filter((e) => e.type === 'start');
    expect(starts.length).toBeGreaterThan(0);
    let crossings = 0;
    for (const e of starts) {
      const at = r.scores.findIndex((m) => m.stamp === e.stamp);
      expect(at, `scores at the start of ${e.concept}`).toBeGreaterThanOrEqual(0);
      const row = (i: number) => r.scores[i]!.concepts.find((c) => c[0] === e.concept)!;
      const [, smoothed, on] = row(at);
      expect(smoothed, `${e.concept} at its start`).toBeGreaterThanOrEqual(on);
      // Walk back to the last tick below `on`: every tick in between stayed at or above it.
      let i = at - 1;
      while (i >= 0 && row(i)[1] >= on) i--;
      if (i >= 0) {
        crossings++;
        expect(row(i)[1]).toBeLessThan(on);
        expect(row(i)[4]).toBe(false);
      }
    }
    // Events the viewer saw from before their crossing (the first may start before a viewer connects).
    expect(crossings).toBeGreaterThan(0);
    expect(Object.values(summary.events.started).reduce((a, n) => a + n, 0)).toBeGreaterThanOrEqual(starts.length);
  }, 180_000);

  it('sensebind run --bag: each event clip holds the scores from its pre-roll on, crossing the on-threshold at the start', async () => {
    const clips = join(dir, 'clips');
    const config = join(dir, 'clips.yaml');
    await writeFile(config, `service:\n  clips: { dir: ${clips}, preRollSeconds: 3, postRollSeconds: 1 }\n`);
    const r = await run([CLI, '--config', config, 'run', '--bag', bag, '--speed', '4', '--exit-at-end']);
    expect(r.code, r.stderr).toBe(0);
    const files = (await readdir(clips)).filter((f) => f.endsWith('.mcap'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const handle = await open(join(clips, file), 'r');
      try {
        const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(handle), decompressHandlers: await loadDecompressHandlers() });
        const decoders = new Map([...reader.schemasById.values()].map((sc) => [sc.id, new MessageReader(parseMsg(new TextDecoder().decode(sc.data), { ros2: true }))]));
        const channels = [...reader.channelsById.values()];
        const scoresChannel = channels.find((c) => c.topic === '/sensebind/scores');
        expect(scoresChannel, file).toBeDefined();
        expect(reader.schemasById.get(scoresChannel!.schemaId)!.name).toBe('sensebind_msgs/msg/ConceptScores');
        let start: { concept: { id: string }; start: string } | undefined;
        for await (const m of reader.readMessages({ topics: ['/sensebind/events'] })) {
          const e = JSON.parse((decoders.get(channels.find((c) => c.id === m.channelId)!.schemaId)!.readMessage(m.data) as { data: string }).data) as { type: string; concept: { id: string }; start: string };
          if (e.type === 'start') start ??= e;
        }
        expect(start, file).toBeDefined();
        const rows: { t: bigint; smoothed: number; on: number }[] = [];
        for await (const m of reader.readMessages({ topics: ['/sensebind/scores'] })) {
          const msg = decoders.get(scoresChannel!.schemaId)!.readMessage(m.data) as { concepts: { id: string; smoothed: number; on: number }[] };
          const c = msg.concepts.find((x) => x.id === start!.concept.id)!;
          rows.push({ t: m.logTime, smoothed: c.smoothed, on: c.on });
        }
        const at = rows.findIndex((x) => x.t === BigInt(start!.start));
        expect(at, `${file}: scores at the event start`).toBeGreaterThan(0);
        expect(rows[at]!.smoothed).toBeGreaterThanOrEqual(rows[at]!.on);
        // The pre-roll shows the score below the threshold before it crossed.
        expect(rows.slice(0, at).some((x) => x.smoothed < x.on), file).toBe(true);
      } finally {
        await handle.close();
      }
    }
  }, 180_000);
});
