/**
 * The live server with real viewers: two Foxglove protocol clients (the library's FoxgloveClient) in
 * their own processes, one reading, one that stops reading its socket for a few seconds. The ticks are
 * built here (many concepts, so a few seconds of them overflow the kernel's socket buffers and the stalled
 * viewer's outbox): the reading viewer must get every tick, the stalled one must lose its oldest frames,
 * counted, and get the newest once it reads again; publish() never waits for either.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TickResult } from '../../src/agent/agent.js';
import { SENSOR_MODALITIES, type ConceptTrace } from '../../src/core/types.js';
import { LiveServer } from '../../src/live/live-server.js';

const VIEWER = join(import.meta.dirname, 'viewer-process.mjs');
const T0 = 1_750_000_000_000_000_000n;

interface ViewerSummary {
  channels: Record<string, { schemaName: string; messages: number }>;
  invalid: unknown[];
  scores: { seq: number }[];
  stalledMs: number;
}

interface Viewer {
  /** Set once the viewer has decoded its first score message. */
  ready: boolean;
  done: Promise<ViewerSummary>;
}

function viewer(url: string, extra: string[] = []): Viewer {
  const child = spawn(process.execPath, [VIEWER, url, '--max-seconds', '60', ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const v: Viewer = {
    ready: false,
    done: new Promise((resolve, reject) =>
      child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as ViewerSummary) : reject(new Error(`viewer exited ${code}`)))),
    ),
  };
  child.stdout.on('data', (d) => {
    out += d;
    if (out.startsWith('ready\n')) v.ready = true;
  });
  return v;
}

function tick(seq: number, concepts: number): TickResult {
  const stamp = T0 + BigInt(seq) * 50_000_000n;
  const trace: ConceptTrace[] = Array.from({ length: concepts }, (_, i) => ({
    conceptId: `concept_${i}`, label: `concept number ${i}`, fused: ((seq + i) % 100) / 100, smoothed: ((seq + i) % 90) / 100,
    on: 0.3, off: 0.1, active: false, modalityScores: { audio: 0.5, vision: 0.25 },
  }));
  return {
    snapshot: { seq, stamp, windows: {}, present: [], missing: [...SENSOR_MODALITIES] },
    embeddings: { seq, stamp, present: [], missing: [...SENSOR_MODALITIES], embeddings: {} },
    match: { events: [], top: [], trace: () => trace },
    embedStates: {},
  };
}

const until = async (what: string, ok: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

let server: LiveServer | undefined;
afterEach(async () => {
  await server?.close();
});

describe('LiveServer', () => {
  it('a stalled viewer loses its oldest frames (counted) while a reading viewer gets every tick', async () => {
    server = new LiveServer({ port: 0, viewer: { maxFrames: 32, windowBytes: 256 * 1024 } });
    const port = await server.start();
    const url = `ws://127.0.0.1:${port}`;
    const reading = viewer(url);
    const stalled = viewer(url, ['--stall-after', '0', '--stall-for', '6']);
    // Warm-up ticks until both viewers have subscribed and receive data.
    let seq = 0;
    const s = server;
    await until('two subscribed viewers', () => {
      s.publish(tick(seq++, 4));
      return reading.ready && stalled.ready;
    });
    const first = seq;
    // 300 ticks of 256 concepts (about 50 KB of scores each, 15 MB in all) in 3 s.
    for (let i = 0; i < 300; i++) {
      s.publish(tick(seq++, 256));
      await new Promise((r) => setTimeout(r, 10));
    }
    const last = seq - 1;
    await until('the stalled viewer to drain', () => s.stats().perViewer.every((v) => v.queued === 0 && v.inFlightBytes === 0), 30_000);
    const stats = s.stats();
    await s.close();
    const [r, st] = await Promise.all([reading.done, stalled.done]);

    expect(r.invalid).toEqual([]);
    expect(st.invalid).toEqual([]);
    const rSeqs = r.scores.map((m) => m.seq).filter((x) => x >= first);
    expect(rSeqs).toEqual(Array.from({ length: last - first + 1 }, (_, i) => first + i));
    const stSeqs = st.scores.map((m) => m.seq);
    expect(st.stalledMs).toBeGreaterThanOrEqual(6000);
    expect(stSeqs.at(-1)).toBe(last);
    expect(stSeqs.length).toBeLessThan(last + 1);
    expect([...stSeqs].sort((a, b) => a - b)).toEqual(stSeqs);

    const perViewer = stats.perViewer.map((v) => v.dropped).sort((a, b) => a - b);
    expect(perViewer[0]).toBe(0);
    expect(perViewer[1]).toBeGreaterThan(0);
    expect(stats.dropped).toBe(perViewer[1]);
    expect(stats.published).toBeGreaterThanOrEqual(last - first + 1); // ticks with no viewer are not published
    // Every scores tick the stalled viewer missed is one of its counted drops (time frames drop too).
    expect(stats.dropped).toBeGreaterThanOrEqual(last - first + 1 - stSeqs.filter((x) => x >= first).length);
  }, 90_000);

  it('refuses a viewer beyond maxViewers (counted) and says why it cannot bind', async () => {
    server = new LiveServer({ port: 0, maxViewers: 1 });
    const port = await server.start();
    const url = `ws://127.0.0.1:${port}`;
    const one = viewer(url, ['--max-seconds', '5']);
    const s = server;
    await until('first viewer', () => s.stats().viewers === 1);
    await new Promise((r) => setTimeout(r, 100));
    const two = viewer(url, ['--max-seconds', '5']);
    await until('refusal', () => s.stats().refused === 1);
    const clash = new LiveServer({ port });
    await expect(clash.start()).rejects.toThrow(`cannot serve the live view on 127.0.0.1:${port}`);
    await s.close();
    await Promise.all([one.done, two.done]);
  }, 30_000);
});
