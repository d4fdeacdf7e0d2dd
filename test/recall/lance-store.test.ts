// The LanceDB recall store on real files: round trip at fp16, nearest rows within a time range, a store
// of another model refused, retention by age and by size (counted), rolls (one writer at a time), and a
// reopen that sees everything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanceRecallStore, dirBytes } from '../../src/recall/lance-store.js';
import type { RecallMoment } from '../../src/recall/moment.js';

const DIM = 32;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-recall-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A deterministic unit vector per (moment, modality): moments i and i+1 are close, far ones are not. */
function vec(i: number, salt: number): Float32Array {
  const v = new Float32Array(DIM);
  for (let k = 0; k < DIM; k++) v[k] = Math.sin((i / 20 + salt) * (k + 1) + k);
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
}

function moments(from: number, count: number, hopNs = 500_000_000n): RecallMoment[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const m: RecallMoment = { stamp: 1_000_000_000n + BigInt(i) * hopNs, vectors: { vision: vec(i, 0), audio: vec(i, 1) } };
    if (i % 3 === 0) delete m.vectors.audio;
    if (i % 2 === 0) m.clip = `scene.mcap@${i / 2}`;
    return m;
  });
}

describe('LanceRecallStore', () => {
  it('stores fp16 vectors per modality and reads whole moments back', async () => {
    const store = await LanceRecallStore.open({ dir: join(dir, 'a'), modelId: 'm1', dim: DIM });
    await store.append(moments(0, 100));
    await store.append(moments(100, 50));
    const stats = await store.stats();
    expect(stats.rows).toEqual({ vision: 150, audio: 100 });
    const back = await store.moments([1_000_000_000n + 7n * 500_000_000n, 1_000_000_000n + 9n * 500_000_000n, 42n]);
    expect(back.map((m) => m.stamp)).toEqual([4_500_000_000n, 5_500_000_000n]);
    const m7 = back[0]!;
    expect(m7.present).toEqual(['vision', 'audio']);
    expect(m7.clip).toBeNull();
    const err = Math.max(...Array.from(m7.vectors.vision!, (x, k) => Math.abs(x - vec(7, 0)[k]!)));
    expect(err).toBeGreaterThan(0); // fp16, not the float32 that went in
    expect(err).toBeLessThan(1e-3);
    const m9 = back[1]!;
    expect(m9.present).toEqual(['vision']); // 9 % 3 === 0: no audio row
    expect(m9.vectors.audio).toBeUndefined();
    await store.close();
  });

  it('finds the nearest rows of one modality, within a time range', async () => {
    const store = await LanceRecallStore.open({ dir: join(dir, 'a'), modelId: 'm1', dim: DIM, create: false });
    const hits = await store.nearest('vision', vec(40, 0), 3);
    expect(hits[0]).toMatchObject({ stamp: 1_000_000_000n + 40n * 500_000_000n, modality: 'vision' });
    expect(hits[0]!.cosine).toBeGreaterThan(0.999);
    expect(hits.length).toBe(3);
    const ranged = await store.nearest('vision', vec(40, 0), 3, { since: 1_000_000_000n + 100n * 500_000_000n });
    expect(ranged.every((h) => h.stamp >= 1_000_000_000n + 100n * 500_000_000n)).toBe(true);
    const near = await store.momentNear(1_000_000_000n + 10n * 500_000_000n + 100_000_000n, 300_000_000n);
    expect(near?.stamp).toBe(1_000_000_000n + 10n * 500_000_000n);
    expect(near?.clip).toBe('scene.mcap@5');
    expect(await store.nearest('depth', vec(1, 0), 3)).toEqual([]);
    await store.close();
  });

  it('opens a store whose table was killed before its first commit, and appends to it', async () => {
    // What a kill -9 during the first append leaves (seen in test/recall/crash.test.ts): the table's
    // folder and an empty version log, no committed version.
    const store = await LanceRecallStore.open({ dir: join(dir, 'c'), modelId: 'm1', dim: DIM });
    await store.append(moments(0, 10));
    await store.close();
    await mkdir(join(dir, 'c', 'depth.lance', '_versions'), { recursive: true });
    await mkdir(join(dir, 'c', 'depth.lance', '_transactions'), { recursive: true });
    const reopened = await LanceRecallStore.open({ dir: join(dir, 'c'), modelId: 'm1', dim: DIM, create: false });
    expect((await reopened.stats()).rows).toEqual({ vision: 10, audio: 6 });
    await reopened.append([{ stamp: 99n, vectors: { depth: vec(1, 2) } }]);
    expect((await reopened.stats()).rows).toEqual({ vision: 10, audio: 6, depth: 1 });
    await reopened.close();
  });

  it('keeps LanceDB caches within the caps it was opened with', async () => {
    // Every append commits a version whose manifest lists every fragment, and LanceDB caches each one it
    // writes: uncapped, the cache grows with the square of the appends since the last compaction (a week's
    // build reached 1.2 GiB). The caps only hold if the store's own session reaches LanceDB: its connect()
    // once dropped it silently, and this store's session then held 0 bytes.
    const fill = async (name: string, metadataMiB: number): Promise<number> => {
      const store = await LanceRecallStore.open({ dir: join(dir, name), modelId: 'm1', dim: DIM, cacheMiB: { index: 1, metadata: metadataMiB } });
      let most = 0;
      for (let i = 0; i < 300; i++) {
        await store.append(Array.from({ length: 5 }, (_, j) => ({ stamp: BigInt(i * 5 + j), vectors: { vision: vec(i * 5 + j, 0) } })));
        most = Math.max(most, store.cacheBytes());
      }
      await store.close();
      return most / 2 ** 20;
    };
    const uncapped = await fill('cache-large', 256);
    const capped = await fill('cache-small', 8);
    expect(uncapped).toBeGreaterThan(20); // what the cap has to hold back here
    expect(capped).toBeGreaterThan(0); // the store's session is the one in use
    // 9 MiB of caps; LanceDB evicts lazily and weighs entries by estimate (1.3x seen at these sizes).
    expect(capped).toBeLessThan(1.5 * 9);
  });

  it('builds a vector index per modality in one maintenance run, and searches through it', async () => {
    const store = await LanceRecallStore.open({ dir: join(dir, 'idx'), modelId: 'm1', dim: DIM, indexMinRows: 500, minPartitions: 2, rowsPerPartition: 256, rollRows: 500 });
    for (let b = 0; b < 10; b++) await store.append(moments(b * 100, 100));
    const run = await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity });
    expect(run.indexBuilds.map((b) => b.modality).sort()).toEqual(['audio', 'vision']);
    const stats = await store.stats();
    expect(stats.indexed).toEqual({ vision: true, audio: true });
    expect(stats.rows).toEqual({ vision: 1000, audio: 666 });
    // Through the index (PQ codes of 8 dims each on 1,000 rows: approximate) it returns stored rows;
    // the exact search of the same store finds the query's own row.
    const viaIndex = await store.nearest('vision', vec(500, 0), 5);
    expect(new Set(viaIndex.map((h) => h.stamp)).size).toBe(5);
    for (const h of viaIndex) expect(h.stamp >= stats.oldest! && h.stamp <= stats.newest!).toBe(true);
    expect((await store.nearest('vision', vec(500, 0), 1, {}, { exact: true }))[0]?.stamp).toBe(1_000_000_000n + 500n * 500_000_000n);

    // Rows appended after the maintenance are not indexed yet: the search reads only indexed data and takes
    // them from memory, so they are found as they are stored (fp16), with the old rows beside them.
    await store.append(moments(2000, 3));
    const newest = 1_000_000_000n + 2002n * 500_000_000n;
    const hit = (await store.nearest('vision', vec(2002, 0), 5, {}, { withVectors: true }))[0];
    expect(hit?.stamp).toBe(newest);
    expect(hit?.cosine).toBeCloseTo(1, 3);
    expect((await store.nearest('vision', vec(2002, 0), 5, { until: newest - 1n })).every((h) => h.stamp < newest)).toBe(true);
    const read = await store.moments([newest, 1_000_000_000n + 500n * 500_000_000n]);
    expect(read.map((m) => [m.stamp, Object.keys(m.vectors).sort(), m.clip])).toEqual([
      [1_000_000_000n + 500n * 500_000_000n, ['audio', 'vision'], 'scene.mcap@250'],
      [newest, ['audio', 'vision'], 'scene.mcap@1001'],
    ]);
    // The same moment as LanceDB returns it once the next maintenance has indexed it.
    await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity });
    const again = await store.moments([newest]);
    expect(again[0]?.vectors.vision).toEqual(read[1]?.vectors.vision);
    expect(again[0]?.present).toEqual(read[1]?.present);
    expect((await store.nearest('vision', vec(2002, 0), 5, {}, { exact: true }))[0]?.stamp).toBe(newest);
    await store.close();
  });

  it('moves appended rows into the main tables once rollRows have gathered, each row once', async () => {
    const path = join(dir, 'roll');
    const store = await LanceRecallStore.open({ dir: path, modelId: 'm1', dim: DIM, rollRows: 100 });
    await store.append(moments(0, 60));
    // Below rollRows the rows stay in the recent tables.
    expect((await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity })).rolledRows).toBeUndefined();
    const db = await lancedb.connect(path);
    const rows = async (name: string) => ((await db.tableNames()).includes(name) ? (await db.openTable(name)).countRows() : 0);
    expect([await rows('vision'), await rows('vision-recent')]).toEqual([0, 60]);
    await store.append(moments(60, 60));
    const run = await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity });
    expect(run.rolledRows).toBe(120 + 80);
    expect([await rows('vision'), await rows('vision-recent'), await rows('audio'), await rows('audio-recent')]).toEqual([120, 0, 80, 0]);
    // A kill between a roll's copy and its delete leaves the copied rows in both tables: the next roll
    // deletes them from the recent table without copying them again, and searches count each once.
    const copy = await (await db.openTable('vision')).query().where(`stamp < ${1_000_000_000n + 100n * 500_000_000n}`).toArrow();
    await (await db.openTable('vision-recent')).add(copy);
    await store.append(moments(120, 100));
    // A store opened only to search (no maintenance yet) reads the recent tables from disk.
    const reader = await LanceRecallStore.open({ dir: path, modelId: 'm1', dim: DIM, create: false });
    const hits = await reader.nearest('vision', vec(50, 0), 5, {}, { exact: true });
    expect(hits.map((h) => h.stamp)).toEqual([...new Set(hits.map((h) => h.stamp))]);
    expect(hits[0]?.stamp).toBe(1_000_000_000n + 50n * 500_000_000n);
    await reader.close();
    const again = await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity });
    expect(again.rolledRows).toBe(100 + 66);
    expect([await rows('vision'), await rows('vision-recent')]).toEqual([220, 0]);
    expect((await store.stats()).rows).toEqual({ vision: 220, audio: 146 });
    expect((await store.moments([1_000_000_000n + 50n * 500_000_000n, 1_000_000_000n + 219n * 500_000_000n])).map((m) => m.clip)).toEqual(['scene.mcap@25', null]);
    db.close();
    await store.close();
  });

  it('lets one of two writers of a store roll at a time, so each row is copied once, and breaks a dead writer\'s roll lock', async () => {
    const path = join(dir, 'two-writers');
    const limits = { maxBytes: Infinity, maxAgeSeconds: Infinity };
    const a = await LanceRecallStore.open({ dir: path, modelId: 'm1', dim: DIM, rollRows: 100 });
    await a.append(moments(0, 150));
    const b = await LanceRecallStore.open({ dir: path, modelId: 'm1', dim: DIM, rollRows: 100, create: false });
    // Both due at once (the agent and a replay --remember on one store): one rolls, the other skips.
    const [ra, rb] = await Promise.all([a.maintain(limits), b.maintain(limits)]);
    expect([ra.rolledRows ?? 0, rb.rolledRows ?? 0].sort((x, y) => x - y)).toEqual([0, 150 + 100]);
    const db = await lancedb.connect(path);
    const rows = async (name: string) => (await db.openTable(name)).countRows();
    expect([await rows('vision'), await rows('vision-recent'), await rows('audio'), await rows('audio-recent')]).toEqual([150, 0, 100, 0]);
    expect(existsSync(join(path, 'roll.lock'))).toBe(false);
    // A writer killed mid-roll leaves its lock: a dead pid on this host does not hold the next roll back.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(join(path, 'roll.lock'), JSON.stringify({ pid: dead, host: hostname(), token: 'killed', at: new Date().toISOString() }));
    await a.append(moments(150, 100));
    expect((await a.maintain(limits)).rolledRows).toBe(100 + 66);
    expect([await rows('vision'), await rows('vision-recent')]).toEqual([250, 0]);
    db.close();
    await a.close();
    await b.close();
  });

  it('refuses a store written by another model, and a missing one when not creating', async () => {
    await expect(LanceRecallStore.open({ dir: join(dir, 'a'), modelId: 'other', dim: DIM })).rejects.toThrow(/written by model "m1" \(dim 32\), but the model loaded is "other"/);
    await expect(LanceRecallStore.open({ dir: join(dir, 'nothing'), modelId: 'm1', dim: DIM, create: false })).rejects.toThrow(/no recall.json there/);
  });

  it('drops the oldest moments by age, then by size, and counts them', async () => {
    const store = await LanceRecallStore.open({ dir: join(dir, 'b'), modelId: 'm1', dim: DIM });
    for (let b = 0; b < 10; b++) await store.append(moments(b * 100, 100));
    const before = await store.stats();
    expect(before.rows.vision).toBe(1000);
    // 1000 moments at 2 Hz span 499.5 s. The oldest is 9.5 s past a 490 s limit, inside its slack (a 24th
    // of it, 20.4 s): deletes come in batches, so nothing goes yet.
    expect(await store.maintain({ maxBytes: Infinity, maxAgeSeconds: 490 })).toMatchObject({ droppedRows: 0, reason: 'none' });
    // Keep 200 s back from the newest: cut exactly there.
    const age = await store.maintain({ maxBytes: Infinity, maxAgeSeconds: 200 });
    expect(age.reason).toBe('age');
    const afterAge = await store.stats();
    expect(afterAge.rows.vision).toBe(401);
    expect(age.droppedRows).toBe(599 + (before.rows.audio! - afterAge.rows.audio!));
    expect(afterAge.droppedByAge).toBe(age.droppedRows);
    expect(afterAge.newest).toBe(before.newest);
    const bytes = await dirBytes(join(dir, 'b'));
    const size = await store.maintain({ maxBytes: Math.floor(bytes / 2), maxAgeSeconds: Infinity });
    expect(size.reason).toBe('size');
    const afterSize = await store.stats();
    expect(afterSize.bytes).toBeLessThanOrEqual(Math.floor(bytes / 2));
    expect(afterSize.rows.vision!).toBeGreaterThan(0);
    expect(afterSize.oldest! > afterAge.oldest!).toBe(true);
    expect(afterSize.newest).toBe(before.newest);
    expect(afterSize.droppedBySize).toBe(size.droppedRows);
    await store.close();
    const reopened = await LanceRecallStore.open({ dir: join(dir, 'b'), modelId: 'm1', dim: DIM, create: false });
    expect((await reopened.stats()).rows).toEqual(afterSize.rows);
    expect((await reopened.nearest('vision', vec(999, 0), 1))[0]?.stamp).toBe(before.newest);
    await reopened.close();
  });

  it('keeps its span through its own appends and deletes, and notices rows another writer added outside it', async () => {
    const hop = 500_000_000n;
    const agent = await LanceRecallStore.open({ dir: join(dir, 'span'), modelId: 'm1', dim: DIM, consistencySeconds: 0 });
    await agent.append(moments(1000, 200));
    expect(await agent.stats()).toMatchObject({ oldest: 1_000_000_000n + 1000n * hop, newest: 1_000_000_000n + 1199n * hop });
    await agent.append(moments(1200, 100));
    const grown = await agent.stats();
    expect(grown.newest).toBe(1_000_000_000n + 1299n * hop);
    // Age retention moves the start to the first row kept.
    await agent.maintain({ maxBytes: Infinity, maxAgeSeconds: 100 });
    expect((await agent.stats()).oldest).toBe(1_000_000_000n + 1099n * hop);
    // A replay --remember in another process writes an older recording into the same store.
    const replay = await LanceRecallStore.open({ dir: join(dir, 'span'), modelId: 'm1', dim: DIM, create: false });
    await replay.append(moments(0, 50));
    await replay.close();
    expect((await agent.stats()).oldest).toBe(1_000_000_000n);
    const r = await agent.maintain({ maxBytes: Infinity, maxAgeSeconds: 100 });
    expect(r.reason).toBe('age');
    const after = await agent.stats();
    expect(after.oldest).toBe(1_000_000_000n + 1099n * hop);
    expect(after.rows.vision).toBe(201);
    await agent.close();
  });
});
