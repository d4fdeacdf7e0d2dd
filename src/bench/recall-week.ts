/**
 * Recall at the scale of a week (`node bench/recall.mjs --days 7`): one robot's life of synthetic
 * snapshots (4 modalities x 2 Hz; 7 days = 1,209,600 snapshots = 4,838,400 vectors) fed through the real
 * writer as the agent feeds it, on a 100 Hz tick loop at `speed` times the live rate, with the writer's own
 * maintenance (compaction, vector index builds and retrains) on its timer as in `run`. Reported:
 *   ingest : achieved rate, the tick loop's observe() cost and event-loop delay over the whole build
 *            (index builds included), drops, maintenance runs, index builds and their time;
 *   memory : the process RSS (VmRSS), JS heap, external memory and LanceDB's cache bytes sampled every 5 s
 *            as the store grows, and RSS against stored snapshots at every tenth of the build (the
 *            agent's memory while its store grows: it should level off at the bound docs/recall.md gives);
 *   disk   : bytes after the final compaction, per day;
 *   query  : end-to-end search (candidates, read back, calibrated scoring, ranges) for text-like queries,
 *            p50/p99, without a range, with `--since -12h`, and with a one-day `--since/--until` window;
 *   quality: the index's results against an exact (flat) search of the same store: recall@10 of the
 *            nearest rows, the candidate set's recall, and recall@10 of the final ranges.
 * The feeder waits while the writer holds more than `backlog` snapshots (counted as stalled ticks), so the
 * achieved rate is what the store sustains, not what the queue swallowed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { createLogger } from '../core/log.js';
import { cosine } from '../core/vector.js';
import type { SensorModality } from '../core/types.js';
import type { MemoryState } from '../memory/state.js';
import { LanceRecallStore, dirBytes } from '../recall/lance-store.js';
import type { TimeRange } from '../recall/moment.js';
import type { MomentRange } from '../recall/ranges.js';
import { searchStore } from '../recall/search.js';
import { RecallWriter } from '../recall/writer.js';
import { DAY_MOMENTS, HOP_NS, MODS, SyntheticLife, mib, pct, r2, rng, syntheticState, tickOf, unit } from './recall-synthetic.js';

export interface WeekOptions {
  dir: string;
  days: number;
  /** Times the live rate (2 snapshots/s) the tick loop feeds. */
  speed: number;
  queries: number;
  /** Queries also run exactly (flat), for the quality comparison. */
  exactQueries: number;
  /** The writer's maintenance period, seconds (run: recall.maintainMinutes). */
  maintainSeconds: number;
  /** An existing store to extend or query (a build that was stopped resumes where it ended). */
  store?: string | undefined;
  /** LanceDB's cache caps, MiB (run: recall.indexCacheMiB / metadataCacheMiB). */
  cacheMiB: { index: number; metadata: number };
  /** Rows of a modality before its vector index is built (the store's default when absent). */
  indexMinRows?: number | undefined;
}

const DIM = 128;
const BACKLOG = 10_000;

/** Log lines of the writer (index builds) kept for the report. */
function capturingLogger(lines: Record<string, unknown>[]) {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line
        }
      }
      done();
    },
  });
  return createLogger({ level: 'info', format: 'json', destination });
}

