/**
 * The recall store on LanceDB (embedded, columnar, on local disk; docs/recall.md says why it was chosen
 * over better-sqlite3 + sqlite-vec). Two Lance tables per modality, one row per embedded snapshot:
 *   stamp int64 (agent-clock ns), present int32 (bit mask of the snapshot's modalities),
 *   clip utf8 (nullable), vector fixed_size_list<float16>[dim]
 * fp16 halves the disk per day; search quality with fp16 is measured in bench/recall.mjs.
 *
 * Appends land in the modality's small recent table (`<m>-recent`); `maintain` moves them into the main
 * table (`<m>`, indexed) once `rollRows` have gathered. The split is for the flash: Lance's compaction
 * merges every fragment under a million rows with its neighbours, so compacting one table each minute
 * rewrote the main table's whole last fragment (up to ~270 MB per modality, a week's store: 4 x 43 MB a
 * minute) with each minute's rows. Now each minute rewrites the recent table (at most `rollRows` rows)
 * and the main table's last fragment is rewritten once per roll (docs/recall.md, "Writes to disk").
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
import { FileLock } from '../memory/file-lock.js';
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
  /**
   * Rows a modality's recent table gathers before `maintain` moves them into its main table (about an hour
   * at 2 Hz). Each minute's compaction rewrites the recent table, each roll the main table's last
   * fragment; the sum of both is least near an hour. The recent rows are also held in memory for search
   * (fp32: ~15 MiB at 4 modalities). @default 7200
   */
  rollRows?: number;
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
/** A modality's recent table (appends; moved into the table named for the modality by `maintain`). */
const recentName = (m: SensorModality): string => `${m}-recent`;
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
/** The columns of a whole row (what `#collect` reads). */
const ROW_COLUMNS = ['stamp', 'present', 'clip', 'vector'];
/** `<dir>/roll.lock` is held for the length of a roll (memory/file-lock.ts: pid, host, refreshed mtime). */
const ROLL_LOCK = 'roll';
/** Rows per `IN (...)` lookup: long enough to amortise a scan, short enough for the SQL parser. */
const LOOKUP_CHUNK = 2000;

export class LanceRecallStore implements RecallStore {
  readonly dir: string;
  readonly modelId: string;
  readonly dim: number;
  readonly #db: lancedb.Connection;
  readonly #session: lancedb.Session;
  readonly #o: Required<Omit<LanceRecallStoreOptions, 'dir' | 'modelId' | 'dim' | 'create' | 'cacheMiB' | 'consistencySeconds'>>;
  /** Each modality's main table (indexed; rows arrive in rolls) and recent table (appends). */
  readonly #tables = new Map<SensorModality, lancedb.Table>();
  readonly #recentTables = new Map<SensorModality, lancedb.Table>();
  /** The main tables' versions after this process last optimized them (another version needs optimizing). */
  readonly #optimized = new Map<SensorModality, number>();
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
   * The recent tables' rows as stored (fp16-rounded), read at the end of each maintenance run plus this
   * process's appends since (`#pending` collects those made during a run); undefined until the first run,
   * or when it outgrew its cap (a maintenance that keeps failing), and the recent tables are then read
   * from disk. Every append is a small fragment until the next compaction, and LanceDB pays per fragment
   * on each query: 120 of them (a minute of the agent's flushes) took a week's search from 38 to 198 ms
   * p50. With the mirror, searches of an indexed main table read only indexed data (`fastSearch`, once
   * `#fastReady`: this process's maintenance has indexed what it holds) and take the recent rows from memory.
   */
  #mirror: Map<StampNs, StoredMoment> | undefined;
  #pending: Map<StampNs, StoredMoment> | undefined;
  #fastReady = false;

  private constructor(db: lancedb.Connection, session: lancedb.Session, options: LanceRecallStoreOptions) {
    this.#db = db;
    this.#session = session;
    this.dir = options.dir;
    this.modelId = options.modelId;
    this.dim = options.dim;
    const { indexMinRows = 100_000, rowsPerPartition = 4096, minPartitions = 256, nprobes = 16, refineFactor = 0, keepVersionsSeconds = 60, rollRows = 7200 } = options;
    this.#o = { indexMinRows, rowsPerPartition, minPartitions, nprobes, refineFactor, keepVersionsSeconds, rollRows };
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
      if (names.has(recentName(m)) && (await committed(join(dir, `${recentName(m)}.lance`)))) store.#recentTables.set(m, await db.openTable(recentName(m)));
      if (!names.has(m) || !(await committed(join(dir, `${m}.lance`)))) continue;
      const t = await db.openTable(m);
      store.#tables.set(m, t);
      if ((await t.listIndices()).some((i) => i.columns.includes('vector'))) store.#indexed.add(m);
    }
    return store;
  }

  async #table(tables: Map<SensorModality, lancedb.Table>, m: SensorModality, name: string): Promise<lancedb.Table> {
    let t = tables.get(m);
    if (t === undefined) {
      t = await this.#db.createEmptyTable(name, this.#schema, { existOk: true });
      tables.set(m, t);
    }
    return t;
  }

