/**
 * The `recall` config section: the embedding memory of the robot's life (src/recall/, docs/recall.md).
 * Off unless `dir` is set.
 */
import { z } from 'zod';

export const recallSchema = z
  .strictObject({
    /** Folder of the recall store; empty = off. `sensebind search --store <dir>` reads it. */
    dir: z.string().default(''),
    /** Disk the store may use, GiB; the oldest moments are dropped first (counted). */
    maxGiB: z.number().positive().default(10),
    /** Moments older than this many days (before the newest) are dropped, in batches (a 24th of it late at most). */
    maxDays: z.number().positive().default(30),
    /** Seconds between batched appends (a kill -9 loses at most about this much). */
    flushSeconds: z.number().positive().max(10).default(0.5),
    /** Moments queued for the store at most; beyond, the oldest queued are dropped (counted). */
    maxQueue: z.number().int().positive().default(20000),
    /** Minutes between retention, compaction and indexing runs (each flush adds a small file per modality; reads slow down until compaction merges them). */
    maintainMinutes: z.number().positive().default(1),
    /** LanceDB's index cache, MiB (vector and stamp indexes; a week's searches at dim 128 filled 358 MiB). Part of the agent's memory bound. */
    indexCacheMiB: z.number().int().positive().default(512),
    /** LanceDB's metadata cache, MiB (file footers, table manifests). Part of the agent's memory bound. */
    metadataCacheMiB: z.number().int().positive().default(64),
  })
  .prefault({});

export type RecallConfig = z.infer<typeof recallSchema>;
