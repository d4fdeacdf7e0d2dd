// kill -9 during ingest, at five moments, into one store that is reopened after each: the store always
// opens and answers queries, and every snapshot handed to the writer more than a second before the kill
// is there (at most the last second is lost). The writer runs in a real child process at 50x the live
// rate with compaction every second and a roll into the main tables about every 1.5 s, so kills land in
// appends, compactions, rolls and cleanups alike.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanceRecallStore } from '../../src/recall/lance-store.js';

let dir: string;
beforeAll(async () => {
  if (!existsSync('dist/recall/writer.js')) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-recall-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child from tick `start`, kills it `killAfterMs` after its first tick; returns when each tick was seen. */
function runAndKill(store: string, start: number, killAfterMs: number): Promise<{ seen: Map<number, number>; killedAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['test/recall/crash-writer.mjs', store, String(start)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const seen = new Map<number, number>();
    let killedAt = 0;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^tick (\d+)$/.exec(line);
        if (m === null) continue;
        if (seen.size === 0) setTimeout(() => ((killedAt = Date.now()), child.kill('SIGKILL')), killAfterMs);
        seen.set(Number(m[1]), Date.now());
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve({ seen, killedAt }) : reject(new Error(`child exited by itself (${signal ?? _code})`))));
  });
}

describe('recall store and kill -9', () => {
  it('opens, queries and has all but the last second after kills at five moments', async () => {
    const store = join(dir, 'store');
    let next = 0;
    for (const killAfterMs of [700, 1300, 2100, 2900, 3700]) {
      const { seen, killedAt } = await runAndKill(store, next, killAfterMs);
      const s = await LanceRecallStore.open({ dir: store, modelId: 'crash-test', dim: 128, create: false });
      const expected = [...seen].filter(([, at]) => at <= killedAt - 1000).map(([i]) => BigInt(i) * 500_000_000n);
      const found = new Set((await s.moments(expected)).filter((m) => m.present.length === 4 && Object.keys(m.vectors).length === 4).map((m) => m.stamp));
      const missing = expected.filter((st) => !found.has(st));
      expect(missing, `kill after ${killAfterMs} ms: ${missing.length} of ${expected.length} snapshots older than 1 s missing`).toEqual([]);
      const stats = await s.stats();
      expect(stats.rows.vision).toBeGreaterThanOrEqual(expected.length);
      const last = expected.at(-1);
      if (last !== undefined) expect((await s.momentNear(last, 0n))?.stamp).toBe(last);
      const first = (await s.moments([0n]))[0];
      const hits = first === undefined ? [] : await s.nearest('audio', first.vectors.audio!, 1);
      expect({ killAfterMs, hasFirst: first !== undefined, hit: hits[0]?.stamp, rows: stats.rows }).toMatchObject({ hit: first === undefined ? undefined : 0n });
      await s.close();
      next = Math.max(...seen.keys()) + 1;
    }
  }, 120_000);
});
