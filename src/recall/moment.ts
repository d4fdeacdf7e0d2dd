/**
 * The records of the recall stage: what the robot remembers of each embedded snapshot, and the store
 * interface the writer, the search and the benches share. The store keeps one row per (moment, modality);
 * a moment is the set of rows with one stamp.
 */
import { SENSOR_MODALITIES, type SensorModality, type StampNs } from '../core/types.js';

/** One embedded snapshot as remembered. */
export interface RecallMoment {
  /** Agent-clock ns of the snapshot. */
  stamp: StampNs;
  /** Unit vectors of the modalities that were embedded. */
  vectors: Partial<Record<SensorModality, Float32Array>>;
  /** A recording of this moment: an event clip path, or `<bag>@<seconds>` for replays. */
  clip?: string;
}

/** One row found by a nearest-neighbour search. */
export interface RecallHit {
  stamp: StampNs;
  modality: SensorModality;
  /** Cosine similarity to the query vector (as stored, i.e. after fp16 rounding). */
  cosine: number;
  /** The row's stored vector, when asked for (`withVectors`). */
  vector?: Float32Array;
}

/** A moment read back: its stored vectors, present modalities and clip link. */
export interface StoredMoment {
  stamp: StampNs;
  present: SensorModality[];
  vectors: Partial<Record<SensorModality, Float32Array>>;
  clip: string | null;
}

export interface TimeRange {
  /** Inclusive bounds, agent-clock ns; undefined = open. */
  since?: StampNs;
  until?: StampNs;
}

export interface RetentionLimits {
  /** Bytes on disk the store may use; the oldest moments go first. */
  maxBytes: number;
  /**
   * Moments older than this, counted back from the newest stored moment, are dropped: once the oldest is
   * a 24th of this past the limit (an hour at 30 days), so deletes come in batches.
   */
  maxAgeSeconds: number;
}

export interface RetentionResult {
  droppedRows: number;
  reason: 'age' | 'size' | 'none';
  /** Vector indexes (re)trained by this run. */
  indexBuilds: IndexBuild[];
  /** Moments' rows moved from the recent tables into the main ones by this run (absent when none). */
  rolledRows?: number;
}

/** One vector index trained on a modality's table (first build, or a rebuild once the table outgrew it). */
export interface IndexBuild {
  modality: SensorModality;
  rows: number;
  partitions: number;
  seconds: number;
  rebuild: boolean;
}

export interface NearestOptions {
  /** Every row compared (no index): the reference the index's candidates are measured against. */
  exact?: boolean;
  /** Return each row's stored vector too (read in the same query as the search). */
  withVectors?: boolean;
}

export interface RecallStoreStats {
  rows: Partial<Record<SensorModality, number>>;
  bytes: number;
  oldest: StampNs | undefined;
  newest: StampNs | undefined;
  /** Rows removed by retention since the store was opened, by reason. */
  droppedByAge: number;
  droppedBySize: number;
  appends: number;
  indexed: Partial<Record<SensorModality, boolean>>;
}

/** The store as the writer and the search use it (lance-store.ts implements it). */
export interface RecallStore {
  readonly dir: string;
  readonly modelId: string;
  readonly dim: number;
  /** Appends moments in one commit per modality; a crash leaves either all rows of a call for a modality or none. */
  append(moments: readonly RecallMoment[]): Promise<void>;
  /** The `k` stored rows of `modality` nearest to `vector` (cosine), within `range`. */
  nearest(modality: SensorModality, vector: Float32Array, k: number, range?: TimeRange, options?: NearestOptions): Promise<RecallHit[]>;
  /** Reads the moments at `stamps` (every stored modality). Stamps without rows are left out. */
  moments(stamps: readonly StampNs[]): Promise<StoredMoment[]>;
  /** The stored moment nearest to `stamp` within `toleranceNs`, if any. */
  momentNear(stamp: StampNs, toleranceNs: bigint): Promise<StoredMoment | undefined>;
  /** Drops the oldest moments beyond the limits, compacts, indexes new rows. */
  maintain(limits: RetentionLimits): Promise<RetentionResult>;
  stats(): Promise<RecallStoreStats>;
  /** Bytes held by the store's in-memory caches (bounded by the store's cache caps). */
  cacheBytes(): number;
  close(): Promise<void>;
}

/** Present modalities as a bit mask (one int column instead of a list). */
export function modalityMask(present: readonly SensorModality[]): number {
  let mask = 0;
  for (const m of present) mask |= 1 << SENSOR_MODALITIES.indexOf(m);
  return mask;
}

export function maskModalities(mask: number): SensorModality[] {
  return SENSOR_MODALITIES.filter((_, i) => (mask & (1 << i)) !== 0);
}
