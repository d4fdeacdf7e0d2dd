/**
 * Recall bench (docs/recall.md): three parts, each printed as JSON.
 *   ingest  : how fast the writer appends compared with the live rate (4 modalities x 2 Hz), and whether
 *             feeding it at 50x the live rate slows a tick loop (observe() cost, event-loop delay, with and
 *             without the writer), and the process RSS while the store grows.
 *   scale   : a store of `--moments` synthetic snapshots (default one day: 172,800 x 4 modalities), built,
 *             indexed, then searched end to end (index candidates, read back, calibrated scoring, ranges):
 *             query p50/p99, disk per day.
 *   quality : simulator bags (`--bags`) replayed through the real pipeline into one store (each bag shifted
 *             by an hour so stamps never collide), then for each event kind its label as the query text:
 *             recall@10 of ground-truth intervals and mean average precision, with every modality and with
 *             each one dropped; plus the same ranking from exact fp32 vectors without the index.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createLogger, silentLogger } from '../core/log.js';
import type { SensorModality, StampNs } from '../core/types.js';
import { parseConfig } from '../config/load.js';
import { openPipeline } from '../pipeline/open.js';
import { pipelineOptionsFromConfig } from '../pipeline/options.js';
import { runBag } from '../pipeline/run-bag.js';
import { LanceRecallStore } from '../recall/lance-store.js';
import type { RecallMoment } from '../recall/moment.js';
import { textQuery } from '../recall/query.js';
import { mergeRanges, type MomentRange, type ScoredMoment } from '../recall/ranges.js';
import { QueryScorer } from '../recall/score.js';
import { searchStore } from '../recall/search.js';
import { RecallWriter } from '../recall/writer.js';
import { eventKind } from '../sim/events.js';
import { DAY_MOMENTS, HOP_NS, MODS, SyntheticLife, mib, pct, r2, rng, syntheticState, tickOf, unit } from './recall-synthetic.js';
import { week } from './recall-week.js';


function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function ingest(dir: string, seconds: number): Promise<unknown> {
  const life = new SyntheticLife(128, 64, 1);
  const pool = Array.from({ length: 4096 }, (_, i) => life.moment(i));
  const tick = (i: number) => tickOf({ ...(pool[i % pool.length] as RecallMoment), stamp: BigInt(i) * HOP_NS }, i);
  // 1. Throughput: hand the writer ticks as fast as it takes them (yielding so appends run), until written.
  const store = await LanceRecallStore.open({ dir: join(dir, 'ingest'), modelId: 'bench', dim: 128 });
  const writer = new RecallWriter({ store, logger: createLogger({ level: 'error', format: 'json' }), flushSeconds: 0.5, maxQueue: 1_000_000, maintainSeconds: 0 });
  const n = 40_000;
  const rss: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    writer.observe(tick(i));
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
    if (i % 10_000 === 9_999) rss.push(mib(process.memoryUsage().rss));
  }
  await writer.flush(600_000);
  const wall = (performance.now() - t0) / 1000;
  const throughput = writer.stats().written / wall;
  // 2. A tick loop at 50x the live rate (100 ticks/s) for `seconds`, without and then with the writer.
  const loop = async (w: RecallWriter | undefined, from: number) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const costs: number[] = [];
    let i = from;
    await new Promise<void>((resolve) => {
      const end = Date.now() + seconds * 1000;
      const timer = setInterval(() => {
        const t = tick(i++);
        const s = performance.now();
        w?.observe(t);
        costs.push((performance.now() - s) * 1000);
        if (Date.now() >= end) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    h.disable();
    return { ticks: costs.length, observeMicros: { p50: r2(pct(costs, 50)), p99: r2(pct(costs, 99)) }, loopDelayMs: { p50: r2(h.percentile(50) / 1e6), p99: r2(h.percentile(99) / 1e6), max: r2(h.max / 1e6) } };
  };
  const without = await loop(undefined, n);
  const withWriter = await loop(writer, n);
  await writer.flush(600_000);
  const s = writer.stats();
  await writer.close();
  return {
    part: 'ingest',
    liveRate: { snapshotsPerSecond: 2, vectorsPerSecond: 8 },
    throughput: { snapshots: n, wallSeconds: r2(wall), snapshotsPerSecond: Math.round(throughput), vectorsPerSecond: Math.round(throughput * 4), timesLive: Math.round(throughput / 2) },
    loopAt50xLive: { withoutWriter: without, withWriter, dropped: s.dropped, failed: s.failed },
    rssMiBDuringThroughput: rss,
  };
}

async function scale(dir: string, moments: number, queries: number, existing: string | undefined): Promise<unknown> {
  const life = new SyntheticLife(128, 64, 2);
  const path = existing ?? join(dir, 'scale');
  let store = await LanceRecallStore.open({ dir: path, modelId: 'bench', dim: 128 });
  const rss: number[] = [];
  let buildSeconds = 0;
  const have = (await store.stats()).rows.vision ?? 0;
  if (have < moments) {
    const t0 = performance.now();
    const batch = 4000;
    for (let i = have; i < moments; i += batch) {
      await store.append(Array.from({ length: Math.min(batch, moments - i) }, (_, k) => life.moment(i + k)));
      if ((i / batch) % 25 === 0) rss.push(mib(process.memoryUsage().rss));
    }
    buildSeconds = (performance.now() - t0) / 1000;
  }
  const t1 = performance.now();
  await store.maintain({ maxBytes: Infinity, maxAgeSeconds: Infinity });
  const indexSeconds = (performance.now() - t1) / 1000;
  await store.close();
  store = await LanceRecallStore.open({ dir: path, modelId: 'bench', dim: 128, create: false });
  const stats = await store.stats();
  const state = syntheticState(life, 12);
  const r = rng(9);
  const lat: number[] = [];
  const split = { nearestMs: [] as number[], readMs: [] as number[], scoreMs: [] as number[] };
  for (let q = 0; q < queries; q++) {
    // A query off the data, as a text prototype is: a scene centre pushed by noise.
    const base = life.centre(Math.floor(r() * 256));
    const v = unit(Float32Array.from(base, (x) => x + (r() - 0.5) * 0.3));
    const query = Object.fromEntries(MODS.map((m) => [m, v]));
    const t = performance.now();
    const res = await searchStore(store, state, query, { top: 10 });
    lat.push(performance.now() - t);
    split.nearestMs.push(res.timings.nearestMs);
    split.readMs.push(res.timings.readMs);
    split.scoreMs.push(res.timings.scoreMs);
  }
  await store.close();
  const vectors = Object.values(stats.rows).reduce((a, b) => a + (b ?? 0), 0);
  const days = moments / DAY_MOMENTS;
  return {
    part: 'scale',
    moments,
    vectors,
    days: r2(days),
    dim: 128,
    buildSeconds: r2(buildSeconds),
    buildVectorsPerSecond: buildSeconds > 0 ? Math.round(((moments - have) * 4) / buildSeconds) : null,
    indexSeconds: r2(indexSeconds),
    indexed: stats.indexed,
    diskMiB: mib(stats.bytes),
    diskMiBPerDay: mib(stats.bytes / days),
    queryMs: { n: queries, p50: r2(pct(lat, 50)), p99: r2(pct(lat, 99)), max: r2(Math.max(...lat)) },
    splitMsP50: { nearest: r2(pct(split.nearestMs, 50)), read: r2(pct(split.readMs, 50)), score: r2(pct(split.scoreMs, 50)) },
    rssMiBWhileBuilding: rss,
  };
}

interface Interval {
  label: string;
  start: StampNs;
  end: StampNs;
}

/** recall@10 of intervals and average precision over the ranked ranges (each interval found once). */
function rankQuality(ranges: readonly MomentRange[], truth: readonly Interval[], slackNs: bigint): { recall10: number; ap: number } {
  const found = new Set<number>();
  let hits = 0;
  let sumPrec = 0;
  let recall10 = 0;
  ranges.forEach((g, k) => {
    const end = g.end + HOP_NS;
    const j = truth.findIndex((t, i) => !found.has(i) && g.start <= t.end + slackNs && end >= t.start - slackNs);
    if (j >= 0) {
      found.add(j);
      hits++;
      sumPrec += hits / (k + 1);
    }
    if (k === 9) recall10 = hits;
  });
  if (ranges.length < 10) recall10 = hits;
  return { recall10: truth.length > 0 ? recall10 / truth.length : NaN, ap: truth.length > 0 ? sumPrec / truth.length : NaN };
}

