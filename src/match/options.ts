/**
 * Matching parameters. Their defaults live with the `match` config section (src/config/match.ts), one
 * source for the schema and for a matcher built without a config.
 */
import { MATCH_DEFAULTS } from '../config/match.js';
import type { GateReason, SensorModality } from '../core/types.js';
import type { FamiliarityGate } from './familiarity.js';

export interface CalibrationOptions {
  /** Weight of taught exemplars against the text prototype: (1 - w) * text evidence + w * exemplar evidence (standardised logits). @default 0.25 */
  exemplarWeight?: number;
  /** Text logit scale (the model's text outputScale; the matcher is given it by the pipeline). @default 1 */
  textScale?: number;
  /**
   * Also multiply by the modality's own output scale (ImageBind's README does: audio 20 x text ~100). For
   * models whose modality scales are logit scales against vision (bind-mini), the product over-sharpens
   * the emergent modality-to-text pairs. @default false
   */
  modalityScale?: boolean;
  /** How much of each (modality, concept) running mean is subtracted: 0 = raw logits, 1 = fully centred. @default 0 */
  center?: number;
  /** Divide by the modality's running spread across concepts (one scale for every modality; turn on for ImageBind). @default false (tuned on bind-mini) */
  standardise?: boolean;
  /** Softmax sharpness (multiplies the calibrated logits). @default 2 */
  beta?: number;
  /** Logit of the implicit "none of these" option in each modality's softmax (in standardised units). @default 2 */
  noneLogit?: number;
  /** Half-life of the running statistics in seconds. @default 60 */
  halfLifeSeconds?: number;
  /** Snapshots a modality must have seen before it gives evidence. @default 4 */
  warmupSnapshots?: number;
  /** Spread floor, in cosine units (times the logit scale). @default 0.01 */
  minSpread?: number;
  /** Rows standing out by more than this (standardised) update their running mean 10x slower. @default 2 */
  gateZ?: number;
}

export interface FusionOptions {
  /** Weight of each modality in the log-linear pool (missing = 1). @default FUSION_DEFAULT_WEIGHTS */
  weights?: Partial<Record<SensorModality, number>>;
  /**
   * Score a modality the evidence gates found without signal gives every concept it may observe, by gate
   * reason; a reason not listed makes the modality absent (no vote). @default GATED_DEFAULT_SCORES
   */
  gatedScores?: Partial<Record<GateReason, number>>;
}

export const GATED_DEFAULT_SCORES: Partial<Record<GateReason, number>> = MATCH_DEFAULTS.gatedScores;

export const FUSION_DEFAULT_WEIGHTS: Partial<Record<SensorModality, number>> = MATCH_DEFAULTS.fusionWeights;

export interface LifecycleOptions {
  /** Exponential smoothing of the fused score per snapshot: s = a * fused + (1 - a) * s. @default 0.8 */
  smoothing?: number;
  /** An `update` is sent when the peak score rose by this much since the last message. @default 0.1 */
  updateDelta?: number;
  /** A running event with no evidence (all its modalities missing) for this long ends. @default 2 */
  maxGapSeconds?: number;
}

export interface MatcherOptions {
  /** Robot id in events. @default 'robot' */
  robot?: string;
  /** Prefix of event ids; unique per run. @default random 8 hex digits */
  runId?: string;
  calibration?: CalibrationOptions;
  fusion?: FusionOptions;
  lifecycle?: LifecycleOptions;
  /** Concepts returned in `top`. @default 5 */
  topK?: number;
  /** Wall clock for `emittedAt` (injected for tests). @default () => new Date() */
  now?: () => Date;
  /**
   * Event exemplars per concept and modality (src/match/familiarity.ts): a checked modality's vote is
   * evidence only when its embedding is near one of them. @default none (nothing checked)
   */
  familiarity?: FamiliarityGate;
}

export const CALIBRATION_DEFAULTS: Required<CalibrationOptions> = MATCH_DEFAULTS.calibration;

export const LIFECYCLE_DEFAULTS: Required<LifecycleOptions> = MATCH_DEFAULTS.lifecycle;
