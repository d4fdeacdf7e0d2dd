/**
 * The recall store on LanceDB (embedded, columnar, on local disk; docs/recall.md says why it was chosen
 * over better-sqlite3 + sqlite-vec). One Lance table per modality, one row per embedded snapshot:
 *   stamp int64 (agent-clock ns), present int32 (bit mask of the snapshot's modalities),
 *   clip utf8 (nullable), vector fixed_size_list<float16>[dim]
 * fp16 halves the disk per day; search quality with fp16 is measured in bench/recall.mjs.
 *
 * Crash safety comes from Lance itself: every add/delete/compaction writes new files and then commits a
 * new manifest version atomically, so a process killed mid-write leaves the previous version readable
 * (the half-written data files are unreferenced and removed by a later cleanup). `recall.json` names the
 * model and dimension; a store written by another model is refused rather than searched with the wrong
 * vectors.
 *
 * Retention (`maintain`): age is counted back from the newest stored moment (so replays of old bags are
 * not wiped at once); size is the bytes of the folder, and the oldest time slice is deleted until it fits.
 * Deleted and compacted-away files are freed by Lance's cleanup of old versions.
 */
import { mkdir, readFile, readdir, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as lancedb from '@lancedb/lancedb';
import type * as arrowTypes from 'apache-arrow';
import { SensebindError, errorMessage } from '../core/errors.js';
import { SENSOR_MODALITIES, type SensorModality, type StampNs } from '../core/types.js';
import { float32ToHalf, halfToFloat32 } from '../embed/float16.js';
import { cosine } from '../core/vector.js';
import {
  maskModalities,
  modalityMask,
  type IndexBuild,
  type NearestOptions,
  type RecallHit,
  type RecallMoment,
  type RecallStore,
  type RecallStoreStats,
  type RetentionLimits,
  type RetentionResult,
  type StoredMoment,
  type TimeRange,
} from './moment.js';

export interface LanceRecallStoreOptions {
  /** Folder of the store (created when missing and `create` is set). */
  dir: string;
  /** Model id and embedding dimension of the vectors (checked against recall.json). */
  modelId: string;
  dim: number;
  /** Create the store when it does not exist. @default true */
  create?: boolean;
  /** Rows of a modality before it gets an IVF-PQ vector index (below, search is exact). @default 100000 */
  indexMinRows?: number;
  /**
   * Rows per IVF partition the index is sized for (at least 256 partitions); the index is retrained (in
   * the background, by `maintain`) once its table holds 4x the rows its partitions were sized for. @default 4096
   */
  rowsPerPartition?: number;
  /** Partitions of an index at least (small stores in tests and benches use fewer). @default 256 */
  minPartitions?: number;
  /** IVF partitions probed per query. @default 16 */
  nprobes?: number;
  /**
   * Candidates re-ranked with the full vectors per requested hit; 0 = none: the search re-scores every
   * candidate from its stored vectors anyway, so only the candidate set matters. @default 0
   */
  refineFactor?: number;
  /** Versions younger than this are kept by cleanup (other processes may still read them). @default 60 */
  keepVersionsSeconds?: number;
  /**
   * LanceDB's in-memory caches, MiB (one session for the store's four tables): the index cache (IVF-PQ
   * indexes and stamp B-trees: searches of a week at 2 Hz, dim 128, filled 358 MiB, and at a 256 MiB cap
   * the week's query p50 rose from ~42 to 54-93 ms) and the
   * metadata cache (file footers, and the manifest of every table version read or written: each append
   * writes a version whose manifest lists every fragment, so between compactions it fills at a rate that
   * grows with the fragments). With LanceDB's defaults (6 GiB and 1 GiB) the agent's memory grew with its
   * store; these caps are most of the agent's bound (docs/recall.md, "Memory").
   * @default { index: 512, metadata: 64 }
   */
  cacheMiB?: { index: number; metadata: number };
  /**
   * Seconds after which a read looks for versions other processes committed (LanceDB's read consistency
   * interval). Without it a table handle never sees them: the agent's searches and its retention would
   * miss what a `replay --remember` beside it wrote. Each check reads the table's latest manifest. @default 5
   */
  consistencySeconds?: number;
}

interface Meta {
  v: 1;
  modelId: string;
  dim: number;
  created: string;
}

/** What each modality's vector index was trained for (index.json; rewritten after every build). */
type IndexMeta = Partial<Record<SensorModality, { partitions: number; rows: number; seconds: number; built: string }>>;

const META = 'recall.json';
const INDEX_META = 'index.json';

/**
 * apache-arrow through require: LanceDB's CommonJS build checks `instanceof` against the CommonJS copy of
 * the module, and an ESM import would be a second copy whose tables it rejects. Building Arrow columns
 * directly (fp16 bits in one Uint16Array) costs ~1 ms per 1000 rows; row objects cost ~100x that.
 */
const arrow = createRequire(import.meta.url)('apache-arrow') as typeof arrowTypes;

/**
 * LanceDB's native logger prints every warning (deprecations, k-means notes) to stderr and reads its level
 * once, when the module loads: set a quiet default first (LANCEDB_LOG=warn or debug brings them back).
 */
let lance: Promise<typeof lancedb> | undefined;
function loadLance(): Promise<typeof lancedb> {
  process.env.LANCEDB_LOG ??= 'error';
  lance ??= import('@lancedb/lancedb');
  return lance;
}
/** Rows per `IN (...)` lookup: long enough to amortise a scan, short enough for the SQL parser. */
const LOOKUP_CHUNK = 2000;
/** Recent rows kept in memory at most (~80 minutes at 2 Hz: maintenance runs every minute by default). */
const MAX_RECENT = 10_000;

export class LanceRecallStore implements RecallStore {
  readonly dir: string;
  readonly modelId: string;
  readonly dim: number;
  readonly #db: lancedb.Connection;
  readonly #session: lancedb.Session;
  readonly #o: Required<Omit<LanceRecallStoreOptions, 'dir' | 'modelId' | 'dim' | 'create' | 'cacheMiB' | 'consistencySeconds'>>;
  readonly #tables = new Map<SensorModality, lancedb.Table>();
  readonly #schema: arrowTypes.Schema;
  /** Modalities whose table has a vector index (queried with nprobes/refine; exact search otherwise). */
  readonly #indexed = new Set<SensorModality>();
  #indexMeta: IndexMeta = {};
  #stats = { droppedByAge: 0, droppedBySize: 0, appends: 0 };
  /**
   * The stored stamps' span, once read: kept up to date by this process's appends and deletes, and checked
   * against the tables (two index-assisted counts) before each use, so rows another process wrote outside
   * it (a `replay --remember` beside the agent) bring a full re-read. Re-reading every stamp at each
   * maintenance run cost a transient ~10 MiB per table per week of store, growing with the store.
   */
  #known: Span | undefined;
  /**
   * Moments this process appended that the indexes may not cover yet, as stored (fp16-rounded), and
   * whether every other row is covered (`#fastReady`: set by this process's first completed maintenance).
   * Every append is a small fragment until the next compaction, and LanceDB pays per fragment on each query:
   * 120 of them (a minute of the agent's flushes) took a week's search from 38 to 198 ms p50. Once ready,
   * searches read only indexed data (`fastSearch`) and add these rows from memory.
   */
  readonly #recent = new Map<StampNs, StoredMoment>();
  #fastReady = false;

  private constructor(db: lancedb.Connection, session: lancedb.Session, options: LanceRecallStoreOptions) {
    this.#db = db;
    this.#session = session;
    this.dir = options.dir;
    this.modelId = options.modelId;
    this.dim = options.dim;
    const { indexMinRows = 100_000, rowsPerPartition = 4096, minPartitions = 256, nprobes = 16, refineFactor = 0, keepVersionsSeconds = 60 } = options;
    this.#o = { indexMinRows, rowsPerPartition, minPartitions, nprobes, refineFactor, keepVersionsSeconds };
    this.#schema = new arrow.Schema([
      new arrow.Field('stamp', new arrow.Int64(), false),
      new arrow.Field('present', new arrow.Int32(), false),
      new arrow.Field('clip', new arrow.Utf8(), true),
      new arrow.Field('vector', new arrow.FixedSizeList(options.dim, new arrow.Field('item', new arrow.Float16(), true)), false),
    ]);
  }

  /** Opens (or creates) the store in `options.dir`; refuses a store written by another model. */
  static async open(options: LanceRecallStoreOptions): Promise<LanceRecallStore> {
    const { dir, create = true } = options;
    const metaPath = join(dir, META);
    const meta = await readMeta(metaPath);
    if (meta === undefined) {
      if (!create) throw new SensebindError('INPUT', `recall store ${dir}: no ${META} there (write one with \`sensebind replay <bag> --remember ${dir}\` or recall.dir in run)`);
      await mkdir(dir, { recursive: true });
      const fresh: Meta = { v: 1, modelId: options.modelId, dim: options.dim, created: new Date().toISOString() };
      // Written aside and renamed: a crash leaves either no meta or a whole one.
      await writeAtomically(metaPath, `${JSON.stringify(fresh, null, 2)}\n`);
    } else if (meta.modelId !== options.modelId || meta.dim !== options.dim) {
      throw new SensebindError(
        'INPUT',
        `recall store ${dir}: written by model "${meta.modelId}" (dim ${meta.dim}), but the model loaded is "${options.modelId}" (dim ${options.dim}); use that model or another store folder`,
      );
    }
    const lance = await loadLance();
    const cache = options.cacheMiB ?? { index: 512, metadata: 64 };
    const session = new lance.Session(BigInt(cache.index * 2 ** 20), BigInt(cache.metadata * 2 ** 20));
    // The session goes in the options: LanceDB 0.31's connect(uri, options, session) drops a third
    // argument that is a Session, and the tables then share a default session (6 GiB + 1 GiB caps) that
    // grew the agent's RSS to 1.2 GiB over a week's build. test/recall/lance-store.test.ts checks the caps hold.
    const db = await lance.connect(dir, { session, readConsistencyInterval: options.consistencySeconds ?? 5 });
    const store = new LanceRecallStore(db, session, options);
    store.#indexMeta = await readIndexMeta(join(dir, INDEX_META));
    const names = new Set(await db.tableNames());
    for (const m of SENSOR_MODALITIES) {
      if (!names.has(m) || !(await committed(join(dir, `${m}.lance`)))) continue;
      const t = await db.openTable(m);
      store.#tables.set(m, t);
      if ((await t.listIndices()).some((i) => i.columns.includes('vector'))) store.#indexed.add(m);
    }
    return store;
  }

  async #table(m: SensorModality): Promise<lancedb.Table> {
    let t = this.#tables.get(m);
    if (t === undefined) {
      t = await this.#db.createEmptyTable(m, this.#schema, { existOk: true });
      this.#tables.set(m, t);
    }
    return t;
  }

  async append(moments: readonly RecallMoment[]): Promise<void> {
    if (moments.length === 0) return;
    const byModality = new Map<SensorModality, RecallMoment[]>();
    const masks = new Map<RecallMoment, number>();
    for (const mo of moments) {
      const present = SENSOR_MODALITIES.filter((m) => mo.vectors[m] !== undefined);
      masks.set(mo, modalityMask(present));
      for (const m of present) {
        const v = mo.vectors[m] as Float32Array;
        if (v.length !== this.dim) throw new SensebindError('INPUT', `recall store ${this.dir}: ${m} vector at ${mo.stamp} has ${v.length} values, the store holds dim ${this.dim}`);
        let list = byModality.get(m);
        if (list === undefined) byModality.set(m, (list = []));
        list.push(mo);
      }
    }
    // One commit per modality, the modalities' commits concurrent (an append takes the slowest commit, not
    // the sum of four): a crash between them leaves a moment with fewer modalities than it had (search
    // treats the rest as absent), never a torn row.
    await Promise.all([...byModality].map(async ([m, list]) => (await this.#table(m)).add(this.#batch(m, list, masks))));
    this.#stats.appends++;
    for (const mo of moments) {
      const vectors: Partial<Record<SensorModality, Float32Array>> = {};
      for (const m of SENSOR_MODALITIES) if (mo.vectors[m] !== undefined) vectors[m] = halfToFloat32(float32ToHalf(mo.vectors[m]));
      this.#recent.set(mo.stamp, { stamp: mo.stamp, present: maskModalities(masks.get(mo) as number), vectors, clip: mo.clip ?? null });
    }
    // A store whose maintenance keeps failing stops serving recent rows from memory rather than grow.
    if (this.#recent.size > MAX_RECENT) {
      this.#recent.clear();
      this.#fastReady = false;
    }
    if (this.#known !== undefined) {
      for (const mo of moments) {
        if (mo.stamp < this.#known.oldest) this.#known.oldest = mo.stamp;
        if (mo.stamp > this.#known.newest) this.#known.newest = mo.stamp;
      }
    }
  }

  /** One modality's rows as an Arrow table: stamps, masks, clips, and every vector's fp16 bits in one buffer. */
  #batch(m: SensorModality, list: readonly RecallMoment[], masks: Map<RecallMoment, number>): arrowTypes.Table {
    const n = list.length;
    const dim = this.dim;
    const stamps = new BigInt64Array(n);
    const present = new Int32Array(n);
    const halves = new Uint16Array(n * dim);
    const clips: (string | null)[] = new Array(n);
    list.forEach((mo, i) => {
      stamps[i] = mo.stamp;
      present[i] = masks.get(mo) as number;
      clips[i] = mo.clip ?? null;
      halves.set(float32ToHalf(mo.vectors[m] as Float32Array), i * dim);
    });
    const fields = this.#schema.fields;
    const vectorType = fields[3]!.type as arrowTypes.FixedSizeList;
    const children = [
      arrow.makeData({ type: new arrow.Int64(), length: n, data: stamps }),
      arrow.makeData({ type: new arrow.Int32(), length: n, data: present }),
      arrow.vectorFromArray(clips, new arrow.Utf8()).data[0] as arrowTypes.Data<arrowTypes.Utf8>,
      arrow.makeData({ type: vectorType, length: n, child: arrow.makeData({ type: new arrow.Float16(), length: n * dim, data: halves }) }),
    ];
    const struct = arrow.makeData({ type: new arrow.Struct(fields), length: n, children });
    return new arrow.Table(this.#schema, [new arrow.RecordBatch(this.#schema, struct)]);
  }

  async nearest(modality: SensorModality, vector: Float32Array, k: number, range: TimeRange = {}, options: NearestOptions = {}): Promise<RecallHit[]> {
    const t = this.#tables.get(modality);
    if (t === undefined || k <= 0) return [];
    let q = t
      .vectorSearch(Array.from(vector))
      .distanceType('cosine')
      .limit(k)
      .select(options.withVectors === true ? ['stamp', 'vector', '_distance'] : ['stamp', '_distance']);
    // A time range filters before the vector search (LanceDB's default prefilter; the stamp column has a
    // B-tree index once the table is indexed), so a narrow range still returns k rows from inside it.
    const where = rangeWhere(range);
    if (where !== undefined) q = q.where(where);
    const fast = this.#fast(modality) && options.exact !== true;
    if (options.exact === true) q = q.bypassVectorIndex();
    else if (this.#indexed.has(modality)) {
      q = q.nprobes(this.#o.nprobes);
      if (this.#o.refineFactor > 0) q = q.refineFactor(this.#o.refineFactor);
      if (fast) q = q.fastSearch();
    }
    const table = (await q.toArrow()) as unknown as arrowTypes.Table;
    const hits: RecallHit[] = [];
    for (const batch of table.batches) {
      const stamps = batch.getChild('stamp');
      const distances = batch.getChild('_distance');
      if (stamps === null || distances === null) continue;
      for (let r = 0; r < batch.numRows; r++) hits.push({ stamp: BigInt(stamps.get(r) as bigint), modality, cosine: 1 - (distances.get(r) as number) });
      const vec = batch.getChild('vector');
      if (vec === null) continue;
      const first = hits.length - batch.numRows;
      eachVector(vec.data, this.dim, (r, v) => ((hits[first + r] as RecallHit).vector = v));
    }
    if (!fast) return hits;
    const seen = new Set(hits.map((h) => h.stamp));
    for (const mo of this.#recent.values()) {
      const v = mo.vectors[modality];
      if (v === undefined || seen.has(mo.stamp) || (range.since !== undefined && mo.stamp < range.since) || (range.until !== undefined && mo.stamp > range.until)) continue;
      hits.push({ stamp: mo.stamp, modality, cosine: cosine(vector, v), ...(options.withVectors === true ? { vector: v } : {}) });
    }
    return hits.sort((a, b) => b.cosine - a.cosine).slice(0, k);
  }

  /** Whether a search of `m` may read only indexed data and take the rest from the recent rows. */
  #fast(m: SensorModality): boolean {
    return this.#fastReady && this.#indexed.has(m);
  }

  async moments(stamps: readonly StampNs[]): Promise<StoredMoment[]> {
    const byStamp = new Map<StampNs, StoredMoment>();
    const unique = [...new Set(stamps)];
    // The modalities' lookups run concurrently in LanceDB's threads; results are merged in one order.
    const reads = [...this.#tables].flatMap(([m, t]) => {
      const fast = this.#fast(m);
      const wanted = fast ? unique.filter((s) => !this.#recent.has(s)) : unique;
      const out: Promise<[SensorModality, arrowTypes.Table]>[] = [];
      for (let i = 0; i < wanted.length; i += LOOKUP_CHUNK) {
        const list = wanted.slice(i, i + LOOKUP_CHUNK).join(', ');
        let q = t.query().where(`stamp IN (${list})`).select(['stamp', 'present', 'clip', 'vector']);
        if (fast) q = q.fastSearch();
        out.push(q.toArrow().then((table) => [m, table as unknown as arrowTypes.Table]));
      }
      return out;
    });
    for (const [m, table] of await Promise.all(reads)) this.#collect(m, table, byStamp);
    // Recent rows of fast-searched tables come from memory (their other tables' rows, if any, were read above).
    for (const s of unique) {
      const mo = this.#recent.get(s);
      if (mo === undefined) continue;
      for (const m of mo.present) {
        if (!this.#fast(m)) continue;
        const into = byStamp.get(s) ?? { stamp: s, present: mo.present, vectors: {}, clip: mo.clip };
        into.vectors[m] = mo.vectors[m] as Float32Array;
        byStamp.set(s, into);
      }
    }
    return [...byStamp.values()].sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
  }

  async momentNear(stamp: StampNs, toleranceNs: bigint): Promise<StoredMoment | undefined> {
    const byStamp = new Map<StampNs, StoredMoment>();
    for (const [m, t] of this.#tables) {
      const table = await t
        .query()
        .where(`stamp >= ${stamp - toleranceNs} AND stamp <= ${stamp + toleranceNs}`)
        .select(['stamp', 'present', 'clip', 'vector'])
        .toArrow();
      this.#collect(m, table as unknown as arrowTypes.Table, byStamp);
    }
    let best: StoredMoment | undefined;
    for (const mo of byStamp.values()) if (best === undefined || abs(mo.stamp - stamp) < abs(best.stamp - stamp)) best = mo;
    return best;
  }

  /** Adds the rows of one modality's result table to `byStamp`. */
  #collect(m: SensorModality, table: arrowTypes.Table, byStamp: Map<StampNs, StoredMoment>): void {
    const dim = this.dim;
    for (const batch of table.batches) {
      const stamps = batch.getChild('stamp');
      const present = batch.getChild('present');
      const clip = batch.getChild('clip');
      const vec = batch.getChild('vector');
      if (stamps === null || present === null || clip === null || vec === null) continue;
      eachVector(vec.data, dim, (r, v) => {
        const stamp = BigInt(stamps.get(r) as bigint);
        let mo = byStamp.get(stamp);
        if (mo === undefined) {
          const mask = present.get(r) as number;
          mo = { stamp, present: maskModalities(mask), vectors: {}, clip: (clip.get(r) as string | null) ?? null };
          byStamp.set(stamp, mo);
        }
        mo.vectors[m] = v;
      });
    }
  }

  async maintain(limits: RetentionLimits): Promise<RetentionResult> {
    // Rows committed before this run are compacted and indexed by it; later ones stay recent.
    const covered = [...this.#recent.keys()];
    const result = await this.#maintain(limits);
    for (const stamp of covered) this.#recent.delete(stamp);
    this.#fastReady = true;
    return result;
  }

  async #maintain(limits: RetentionLimits): Promise<RetentionResult> {
    const span = await this.#span();
    if (span === undefined) return { droppedRows: 0, reason: 'none', indexBuilds: [] };
    let dropped = 0;
    let reason: RetentionResult['reason'] = 'none';
    const ageCut = Number.isFinite(limits.maxAgeSeconds) ? span.newest - BigInt(Math.round(limits.maxAgeSeconds * 1e9)) : undefined;
    if (ageCut !== undefined && span.oldest < ageCut) {
      const n = await this.#deleteBefore(ageCut);
      this.#stats.droppedByAge += n;
      dropped += n;
      if (n > 0) reason = 'age';
      await this.#compact(0);
    } else {
      await this.#compact(this.#o.keepVersionsSeconds);
    }
    // Size: drop the oldest slice in proportion to the excess (rows arrive at a steady rate), compact and
    // free, and repeat a few times, since compaction overheads make one estimate inexact.
    for (let round = 0; round < 4; round++) {
      const bytes = await dirBytes(this.dir);
      if (bytes <= limits.maxBytes) break;
      const now = await this.#span();
      if (now === undefined) break;
      const fraction = Math.min(1, (bytes - 0.9 * limits.maxBytes) / bytes);
      const cut = now.oldest + BigInt(Math.ceil(Number(now.newest - now.oldest) * fraction)) + 1n;
      const n = await this.#deleteBefore(cut);
      this.#stats.droppedBySize += n;
      dropped += n;
      if (n > 0) reason = 'size';
      await this.#compact(0);
    }
    const indexBuilds = await this.#index();
    return { droppedRows: dropped, reason, indexBuilds };
  }

  async #deleteBefore(cut: StampNs): Promise<number> {
    let n = 0;
    for (const t of this.#tables.values()) {
      const before = await t.countRows(`stamp < ${cut}`);
      if (before === 0) continue;
      await t.delete(`stamp < ${cut}`);
      n += before;
    }
    for (const stamp of this.#recent.keys()) if (stamp < cut) this.#recent.delete(stamp);
    // Also when nothing was deleted: another process may have removed the rows the cached span starts at.
    if (this.#known !== undefined && this.#known.oldest < cut) this.#known = await this.#oldestFrom(cut, this.#known.newest);
    return n;
  }

  /**
   * The span after deleting everything before `cut`: the first stamp at or after it, looked up in windows
   * that widen from a minute (rows arrive at about 2 Hz, so the first window almost always holds it).
   */
  async #oldestFrom(cut: StampNs, newest: StampNs): Promise<Span | undefined> {
    for (const widthS of [60, 3600, 86_400, Infinity]) {
      const hi = widthS === Infinity ? '' : ` AND stamp < ${cut + BigInt(widthS * 1e9)}`;
      let oldest: StampNs | undefined;
      for (const t of this.#tables.values()) {
        const s = minMax((await t.query().where(`stamp >= ${cut}${hi}`).select(['stamp']).toArrow()) as unknown as arrowTypes.Table);
        if (s !== undefined && (oldest === undefined || s.oldest < oldest)) oldest = s.oldest;
      }
      if (oldest !== undefined) return { oldest, newest };
    }
    return undefined;
  }

  /** Compaction, index update for new rows, and removal of versions older than `keepSeconds`. */
  async #compact(keepSeconds: number): Promise<void> {
    for (const t of this.#tables.values()) {
      await t.optimize({ cleanupOlderThan: new Date(Date.now() - keepSeconds * 1000) });
    }
  }

  /**
   * Builds the vector index of a modality once it holds enough rows to train one, and retrains it when
   * the table has outgrown it: rows appended after a build join the index's existing partitions at each
   * compaction (no retraining). The first index gets at least 256 partitions (~4,700 rows each after a
   * week at 2 Hz), so one build per modality serves the first weeks; it is retrained once 4x as many
   * partitions of `rowsPerPartition` rows are due (~4.2 million rows, 24 days at 2 Hz). Each build
   * trains on a sample, so its cost barely grows with the table, and each row is PQ-encoded once (at the
   * build, or when a compaction adds it). The old index answers queries until the new one commits; a
   * kill -9 mid-build leaves the old one.
   */
  async #index(): Promise<IndexBuild[]> {
    const builds: IndexBuild[] = [];
    for (const [m, t] of this.#tables) {
      const rows = await t.countRows();
      if (rows < this.#o.indexMinRows) continue;
      const indices = await t.listIndices();
      if (!indices.some((i) => i.columns.includes('stamp'))) await t.createIndex('stamp', { config: (await loadLance()).Index.btree() });
      const want = Math.max(this.#o.minPartitions, Math.min(4096, Math.round(rows / this.#o.rowsPerPartition)));
      const hasIndex = indices.some((i) => i.columns.includes('vector'));
      // An index without a record (a kill between its commit and index.json, or an older store) is kept as it is.
      const have = this.#indexMeta[m]?.partitions ?? (hasIndex ? want : 0);
      if (hasIndex && want < 4 * have) {
        this.#indexed.add(m);
        continue;
      }
      const numSubVectors = this.dim % 8 === 0 ? this.dim / 8 : this.dim % 4 === 0 ? this.dim / 4 : 1;
      const t0 = performance.now();
      // Fewer training samples and k-means rounds than LanceDB's defaults (256 per partition, 50): on a
      // robot's CPU the index is built while the agent runs, and consecutive snapshots are near-duplicates.
      await t.createIndex('vector', {
        config: (await loadLance()).Index.ivfPq({ numPartitions: want, numSubVectors, distanceType: 'cosine', sampleRate: 64, maxIterations: 20 }),
        replace: true,
      });
      const seconds = (performance.now() - t0) / 1000;
      this.#indexed.add(m);
      this.#indexMeta[m] = { partitions: want, rows, seconds: Math.round(seconds * 10) / 10, built: new Date().toISOString() };
      await writeAtomically(join(this.dir, INDEX_META), `${JSON.stringify(this.#indexMeta, null, 2)}\n`);
      builds.push({ modality: m, rows, partitions: want, seconds, rebuild: hasIndex });
    }
    return builds;
  }

  async #span(): Promise<Span | undefined> {
    const k = this.#known;
    if (k !== undefined) {
      let outside = false;
      for (const t of this.#tables.values()) {
        if ((await t.countRows(`stamp < ${k.oldest} OR stamp > ${k.newest}`)) === 0) continue;
        outside = true;
        break;
      }
      if (!outside) return { ...k };
    }
    let span: Span | undefined;
    for (const t of this.#tables.values()) {
      const s = minMax((await t.query().select(['stamp']).toArrow()) as unknown as arrowTypes.Table);
      if (s === undefined) continue;
      span = span === undefined ? s : { oldest: s.oldest < span.oldest ? s.oldest : span.oldest, newest: s.newest > span.newest ? s.newest : span.newest };
    }
    this.#known = span === undefined ? undefined : { ...span };
    return span;
  }

  async stats(): Promise<RecallStoreStats> {
    const rows: Partial<Record<SensorModality, number>> = {};
    const indexed: Partial<Record<SensorModality, boolean>> = {};
    for (const [m, t] of this.#tables) {
      rows[m] = await t.countRows();
      indexed[m] = (await t.listIndices()).some((i) => i.columns.includes('vector'));
    }
    const span = await this.#span();
    return { rows, bytes: await dirBytes(this.dir), oldest: span?.oldest, newest: span?.newest, ...this.#stats, indexed };
  }

  cacheBytes(): number {
    return Number(this.#session.sizeBytes());
  }

  async close(): Promise<void> {
    for (const t of this.#tables.values()) t.close();
    this.#tables.clear();
    this.#db.close();
  }
}

interface Span {
  oldest: StampNs;
  newest: StampNs;
}

function minMax(table: arrowTypes.Table): Span | undefined {
  const col = table.getChild('stamp');
  if (col === null) return undefined;
  let oldest: StampNs | undefined;
  let newest: StampNs | undefined;
  for (const data of col.data) {
    const values = data.values as BigInt64Array;
    for (let i = data.offset; i < data.offset + data.length; i++) {
      const s = values[i] as bigint;
      if (oldest === undefined || s < oldest) oldest = s;
      if (newest === undefined || s > newest) newest = s;
    }
  }
  return oldest === undefined || newest === undefined ? undefined : { oldest, newest };
}

async function readMeta(path: string): Promise<Meta | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SensebindError('IO', `recall store: cannot read ${path}: ${errorMessage(err)}`);
  }
  let meta: Partial<Meta>;
  try {
    meta = JSON.parse(text) as Partial<Meta>;
  } catch (err) {
    throw new SensebindError('INPUT', `recall store: ${path} is not JSON: ${errorMessage(err)}`);
  }
  if (meta.v !== 1 || typeof meta.modelId !== 'string' || typeof meta.dim !== 'number') {
    throw new SensebindError('INPUT', `recall store: ${path}: expected {"v":1,"modelId":string,"dim":number}, got ${text.trim().slice(0, 120)}`);
  }
  return meta as Meta;
}

/**
 * Whether a table folder holds a committed version. A kill -9 while LanceDB creates a table (the first
 * append of a new store) can leave its folder without one; LanceDB lists such a table but cannot open it,
 * and the store would never open again. It holds no rows, so it is treated as absent, and the next
 * append creates it over the remains.
 */
async function committed(tableDir: string): Promise<boolean> {
  try {
    return (await readdir(join(tableDir, '_versions'))).some((f) => f.endsWith('.manifest'));
  } catch {
    return false;
  }
}

/** Written aside and renamed: a crash leaves the old file or the new one, never half of one. */
async function writeAtomically(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** index.json, or nothing when it is missing or unreadable (the indexes are then taken as they are). */
async function readIndexMeta(path: string): Promise<IndexMeta> {
  try {
    const value = JSON.parse(await readFile(path, 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as IndexMeta) : {};
  } catch {
    return {};
  }
}

function rangeWhere(range: TimeRange): string | undefined {
  const parts: string[] = [];
  if (range.since !== undefined) parts.push(`stamp >= ${range.since}`);
  if (range.until !== undefined) parts.push(`stamp <= ${range.until}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

/** Each row's vector of a FixedSizeList<Float16> column (the child holds the raw half bits, dim per row). */
function eachVector(chunks: readonly arrowTypes.Data[], dim: number, onRow: (row: number, vector: Float32Array) => void): void {
  let row = 0;
  for (const data of chunks) {
    const child = data.children[0] as arrowTypes.Data<arrowTypes.Float16>;
    const bits = child.values as Uint16Array;
    for (let r = 0; r < data.length; r++, row++) {
      const start = child.offset + (data.offset + r) * dim;
      onRow(row, halfToFloat32(bits.subarray(start, start + dim)));
    }
  }
}

function abs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

/** Bytes of every file under `dir` (the store's disk use, what the size limit bounds). */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += await stat(p).then((s) => s.size, () => 0);
  }
  return total;
}