/**
 * `index`: the quality store gets an IVF-PQ index although it is small (8 partitions), so the figures
 * include what the index's candidates cost; `candidates`: rows proposed per modality (the search's default
 * is max(100, 10 x top)).
 */
async function quality(dir: string, bags: string[], cacheDir: string, index: boolean, candidates: number | undefined): Promise<unknown> {
  const config = parseConfig({ model: { cacheDir, providers: ['cpu'] } }, 'bench recall');
  const pipeline = await openPipeline(pipelineOptionsFromConfig(config));
  const storeDir = join(dir, 'quality');
  const store = await LanceRecallStore.open({ dir: storeDir, modelId: pipeline.runtime.modelId, dim: pipeline.runtime.manifest.embeddingDim, ...(index ? { indexMinRows: 1, minPartitions: 8, rollRows: 1 } : {}) });
  const writer = new RecallWriter({ store, logger: silentLogger(), maintainSeconds: 0 });
  const truth: Interval[] = [];
  const exact: { stamp: StampNs; vectors: Partial<Record<SensorModality, Float32Array>>; present: SensorModality[] }[] = [];
  const t0 = performance.now();
  for (const [b, bag] of bags.entries()) {
    // An hour apart: the simulator starts every bag at the same stamp.
    const offset = BigInt(b) * 3600n * 1_000_000_000n;
    const run = await runBag(pipeline, config, bag, {
      onTick: (r) => {
        const se = { ...r.embeddings, stamp: r.embeddings.stamp + offset };
        writer.observe(se);
        const vectors: Partial<Record<SensorModality, Float32Array>> = {};
        for (const m of se.present) vectors[m] = se.embeddings[m]?.vector as Float32Array;
        exact.push({ stamp: se.stamp, vectors, present: se.present });
      },
    });
    for (const t of run.truth) truth.push({ label: t.label, start: t.start + offset, end: t.end + offset });
  }
  await writer.flush(600_000);
  await writer.maintain(); // what `run` does every recall.maintainMinutes and replay --remember at its end
  const replaySeconds = (performance.now() - t0) / 1000;
  const state = pipeline.memory.state;
  const conditions: { name: string; modalities: SensorModality[] }[] = [{ name: 'all', modalities: MODS }, ...MODS.map((m) => ({ name: `-${m}`, modalities: MODS.filter((x) => x !== m) }))];
  const kinds = [...new Set(truth.map((t) => t.label))].sort();
  const calibration = { textScale: pipeline.runtime.scale('text') };
  const slack = 1_000_000_000n;
  const table: Record<string, Record<string, { recall10: number; ap: number; flatRecall10: number; flatAp: number; exactRecall10: number; exactAp: number }>> = {};
  const indexed = (await store.stats()).indexed;
  const queryMs: number[] = [];
  for (const c of conditions) {
    table[c.name] = {};
    for (const kind of kinds) {
      const query = await textQuery(pipeline.runtime, state, eventKind(kind as Parameters<typeof eventKind>[0]).label);
      const t = performance.now();
      const opts = { top: 50, modalities: c.modalities, calibration, ...(candidates !== undefined ? { candidates } : {}) };
      const res = await searchStore(store, state, query, opts);
      queryMs.push(performance.now() - t);
      const gt = truth.filter((x) => x.label === kind);
      const viaStore = rankQuality(res.ranges, gt, slack);
      // The same search with candidates from every stored row (no index): what the index's candidates cost.
      const flat = rankQuality((await searchStore(store, state, query, { ...opts, exact: true })).ranges, gt, slack);
      // The same scoring over every moment at fp32, no index: what fp16 storage and the index cost.
      const scorer = new QueryScorer(state, query, { modalities: c.modalities, calibration });
      const scored: ScoredMoment[] = [];
      for (const mo of exact) {
        const s = scorer.score(mo.vectors, Number(mo.stamp) / 1e9);
        if (s !== undefined) scored.push({ stamp: mo.stamp, score: s.score, modalityScores: s.modalityScores, present: mo.present, clip: null });
      }
      const ex = rankQuality(mergeRanges(scored, { top: 50 }), gt, slack);
      (table[c.name] as Record<string, unknown>)[kind] = { recall10: r2(viaStore.recall10), ap: r2(viaStore.ap), flatRecall10: r2(flat.recall10), flatAp: r2(flat.ap), exactRecall10: r2(ex.recall10), exactAp: r2(ex.ap), intervals: gt.length };
    }
  }
  const macro = Object.fromEntries(
    Object.entries(table).map(([c, byKind]) => {
      const rows = Object.values(byKind);
      const mean = (f: (x: (typeof rows)[number]) => number) => r2(rows.reduce((a, x) => a + f(x), 0) / rows.length);
      return [c, { recall10: mean((x) => x.recall10), mAP: mean((x) => x.ap), flatRecall10: mean((x) => x.flatRecall10), flatMAP: mean((x) => x.flatAp), exactRecall10: mean((x) => x.exactRecall10), exactMAP: mean((x) => x.exactAp) }];
    }),
  );
  const ws = writer.stats();
  await writer.close();
  await pipeline.close();
  return {
    part: 'quality',
    bags,
    moments: exact.length,
    intervals: truth.length,
    replaySeconds: r2(replaySeconds),
    written: ws.written,
    dropped: ws.dropped,
    slackSeconds: 1,
    indexed,
    candidatesPerModality: candidates ?? 'max(100, 10 x top)',
    queryMs: { p50: r2(pct(queryMs, 50)), p99: r2(pct(queryMs, 99)) },
    macro,
    perKind: table,
  };
}

