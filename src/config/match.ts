/**
 * The `match` config section (issue 6): which concepts, where the memory is persisted, and the matching
 * parameters. Defaults come from src/match/options.ts (one source of truth, tuned on simulator seeds:
 * docs/concepts.md). Reference: docs/config.md ("match").
 */
import { z } from 'zod';
import { GATE_REASONS, SENSOR_MODALITIES } from '../core/types.js';
import { CALIBRATION_DEFAULTS as C, FUSION_DEFAULT_WEIGHTS, GATED_DEFAULT_SCORES, LIFECYCLE_DEFAULTS as L } from '../match/options.js';

export const matchSchema = z
  .strictObject({
    /** Concept file (YAML) seeding the memory; bundled default when not found locally. */
    conceptFile: z.string().min(1).default('concepts/default.yaml'),
    /** Persisted concept memory (run-time edits, taught exemplars); empty = in memory only. */
    stateFile: z.string().default(''),
    calibration: z
      .strictObject({
        /** Weight of the best taught exemplar against the text prototype. */
        exemplarWeight: z.number().min(0).max(1).default(C.exemplarWeight),
        /** Fraction of each concept's running mean subtracted from its logit (0 = raw, 1 = centred). */
        center: z.number().min(0).max(1).default(C.center),
        /** Divide by each modality's running spread (one threshold for every modality). */
        standardise: z.boolean().default(C.standardise),
        /** Softmax sharpness on standardised logits. */
        beta: z.number().positive().default(C.beta),
        /** Logit of the "none of these" option in each modality's softmax. */
        noneLogit: z.number().default(C.noneLogit),
        /** Half-life of the running statistics, seconds. */
        halfLifeSeconds: z.number().positive().default(C.halfLifeSeconds),
        /** Snapshots a modality must see before it gives evidence. */
        warmupSnapshots: z.number().int().min(1).default(C.warmupSnapshots),
        /** Floor of the running spread, in cosine units. */
        minSpread: z.number().positive().default(C.minSpread),
        /** Concepts standing out by more than this update their running mean 10x slower. */
        gateZ: z.number().positive().default(C.gateZ),
      })
      .prefault({}),
    fusion: z
      .strictObject({
        /** Weight per modality in the log-linear pool (missing = 1). */
        weights: z.partialRecord(z.enum(SENSOR_MODALITIES), z.number().min(0)).default({ ...FUSION_DEFAULT_WEIGHTS }),
        /** Score a gated modality gives every concept it may observe, by gate reason; unlisted reasons make it absent. */
        gatedScores: z.partialRecord(z.enum(GATE_REASONS), z.number().gt(0).max(1)).default({ ...GATED_DEFAULT_SCORES }),
      })
      .prefault({}),
    lifecycle: z
      .strictObject({
        /** Exponential smoothing of the fused score per snapshot (1 = none). */
        smoothing: z.number().gt(0).max(1).default(L.smoothing),
        /** Peak rise that triggers an `update` message. */
        updateDelta: z.number().positive().default(L.updateDelta),
        /** Seconds without any evidence after which a running event ends. */
        maxGapSeconds: z.number().positive().default(L.maxGapSeconds),
      })
      .prefault({}),
  })
  .prefault({});

export type MatchConfig = z.infer<typeof matchSchema>;
