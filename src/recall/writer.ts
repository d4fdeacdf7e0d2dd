/**
 * The recall writer: takes every tick's embeddings from the agent (a sink for snapshots rather than
 * events) and appends them to the store in batches, off the tick path.
 *
 * `observe` only copies references into a bounded queue and returns; a timer (every `flushSeconds`) or a
 * full batch starts one append at a time, which runs in the store's native threads. When the store falls
 * behind, the queue drops its oldest moments (counted) instead of growing or slowing the agent: memory is
 * bounded by `maxQueue` moments whatever the disk does. A kill -9 loses what was queued: at most
 * `flushSeconds` plus one append.
 *
 * Retention and indexing (`maintain`) run on their own chain every `maintainSeconds`, so a long index
 * build never holds appends back (Lance commits appends and index builds concurrently).
 */
import { errorMessage } from '../core/errors.js';
import { BoundedQueue } from '../core/bounded-queue.js';
import type { Logger } from '../core/log.js';
import type { SensorModality, SnapshotEmbeddings } from '../core/types.js';
import type { RecallMoment, RecallStore, RetentionLimits } from './moment.js';

export interface RecallWriterOptions {
  store: RecallStore;
  logger: Logger;
  /** Seconds between appends. @default 0.5 */
  flushSeconds?: number;
  /** Moments per append at most. @default 2000 */
  batchSize?: number;
  /** Moments queued at most; beyond, the oldest queued is dropped (counted). @default 20000 */
  maxQueue?: number;
  /** Retention limits applied by `maintain`; none when absent. */
  retention?: RetentionLimits;
  /** Seconds between retention/compaction/index runs; 0 = only on close. @default 60 */
  maintainSeconds?: number;
  /** The recording of a moment (an open event clip, or `<bag>@<s>`), read at `observe` time. */
  clipOf?: (stamp: bigint) => string | undefined;
}

export interface RecallWriterStats {
  observed: number;
  written: number;
  /** Moments dropped because the queue was full (the store fell behind). */
  dropped: number;
  /** Moments lost because an append failed (logged once per message). */
  failed: number;
  queued: number;
  appends: number;
  meanAppendMs: number;
  maintenanceRuns: number;
  maintenanceErrors: number;
  retentionDropped: number;
  /** Rows moved from the recent tables into the main ones (one roll about every hour at 2 Hz). */
  rolledRows: number;
  /** Vector index builds and retrains (each logged), and their time, seconds. */
  indexBuilds: number;
  indexBuildSeconds: number;
  /** The longest maintenance run (retention, compaction, index), seconds; it never holds appends back. */
  maxMaintenanceSeconds: number;
}

export class RecallWriter {
  readonly #store: RecallStore;
  readonly #log: Logger;
  readonly #flushMs: number;
  readonly #batch: number;
  readonly #queue: BoundedQueue<RecallMoment>;
  readonly #retention: RetentionLimits | undefined;
  readonly #maintainMs: number;
  readonly #clipOf: ((stamp: bigint) => string | undefined) | undefined;
  readonly #loggedErrors = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #maintainTimer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  /** A flush tick came since the last append started. */
  #due = false;
  #maintaining: Promise<void> = Promise.resolve();
  #maintainRunning = 0;
  #closed = false;
  #stats = { observed: 0, written: 0, failed: 0, appends: 0, meanAppendMs: 0, maintenanceRuns: 0, maintenanceErrors: 0, retentionDropped: 0, rolledRows: 0, indexBuilds: 0, indexBuildSeconds: 0, maxMaintenanceSeconds: 0 };

