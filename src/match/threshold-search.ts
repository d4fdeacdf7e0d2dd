/**
 * The threshold search behind `sensebind calibrate` and the live background estimate (background.ts):
 * given how many events a concept's own lifecycle would start at each candidate `on` threshold over some
 * hours of event-free life, the lowest threshold that keeps to a target rate, plus a margin. One search
 * for both, so a threshold learnt live means what a calibrated one means.
 *
 * Candidates are spaced in equal steps of the score's logit from a ceiling down to a floor: bind-mini's
 * softmax saturates near 1, where equal steps of the score would be far too coarse.
 */

import type { SensorModality } from '../core/types.js';

/** One concept's line of a calibration table: `calibrate`'s report and the live estimate's (`concepts background show`). */
export interface CalibrationRow {
  id: string;
  /** Hours of recordings in which the concept had evidence. */
  hoursWithEvidence: number;
  /** Per modality: 99th percentile and maximum of its score for this concept. */
  modalities: Partial<Record<SensorModality, { p99: number; max: number }>>;
  fused: { p99: number; max: number };
  before: { on: number; events: number; perHour: number };
  after: { on: number; off: number; events: number; perHour: number };
  /** The target could not be met below the highest threshold tried. */
  saturated: boolean;
}

/** Grid step of the threshold search, in logit units (0.05 = 1.25 % of the odds). */
const LOGIT_STEP = 0.05;

const logit = (p: number) => Math.log(p / (1 - p));

/** Candidate thresholds from `ceiling` down to `floor` in equal logit steps; the last one is `floor` itself. */
export function thresholdGrid(floor: number, ceiling: number): number[] {
  const grid: number[] = [];
  for (let x = logit(ceiling); x > logit(floor) + 1e-9; x -= LOGIT_STEP) grid.push(1 / (1 + Math.exp(-x)));
  grid.push(floor);
  return grid;
}

/** Events a rate allows over `hours` (whole events: a fraction of one allowed is none). */
export function allowedEvents(ratePerHour: number, hours: number): number {
  return Math.floor(ratePerHour * hours + 1e-9);
}

export interface ThresholdChoice {
  on: number;
  /** The target could not be met at any candidate (`on` is then the ceiling). */
  saturated: boolean;
}

/**
 * The lowest candidate above which every tried one meets the target (event counts are not strictly
 * monotone in the threshold: hysteresis and cooldown), plus `margin`. `grid` comes from thresholdGrid
 * (descending, floor last); `events(on, i)` counts the starts at grid[i]. The margin is in score units below
 * 0.9 and shrinks towards the ceiling, where scores bunch; the floor itself gets none (nothing fired there).
 */
export function lowestThreshold(grid: readonly number[], events: (on: number, index: number) => number, allowed: number, margin: number, ceiling: number): ThresholdChoice {
  const floor = grid[grid.length - 1] as number;
  let lowest: number | undefined;
  for (let i = 0; i < grid.length; i++) {
    const candidate = grid[i] as number;
    if (events(candidate, i) > allowed) break;
    lowest = candidate;
  }
  if (lowest === undefined) return { on: ceiling, saturated: true };
  if (lowest === floor) return { on: floor, saturated: false };
  return { on: Math.min(ceiling, lowest + margin * Math.min(1, (1 - lowest) * 10)), saturated: false };
}
