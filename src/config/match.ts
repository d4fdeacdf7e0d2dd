/**
 * The `match` config section (issue 6): which concepts, where the memory is persisted, and the matching
 * parameters. The defaults below are also the matcher's (src/match/options.ts types them), so the config
 * sits below the stage it configures. Reference: docs/config.md ("match").
 */
import { z } from 'zod';
import { GATE_REASONS, SENSOR_MODALITIES, type GateReason, type SensorModality } from '../core/types.js';

/**
 * Tuned on simulator training and validation seeds with the bundled model, reported on held-out seeds
 * (docs/concepts.md).
 */
export const MATCH_DEFAULTS = {
  calibration: {
    exemplarWeight: 0.25,
    textScale: 1,
    modalityScale: false,
    center: 0,
    standardise: false,
    beta: 2,
    noneLogit: 2,
    halfLifeSeconds: 60,
    warmupSnapshots: 4,
    minSpread: 0.01,
    gateZ: 2,
  },
  /** Depth and IMU see fewer event kinds and separate them less well: half weight. */
  fusionWeights: { depth: 0.5, imu: 0.5 } as Partial<Record<SensorModality, number>>,
  /**
   * An IMU at rest is an observation, not a blank: the body is not moving, so every motion concept it may
   * observe gets a low score (in the simulator, without this, quiet-room audio alone reads "tipping over").
   * Silence, noise and dead frames carry nothing and are absent.
   */
  gatedScores: { 'at-rest': 0.05 } as Partial<Record<GateReason, number>>,
  lifecycle: { smoothing: 0.8, updateDelta: 0.1, maxGapSeconds: 2 },
  /**
   * The familiarity gate (src/match/familiarity.ts): the model folder's event exemplars, floors at the 5th
   * percentile of held-in true events' nearest-exemplar cosines (docs/concepts.md, "Familiarity gate").
   */
  familiarity: { enabled: true, file: '', percentile: 5, modalities: [...SENSOR_MODALITIES] as SensorModality[] },
  /** The live background estimate (src/match/background.ts); off unless asked for. */
  background: { mode: 'off' as 'off' | 'learn' | 'apply', ratePerHour: 0.125, timeConstantHours: 24, minHours: 1, maxRaise: 0.3, margin: 0.02, skipEvents: true },
};
const C = MATCH_DEFAULTS.calibration;
const L = MATCH_DEFAULTS.lifecycle;
const B = MATCH_DEFAULTS.background;
const F = MATCH_DEFAULTS.familiarity;

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
        weights: z.partialRecord(z.enum(SENSOR_MODALITIES), z.number().min(0)).default({ ...MATCH_DEFAULTS.fusionWeights }),
        /** Score a gated modality gives every concept it may observe, by gate reason; unlisted reasons make it absent. */
        gatedScores: z.partialRecord(z.enum(GATE_REASONS), z.number().gt(0).max(1)).default({ ...MATCH_DEFAULTS.gatedScores }),
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
    familiarity: z
      .strictObject({
        /** Check votes against the event exemplars (off: every vote is evidence, as without a file). */
        enabled: z.boolean().default(F.enabled),
        /** Familiarity file; empty = familiarity.json in the model folder, when there is one. */
        file: z.string().default(F.file),
        /** Floor per concept and modality: this percentile (0-100) of its held-in true events' cosines. */
        percentile: z.number().min(0).max(100).default(F.percentile),
        /** Modalities checked; the others' votes are evidence as before. */
        modalities: z.array(z.enum(SENSOR_MODALITIES)).default([...F.modalities]),
      })
      .prefault({}),
    background: z
      .strictObject({
        /** off; learn = estimate and report only; apply = also raise each concept's `on` threshold from it. */
        mode: z.enum(['off', 'learn', 'apply']).default(B.mode),
        /** Target false events per concept per hour (as `calibrate --rate`; 0.125 = 1 per 8 h). */
        ratePerHour: z.number().min(0).default(B.ratePerHour),
        /** Time constant of the exponential forgetting, hours of the agent clock. */
        timeConstantHours: z.number().positive().default(B.timeConstantHours),
        /** Hours of event-free evidence (forgotten like the rest) a concept needs before its threshold is applied. */
        minHours: z.number().min(0).default(B.minHours),
        /** Largest raise of a concept's `on` threshold above its own, in score units. */
        maxRaise: z.number().gt(0).max(1).default(B.maxRaise),
        /** Added to the lowest threshold that meets the target (as `calibrate --margin`). */
        margin: z.number().min(0).lt(0.5).default(B.margin),
        /** Leave a concept's snapshots out of its estimate while its event is running (see docs/concepts.md). */
        skipEvents: z.boolean().default(B.skipEvents),
      })
      .refine((b) => b.minHours < b.timeConstantHours, {
        message: 'minHours must be below timeConstantHours (forgotten evidence never adds up to more than the time constant)',
        path: ['minHours'],
      })
      .prefault({}),
  })
  .prefault({});