  /** Every table, main and recent. */
  #allTables(): lancedb.Table[] {
    return [...this.#tables.values(), ...this.#recentTables.values()];
  }

  /** The in-memory copy of the recent rows holds at most this many moments (else it is dropped). */
  get #mirrorCap(): number {
    return Math.max(10_000, 2 * this.#o.rollRows);
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
    await Promise.all([...byModality].map(async ([m, list]) => (await this.#table(this.#recentTables, m, recentName(m))).add(this.#batch(m, list, masks))));
    this.#stats.appends++;
    if (this.#mirror !== undefined || this.#pending !== undefined) {
      for (const mo of moments) {
        const vectors: Partial<Record<SensorModality, Float32Array>> = {};
        for (const m of SENSOR_MODALITIES) if (mo.vectors[m] !== undefined) vectors[m] = halfToFloat32(float32ToHalf(mo.vectors[m]));
        const stored: StoredMoment = { stamp: mo.stamp, present: maskModalities(masks.get(mo) as number), vectors, clip: mo.clip ?? null };
        this.#mirror?.set(mo.stamp, stored);
        this.#pending?.set(mo.stamp, stored);
      }
      // A store whose maintenance keeps failing reads its recent rows from disk rather than grow.
      if ((this.#mirror?.size ?? 0) > this.#mirrorCap) this.#mirror = undefined;
      if ((this.#pending?.size ?? 0) > this.#mirrorCap) this.#pending = undefined;
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
    if (k <= 0) return [];
    const main = this.#tables.get(modality);
    const recent = this.#recentTables.get(modality);
    const [fromMain, fromRecent] = await Promise.all([
      main === undefined ? [] : this.#search(main, modality, vector, k, range, options, this.#indexed.has(modality), this.#fast(modality)),
      this.#mirror !== undefined
        ? this.#searchMirror(this.#mirror, modality, vector, range, options)
        : recent === undefined
          ? []
          : this.#search(recent, modality, vector, k, range, options, false, false),
    ]);
    // A moment is in both tables only between a roll's copy and its delete (or after a kill between them).
    const seen = new Set<StampNs>();
    return [...fromMain, ...fromRecent]
      .filter((h) => !seen.has(h.stamp) && seen.add(h.stamp))
      .sort((a, b) => b.cosine - a.cosine)
      .slice(0, k);
  }

  async #search(t: lancedb.Table, modality: SensorModality, vector: Float32Array, k: number, range: TimeRange, options: NearestOptions, indexed: boolean, fast: boolean): Promise<RecallHit[]> {
    let q = t
      .vectorSearch(Array.from(vector))
      .distanceType('cosine')
      .limit(k)
      .select(options.withVectors === true ? ['stamp', 'vector', '_distance'] : ['stamp', '_distance']);
    // A time range filters before the vector search (LanceDB's default prefilter; the stamp column has a
    // B-tree index once the table is indexed), so a narrow range still returns k rows from inside it.
    const where = rangeWhere(range);
    if (where !== undefined) q = q.where(where);
    if (options.exact === true) q = q.bypassVectorIndex();
    else if (indexed) {
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
    return hits;
  }

  /** Every recent row of `modality` in `range`, scored exactly (the caller keeps the best k). */
  #searchMirror(mirror: Map<StampNs, StoredMoment>, modality: SensorModality, vector: Float32Array, range: TimeRange, options: NearestOptions): RecallHit[] {
    const hits: RecallHit[] = [];
    for (const mo of mirror.values()) {
      const v = mo.vectors[modality];
      if (v === undefined || (range.since !== undefined && mo.stamp < range.since) || (range.until !== undefined && mo.stamp > range.until)) continue;
      hits.push({ stamp: mo.stamp, modality, cosine: cosine(vector, v), ...(options.withVectors === true ? { vector: v } : {}) });
    }
    return hits;
  }

  /** Whether a search of `m`'s main table may read only indexed data. */
  #fast(m: SensorModality): boolean {
    return this.#fastReady && this.#indexed.has(m);
  }

  async moments(stamps: readonly StampNs[]): Promise<StoredMoment[]> {
    const byStamp = new Map<StampNs, StoredMoment>();
    const unique = [...new Set(stamps)];
    const mirror = this.#mirror;
    const tables: [SensorModality, lancedb.Table, boolean][] = [...this.#tables].map(([m, t]) => [m, t, this.#fast(m)]);
    if (mirror === undefined) for (const [m, t] of this.#recentTables) tables.push([m, t, false]);
    // The lookups run concurrently in LanceDB's threads; results are merged in one order.
    const reads = tables.flatMap(([m, t, fast]) => {
      const out: Promise<[SensorModality, arrowTypes.Table]>[] = [];
      for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) {
        const list = unique.slice(i, i + LOOKUP_CHUNK).join(', ');
        let q = t.query().where(`stamp IN (${list})`).select(ROW_COLUMNS);
        if (fast) q = q.fastSearch();
        out.push(q.toArrow().then((table) => [m, table as unknown as arrowTypes.Table]));
      }
      return out;
    });
    for (const [m, table] of await Promise.all(reads)) this.#collect(m, table, byStamp);
    if (mirror !== undefined) {
      for (const s of unique) {
        const mo = mirror.get(s);
        if (mo === undefined) continue;
        const into = byStamp.get(s) ?? { stamp: s, present: mo.present, vectors: {}, clip: mo.clip };
        for (const m of mo.present) if (mo.vectors[m] !== undefined) into.vectors[m] = mo.vectors[m];
        byStamp.set(s, into);
      }
    }
    return [...byStamp.values()].sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
  }

  async momentNear(stamp: StampNs, toleranceNs: bigint): Promise<StoredMoment | undefined> {
    const byStamp = new Map<StampNs, StoredMoment>();
    for (const [m, t] of [...this.#tables, ...this.#recentTables]) {
      const table = await t
        .query()
        .where(`stamp >= ${stamp - toleranceNs} AND stamp <= ${stamp + toleranceNs}`)
        .select(ROW_COLUMNS)
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
    const pending = new Map<StampNs, StoredMoment>();
    this.#pending = pending;
    try {
      const result = await this.#maintain(limits);
      // The recent rows as they are now, plus what was appended while the run read them.
      const mirror = new Map<StampNs, StoredMoment>();
      for (const [m, t] of this.#recentTables) this.#collect(m, await readAll(t), mirror);
      for (const [stamp, mo] of pending) mirror.set(stamp, mo);
      this.#mirror = this.#pending === pending && mirror.size <= this.#mirrorCap ? mirror : undefined;
      this.#fastReady = true;
      return result;
    } finally {
      this.#pending = undefined;
    }
  }

  async #maintain(limits: RetentionLimits): Promise<RetentionResult> {
    const span = await this.#span();
    if (span === undefined) return { droppedRows: 0, reason: 'none', indexBuilds: [] };
    let dropped = 0;
    let reason: RetentionResult['reason'] = 'none';
    const ageCut = Number.isFinite(limits.maxAgeSeconds) ? span.newest - BigInt(Math.round(limits.maxAgeSeconds * 1e9)) : undefined;
    // Age retention waits until the oldest row is a 24th of the age limit past it (an hour at 30 days),
    // then cuts exactly at the limit: any change to a main table makes its next compaction rewrite the
    // table's last fragment, and deleting a minute's rows every minute would do that every minute.
    const ageSlack = ageCut === undefined ? 0n : BigInt(Math.round((limits.maxAgeSeconds / 24) * 1e9));
    if (ageCut !== undefined && span.oldest < ageCut - ageSlack) {
      const n = await this.#deleteBefore(ageCut);
      this.#stats.droppedByAge += n;
      dropped += n;
      if (n > 0) reason = 'age';
      await this.#compact(this.#allTables(), 0);
    }
    const rolled = await this.#rollIfDue();
    await this.#compact([...this.#recentTables.values()], this.#o.keepVersionsSeconds);
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
      await this.#compact(this.#allTables(), 0);
    }
    // A main table changed since this process last optimized it (a roll, a delete, another process, or a
    // first run) is compacted and its index brought up to date; an unchanged one is left alone.
    for (const [m, t] of this.#tables) if ((await t.version()) !== this.#optimized.get(m)) await this.#compact([t], this.#o.keepVersionsSeconds);
    const indexBuilds = await this.#index();
    return { droppedRows: dropped, reason, indexBuilds, ...(rolled > 0 ? { rolledRows: rolled } : {}) };
  }

  /**
   * Moves every recent row into the main tables once a modality's recent table holds `rollRows`. Copies
   * first (leaving out stamps the main table already holds, so a kill between copy and delete, or another
   * process rolling the same rows, adds nothing twice), then deletes exactly the copied stamps from the
   * recent table, so a row another process appended meanwhile stays. Returns the rows moved.
   */
  async #rollIfDue(): Promise<number> {
    let due = false;
    for (const t of this.#recentTables.values()) if ((await t.countRows()) >= this.#o.rollRows) due = true;
    if (!due) return 0;
    // Two writers of one store (the agent and a `replay --remember`) rolling at the same moment would each
    // copy the rows the other has not committed yet: one rolls, the other leaves it to the next run.
    const lock = await FileLock.tryAcquire(join(this.dir, ROLL_LOCK));
    if (lock === undefined) return 0;
    try {
      return await this.#roll();
    } finally {
      await lock.release();
    }
  }

  async #roll(): Promise<number> {
    let moved = 0;
    for (const [m, recent] of this.#recentTables) {
      const table = await readAll(recent);
      const span = minMax(table);
      if (span === undefined) continue;
      const rows = new Map<StampNs, StoredMoment>();
      this.#collect(m, table, rows);
      const stamps = [...rows.keys()];
      const main = await this.#table(this.#tables, m, m);
      const held = (await main.query().where(`stamp >= ${span.oldest} AND stamp <= ${span.newest}`).select(['stamp']).toArrow()) as unknown as arrowTypes.Table;
      const have = new Set<StampNs>();
      eachStamp(held, (s) => have.add(s));
      const masks = new Map<RecallMoment, number>();
      const list: RecallMoment[] = [];
      for (const mo of rows.values()) {
        if (have.has(mo.stamp)) continue;
        const r: RecallMoment = { stamp: mo.stamp, vectors: { [m]: mo.vectors[m] }, ...(mo.clip !== null ? { clip: mo.clip } : {}) };
        masks.set(r, modalityMask(mo.present));
        list.push(r);
      }
      if (list.length > 0) await main.add(this.#batch(m, list, masks));
      for (let i = 0; i < stamps.length; i += LOOKUP_CHUNK) await recent.delete(`stamp IN (${stamps.slice(i, i + LOOKUP_CHUNK).join(', ')})`);
      moved += list.length;
    }
    return moved;
  }

  async #deleteBefore(cut: StampNs): Promise<number> {
    let n = 0;
    for (const t of this.#allTables()) {
      const before = await t.countRows(`stamp < ${cut}`);
      if (before === 0) continue;
      await t.delete(`stamp < ${cut}`);
      n += before;
    }
    for (const map of [this.#mirror, this.#pending]) for (const stamp of map?.keys() ?? []) if (stamp < cut) map?.delete(stamp);
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
      for (const t of this.#allTables()) {
        const s = minMax((await t.query().where(`stamp >= ${cut}${hi}`).select(['stamp']).toArrow()) as unknown as arrowTypes.Table);
        if (s !== undefined && (oldest === undefined || s.oldest < oldest)) oldest = s.oldest;
      }
      if (oldest !== undefined) return { oldest, newest };
    }
    return undefined;
  }

  /** Compaction, index update for new rows, and removal of versions older than `keepSeconds`. */
  async #compact(tables: readonly lancedb.Table[], keepSeconds: number): Promise<void> {
    for (const t of tables) {
      await t.optimize({ cleanupOlderThan: new Date(Date.now() - keepSeconds * 1000) });
      const m = [...this.#tables].find(([, main]) => main === t)?.[0];
      if (m !== undefined) this.#optimized.set(m, await t.version());
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
      this.#optimized.set(m, await t.version());
      builds.push({ modality: m, rows, partitions: want, seconds, rebuild: hasIndex });
      // A build takes minutes on a robot's CPU while appends go on, one fragment each (120 a minute per
      // table), and every append commits a manifest listing all of them: compacting the recent tables
      // after each build keeps that to one build's worth instead of all four.
      await this.#compact([...this.#recentTables.values()], this.#o.keepVersionsSeconds);
    }
    return builds;
  }

  async #span(): Promise<Span | undefined> {
    const k = this.#known;
    if (k !== undefined) {
      let outside = false;
      for (const t of this.#allTables()) {
        if ((await t.countRows(`stamp < ${k.oldest} OR stamp > ${k.newest}`)) === 0) continue;
        outside = true;
        break;
      }
      if (!outside) return { ...k };
    }
    let span: Span | undefined;
    for (const t of this.#allTables()) {
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
    for (const [m, t] of this.#recentTables) {
      rows[m] = (rows[m] ?? 0) + (await t.countRows());
      indexed[m] ??= false;
    }
    const span = await this.#span();
    return { rows, bytes: await dirBytes(this.dir), oldest: span?.oldest, newest: span?.newest, ...this.#stats, indexed };
  }

  cacheBytes(): number {
    return Number(this.#session.sizeBytes());
  }

  async close(): Promise<void> {
    for (const t of this.#allTables()) t.close();
    this.#tables.clear();
    this.#recentTables.clear();
    this.#db.close();
  }
}

interface Span {
  oldest: StampNs;
  newest: StampNs;
}

/** Every row of a table, all columns. */
async function readAll(t: lancedb.Table): Promise<arrowTypes.Table> {
  return (await t.query().select(ROW_COLUMNS).toArrow()) as unknown as arrowTypes.Table;
}

/**
 * Each value of the stamp column, chunk by chunk (none without the column). A callback, not a generator:
 * a full re-read of the span walks a week's stamps (1.2 million per table), 3-4x slower through `yield`.
 */
function eachStamp(table: arrowTypes.Table, onStamp: (stamp: StampNs) => void): void {
  for (const data of table.getChild('stamp')?.data ?? []) {
    const values = data.values as BigInt64Array;
    for (let i = data.offset; i < data.offset + data.length; i++) onStamp(values[i] as bigint);
  }
}

function minMax(table: arrowTypes.Table): Span | undefined {
  let oldest: StampNs | undefined;
  let newest: StampNs | undefined;
  eachStamp(table, (s) => {
    if (oldest === undefined || s < oldest) oldest = s;
    if (newest === undefined || s > newest) newest = s;
  });
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