  constructor(options: RecallWriterOptions) {
    const { store, logger, flushSeconds = 0.5, batchSize = 2000, maxQueue = 20_000, maintainSeconds = 60 } = options;
    this.#store = store;
    this.#log = logger;
    this.#flushMs = flushSeconds * 1000;
    this.#batch = batchSize;
    this.#queue = new BoundedQueue(maxQueue, 'drop-oldest');
    this.#retention = options.retention;
    this.#maintainMs = maintainSeconds * 1000;
    this.#clipOf = options.clipOf;
    // A flush tick that finds an append still running is not lost: the append's end starts the next one.
    // Without this, an append longer than the flush period (a loaded CPU) made queued moments wait a
    // whole extra period, and a kill -9 then lost more than `flushSeconds` plus one append.
    this.#timer = setInterval(() => {
      this.#due = true;
      this.#kick();
    }, this.#flushMs);
    this.#timer.unref();
    if (this.#maintainMs > 0 && this.#retention !== undefined) {
      // A run still going (an index build on a large table) is not queued behind again: the next tick retries.
      this.#maintainTimer = setInterval(() => {
        if (this.#maintainRunning === 0) void this.maintain();
      }, this.#maintainMs);
      this.#maintainTimer.unref();
    }
  }

  /** The store written to (searches in the same process read it too). */
  get store(): RecallStore {
    return this.#store;
  }

  /** Queues one tick's embeddings; never blocks and never throws. */
  observe(tick: SnapshotEmbeddings): void {
    if (this.#closed || tick.present.length === 0) return;
    const vectors: Partial<Record<SensorModality, Float32Array>> = {};
    for (const m of tick.present) {
      const e = tick.embeddings[m];
      if (e !== undefined) vectors[m] = e.vector;
    }
    const clip = this.#clipOf?.(tick.stamp);
    this.#stats.observed++;
    this.#queue.offer(clip !== undefined ? { stamp: tick.stamp, vectors, clip } : { stamp: tick.stamp, vectors });
    if (this.#queue.length >= this.#batch) this.#kick();
  }

  /** Starts an append when none is running and moments are queued. */
  #kick(): void {
    if (this.#writing !== undefined || this.#queue.length === 0) return;
    this.#due = false;
    this.#writing = this.#writeBatch().finally(() => {
      this.#writing = undefined;
      if (this.#due || this.#queue.length >= this.#batch) this.#kick();
    });
  }

  async #writeBatch(): Promise<void> {
    const batch = this.#queue.drain(this.#batch);
    const t0 = performance.now();
    try {
      await this.#store.append(batch);
      this.#stats.written += batch.length;
      this.#stats.appends++;
      const ms = performance.now() - t0;
      this.#stats.meanAppendMs += (ms - this.#stats.meanAppendMs) / Math.min(this.#stats.appends, 100);
    } catch (err) {
      this.#stats.failed += batch.length;
      this.#logOnce('recall append failed; these moments are lost (counted)', err);
    }
  }

  /** Writes everything queued (end of a bag, shutdown), waiting at most `deadlineMs`. */
  async flush(deadlineMs = 10_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (Date.now() < until) {
      if (this.#writing !== undefined) await this.#writing;
      else if (this.#queue.length > 0) this.#kick();
      else return;
    }
  }

  /** Retention, compaction and indexing; errors are logged and counted, never thrown. */
  maintain(): Promise<void> {
    const retention = this.#retention ?? { maxBytes: Infinity, maxAgeSeconds: Infinity };
    this.#maintainRunning++;
    this.#maintaining = this.#maintaining.then(async () => {
      const t0 = performance.now();
      try {
        const r = await this.#store.maintain(retention);
        this.#stats.maintenanceRuns++;
        this.#stats.retentionDropped += r.droppedRows;
        this.#stats.rolledRows += r.rolledRows ?? 0;
        this.#stats.maxMaintenanceSeconds = Math.max(this.#stats.maxMaintenanceSeconds, (performance.now() - t0) / 1000);
        if (r.droppedRows > 0) this.#log.info({ rows: r.droppedRows, reason: r.reason }, 'recall retention dropped the oldest moments');
        for (const b of r.indexBuilds) {
          this.#stats.indexBuilds++;
          this.#stats.indexBuildSeconds += b.seconds;
          this.#log.info({ modality: b.modality, rows: b.rows, partitions: b.partitions, seconds: Math.round(b.seconds * 10) / 10 }, b.rebuild ? 'recall vector index retrained (the table outgrew it)' : 'recall vector index built');
        }
      } catch (err) {
        this.#stats.maintenanceErrors++;
        this.#logOnce('recall maintenance failed; retried at the next run', err);
      } finally {
        this.#maintainRunning--;
      }
    });
    return this.#maintaining;
  }

  stats(): RecallWriterStats {
    const q = this.#queue.stats();
    return { ...this.#stats, dropped: q.dropped, queued: q.depth };
  }

  /** Flushes, runs retention once, and closes the store. */
  async close(deadlineMs = 10_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    clearInterval(this.#maintainTimer);
    await this.flush(deadlineMs);
    await this.#maintaining;
    // Compacts what this run appended (and applies retention), so the next reader finds few files.
    await this.maintain();
    await this.#store.close();
  }

  #logOnce(message: string, err: unknown): void {
    const text = errorMessage(err);
    if (this.#loggedErrors.has(text)) return;
    this.#loggedErrors.add(text);
    this.#log.error({ err: text, dir: this.#store.dir }, `${message} (logged once per message)`);
  }
}