async function build(path: string, o: WeekOptions, life: SyntheticLife): Promise<Record<string, unknown>> {
  const total = Math.round(o.days * DAY_MOMENTS);
  const store = await LanceRecallStore.open({ dir: path, modelId: 'bench', dim: DIM, cacheMiB: o.cacheMiB, ...(o.indexMinRows !== undefined ? { indexMinRows: o.indexMinRows } : {}) });
  const have = (await store.stats()).rows.vision ?? 0;
  if (have >= total) {
    await store.close();
    // The figures of the build that made this store (queries can be re-run on it alone).
    return { reused: true, ...(JSON.parse(await readFile(join(path, 'bench-build.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>) };
  }
  const logs: Record<string, unknown>[] = [];
  const writer = new RecallWriter({
    store,
    logger: capturingLogger(logs),
    flushSeconds: 0.5,
    maxQueue: 20_000,
    maintainSeconds: o.maintainSeconds,
    retention: { maxBytes: Infinity, maxAgeSeconds: Infinity },
  });
  // The scene sequence is replayed from the start so a resumed build continues the same life.
  for (let i = 0; i < have; i++) life.moment(i);
  const perTick = Math.max(1, Math.round((o.speed * 2) / 100));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const observeMicros: number[] = [];
  const samples: { s: number; snapshots: number; rssMiB: number; heapMiB: number; externalMiB: number; cacheMiB: number; queued: number; diskMiB?: number }[] = [];
  let i = have;
  let stalled = 0;
  const t0 = performance.now();
  let lastSample = -Infinity;
  let lastDisk = -Infinity;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = (performance.now() - t0) / 1000;
      if (now - lastSample >= 5) {
        lastSample = now;
        const mem = process.memoryUsage();
        const s = writer.stats();
        samples.push({ s: r2(now), snapshots: s.written + have, rssMiB: mib(mem.rss), heapMiB: mib(mem.heapUsed), externalMiB: mib(mem.external), cacheMiB: mib(store.cacheBytes()), queued: s.queued });
        if (now - lastDisk >= 60) {
          lastDisk = now;
          const sample = samples.at(-1) as (typeof samples)[number];
          void dirBytes(path).then((b) => (sample.diskMiB = mib(b)));
        }
      }
      if (writer.stats().queued > BACKLOG) {
        stalled++;
        return;
      }
      const n = Math.min(perTick, total - i);
      const ticks = Array.from({ length: n }, (_, k) => tickOf(life.moment(i + k), i + k));
      // Only the hand-over is timed (what the agent's tick pays), not making the synthetic vectors.
      const s = performance.now();
      for (const t of ticks) writer.observe(t);
      observeMicros.push(((performance.now() - s) * 1000) / Math.max(1, n));
      i += n;
      if (i >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  const feedSeconds = (performance.now() - t0) / 1000;
  await writer.flush(3_600_000);
  const writtenSeconds = (performance.now() - t0) / 1000;
  const beforeClose = writer.stats();
  const tc = performance.now();
  await writer.close(3_600_000); // the final maintenance: compaction, and the index of the newest rows
  const closeSeconds = (performance.now() - tc) / 1000;
  delay.disable();
  const ws = writer.stats();
  const fed = total - have;
  const figures = {
    resumedFrom: have,
    fed,
    ticksPerSecond: 100,
    snapshotsPerTick: perTick,
    feedSeconds: r2(feedSeconds),
    snapshotsPerSecond: Math.round(ws.written / writtenSeconds),
    timesLive: Math.round(ws.written / writtenSeconds / 2),
    stalledTicks: stalled,
    observeMicrosPerSnapshot: { p50: r2(pct(observeMicros, 50)), p99: r2(pct(observeMicros, 99)) },
    loopDelayMs: { p50: r2(delay.percentile(50) / 1e6), p99: r2(delay.percentile(99) / 1e6), max: r2(delay.max / 1e6) },
    written: ws.written,
    dropped: ws.dropped,
    failed: ws.failed,
    maintenanceRuns: ws.maintenanceRuns,
    maintenanceErrors: ws.maintenanceErrors,
    maxMaintenanceSeconds: r2(ws.maxMaintenanceSeconds),
    indexBuilds: ws.indexBuilds,
    indexBuildSeconds: r2(ws.indexBuildSeconds),
    indexBuildsDuringFeed: beforeClose.indexBuilds,
    finalMaintenanceSeconds: r2(closeSeconds),
    builds: logs.filter((l) => typeof l['msg'] === 'string' && (l['msg'] as string).startsWith('recall vector index')).map((l) => ({ at: l['time'], modality: l['modality'], rows: l['rows'], partitions: l['partitions'], seconds: l['seconds'] })),
    errors: logs.filter((l) => (l['level'] as number) >= 50).map((l) => l['msg']),
    cacheCapsMiB: o.cacheMiB,
    rss: {
      atStartMiB: samples[0]?.rssMiB,
      maxMiB: Math.max(...samples.map((x) => x.rssMiB)),
      maxHeapMiB: Math.max(...samples.map((x) => x.heapMiB)),
      maxCacheMiB: Math.max(...samples.map((x) => x.cacheMiB)),
      // Stored snapshots against RSS: the figure that says whether memory levels off as the store grows.
      byTenth: Array.from({ length: 10 }, (_, k) => {
        const x = samples.find((y) => y.snapshots >= have + ((k + 1) * fed) / 10) ?? samples.at(-1);
        return { snapshots: x?.snapshots, rssMiB: x?.rssMiB, cacheMiB: x?.cacheMiB };
      }),
      byDay: Array.from({ length: Math.ceil(o.days) }, (_, d) => samples.find((x) => x.snapshots >= (d + 1) * DAY_MOMENTS)?.rssMiB ?? samples.at(-1)?.rssMiB),
    },
    samples: samples.filter((_, k) => k % 6 === 0),
  };
  await writeFile(join(path, 'bench-build.json'), `${JSON.stringify(figures, null, 2)}\n`);
  return figures;
}

/** End-to-end search latency of `queries` (one warm-up first), p50/p99 and the split of the p50. */
async function timeQueries(store: LanceRecallStore, state: MemoryState, queries: Partial<Record<SensorModality, Float32Array>>[], range: () => TimeRange): Promise<unknown> {
  await searchStore(store, state, queries[0] as Partial<Record<SensorModality, Float32Array>>, { top: 10, range: range() });
  const lat: number[] = [];
  const split = { nearest: [] as number[], read: [] as number[], score: [] as number[] };
  let scored = 0;
  for (const q of queries) {
    const t = performance.now();
    const res = await searchStore(store, state, q, { top: 10, range: range() });
    lat.push(performance.now() - t);
    split.nearest.push(res.timings.nearestMs);
    split.read.push(res.timings.readMs);
    split.score.push(res.timings.scoreMs);
    scored += res.scored;
  }
  return {
    n: lat.length,
    p50: r2(pct(lat, 50)),
    p99: r2(pct(lat, 99)),
    max: r2(Math.max(...lat)),
    splitP50: { nearest: r2(pct(split.nearest, 50)), read: r2(pct(split.read, 50)), score: r2(pct(split.score, 50)) },
    meanScored: Math.round(scored / lat.length),
  };
}

function overlaps(a: MomentRange, b: MomentRange): boolean {
  return a.start <= b.end + HOP_NS && b.start <= a.end + HOP_NS;
}

export async function week(o: WeekOptions): Promise<unknown> {
  const path = o.store ?? join(o.dir, 'week');
  const life = new SyntheticLife(DIM, 64, 3);
  const built = await build(path, o, life);
  const rssBeforeQueries = mib(process.memoryUsage().rss);
  // keepVersionsSeconds 0: what the agent's maintenance does once the build's last versions are a minute
  // old, so the disk figure is the store's steady size, not the build's leftovers (with the default 60 s
  // window this read, taken seconds after the build, counted them: 385-462 MiB/day against 208).
  const store = await LanceRecallStore.open({ dir: path, modelId: 'bench', dim: DIM, create: false, cacheMiB: o.cacheMiB, keepVersionsSeconds: 0 });
  await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity });
  const rssAfterOpen = mib(process.memoryUsage().rss);
  const stats = await store.stats();
  const state = syntheticState(life, 12);
  const r = rng(11);
  const queries = Array.from({ length: o.queries }, () => {
    // A query off the data, as a text prototype is: a scene centre pushed by noise.
    const v = unit(Float32Array.from(life.centre(Math.floor(r() * 256)), (x) => x + (r() - 0.5) * 0.3));
    return Object.fromEntries(MODS.map((m) => [m, v])) as Partial<Record<SensorModality, Float32Array>>;
  });
  const newest = stats.newest ?? 0n;
  const oldest = stats.oldest ?? 0n;
  const dayNs = BigInt(DAY_MOMENTS) * HOP_NS;
  const ranges: Record<string, () => TimeRange> = {
    all: () => ({}),
    since12h: () => ({ since: newest - dayNs / 2n }),
    oneDayWindow: () => {
      const span = Number(newest - oldest - dayNs);
      const since = oldest + BigInt(Math.max(0, Math.floor(r() * span)));
      return { since, until: since + dayNs };
    },
  };
  // One warm-up query per set: the first opens the index files (what a long-running agent has done).
  const latency: Record<string, unknown> = {};
  for (const [name, range] of Object.entries(ranges)) latency[name] = await timeQueries(store, state, queries, range);
  // What the agent's memory holds after its searches (exact searches below are a bench's, not the agent's).
  const rssAfterSearches = mib(process.memoryUsage().rss);
  const cacheAfterSearches = mib(store.cacheBytes());
  // The index against an exact search of the same store.
  const rowRecall10: number[] = [];
  const candidateRecall: number[] = [];
  const rangeRecall10: number[] = [];
  const exactMs: number[] = [];
  // On near-duplicate snapshots many rows tie within PQ error; how close the index's 10th row is to the
  // exact 10th (cosine), and the final ranges' mean score, say whether a miss is a worse answer.
  const cos10 = { index: [] as number[], exact: [] as number[] };
  const rangeScore = { index: [] as number[], exact: [] as number[] };
  for (const q of queries.slice(0, o.exactQueries)) {
    for (const m of MODS) {
      const v = q[m] as Float32Array;
      const ann = await store.nearest(m, v, 100, {}, { withVectors: true });
      const t = performance.now();
      const ex = await store.nearest(m, v, 100, {}, { exact: true });
      exactMs.push(performance.now() - t);
      const annTop = new Set(ann.map((h) => h.stamp));
      candidateRecall.push(ex.filter((h) => annTop.has(h.stamp)).length / Math.max(1, ex.length));
      const ann10 = new Set(ann.slice(0, 10).map((h) => h.stamp));
      rowRecall10.push(ex.slice(0, 10).filter((h) => ann10.has(h.stamp)).length / Math.max(1, Math.min(10, ex.length)));
      // The index's own cosines are PQ estimates: its rows' true cosines come from their stored vectors.
      cos10.exact.push(ex[9]?.cosine ?? NaN);
      cos10.index.push(Math.min(...ann.slice(0, 10).map((h) => cosine(h.vector as Float32Array, v))));
    }
    const viaIndex = await searchStore(store, state, q, { top: 10 });
    const exact = await searchStore(store, state, q, { top: 10, exact: true });
    rangeRecall10.push(exact.ranges.filter((e) => viaIndex.ranges.some((a) => overlaps(a, e))).length / Math.max(1, exact.ranges.length));
    rangeScore.index.push(viaIndex.ranges.reduce((a, r) => a + r.score, 0) / Math.max(1, viaIndex.ranges.length));
    rangeScore.exact.push(exact.ranges.reduce((a, r) => a + r.score, 0) / Math.max(1, exact.ranges.length));
  }
  // A minute of the agent's flushes (120 appends of one moment, each a small fragment until the next
  // compaction), then the no-range set again: what a search meets between two maintenance runs.
  let stamp = newest + HOP_NS;
  for (let f = 0; f < 120; f++) {
    const v = unit(Float32Array.from(life.centre(f % 256)));
    await store.append([{ stamp, vectors: Object.fromEntries(MODS.map((m) => [m, v])) }]);
    stamp += HOP_NS;
  }
  latency['betweenCompactions'] = await timeQueries(store, state, queries, ranges['all'] as () => TimeRange);
  const mean = (xs: number[]) => r2(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
  const r4 = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 1e4) / 1e4;
  await store.close();
  // index.json: what each modality's index was trained for (none below indexMinRows).
  const indexMeta = JSON.parse(await readFile(join(path, 'index.json'), 'utf8').catch(() => 'null')) as unknown;
  const vectors = Object.values(stats.rows).reduce((a, b) => a + (b ?? 0), 0);
  const days = Number(newest - oldest + HOP_NS) / 1e9 / 86400;
  return {
    part: 'week',
    days: r2(days),
    snapshots: stats.rows.vision,
    vectors,
    dim: DIM,
    speed: o.speed,
    ingest: built,
    index: indexMeta,
    diskMiB: mib(stats.bytes),
    diskMiBPerDay: mib(stats.bytes / days),
    rssMiB: { beforeQueries: rssBeforeQueries, afterOpen: rssAfterOpen, afterSearches: rssAfterSearches, afterExactComparison: mib(process.memoryUsage().rss), cacheAfterSearches: cacheAfterSearches },
    queryMs: latency,
    vsExact: {
      queries: Math.min(o.exactQueries, queries.length),
      rowRecallAt10: mean(rowRecall10),
      candidateRecallAt100: mean(candidateRecall),
      rangeRecallAt10: mean(rangeRecall10),
      tenthRowCosine: { index: r4(cos10.index), exact: r4(cos10.exact) },
      meanTop10RangeScore: { index: r4(rangeScore.index), exact: r4(rangeScore.exact) },
      exactNearestMs: { p50: r2(pct(exactMs, 50)), p99: r2(pct(exactMs, 99)) },
    },
  };
}