export async function main(argv: string[]): Promise<unknown> {
  const parts = (flag(argv, 'part') ?? (flag(argv, 'days') !== undefined ? 'week' : 'ingest,scale,quality')).split(',');
  const dir = flag(argv, 'dir') ?? (await mkdtemp(join(tmpdir(), 'sensebind-bench-recall-')));
  const out: unknown[] = [];
  try {
    if (parts.includes('ingest')) out.push(await ingest(dir, Number(flag(argv, 'seconds') ?? 20)));
    if (parts.includes('week') || flag(argv, 'days') !== undefined) {
      out.push(
        await week({
          dir,
          days: Number(flag(argv, 'days') ?? 7),
          speed: Number(flag(argv, 'speed') ?? 2000),
          queries: Number(flag(argv, 'queries') ?? 100),
          exactQueries: Number(flag(argv, 'exact-queries') ?? 20),
          maintainSeconds: Number(flag(argv, 'maintain-seconds') ?? 30),
          store: flag(argv, 'store'),
          cacheMiB: { index: Number(flag(argv, 'index-cache-mib') ?? 512), metadata: Number(flag(argv, 'metadata-cache-mib') ?? 64) },
          indexMinRows: flag(argv, 'index-min-rows') !== undefined ? Number(flag(argv, 'index-min-rows')) : undefined,
        }),
      );
    }
    if (parts.includes('scale')) out.push(await scale(dir, Number(flag(argv, 'moments') ?? DAY_MOMENTS), Number(flag(argv, 'queries') ?? 100), flag(argv, 'store')));
    if (parts.includes('quality')) {
      const bags = (flag(argv, 'bags') ?? '').split(',').filter(Boolean);
      if (bags.length === 0) throw new Error('--part quality needs --bags a.mcap,b.mcap (sensebind simulate --seed 3001 --duration 60 --out a.mcap ...)');
      const candidates = flag(argv, 'candidates');
      out.push(await quality(dir, bags, flag(argv, 'cache') ?? '.sensebind/cache', argv.includes('--index'), candidates !== undefined ? Number(candidates) : undefined));
    }
  } finally {
    if (flag(argv, 'dir') === undefined) await rm(dir, { recursive: true, force: true });
  }
  const result = { bench: 'recall', node: process.version, cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg().map(r2), results: out };
  process.stdout.write(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
  return result;
}
