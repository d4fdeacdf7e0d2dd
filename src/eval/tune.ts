/**
 * Grid search of the matching parameters on tuning bags (never the held-out ones): the objective is the
 * mean macro F1 over "all modalities" and every "drop one modality" condition, so parameters that only
 * work with every sensor present lose.
 */
import type { SensorModality } from '../core/types.js';
import type { MemoryState } from '../memory/state.js';
import type { MatcherOptions } from '../match/options.js';
import { scoreCondition, type CollectedBag } from './study.js';

export interface TunedParams {
  matcher: MatcherOptions;
  thresholds: { on: number; off: number };
  minDurationSeconds: number;
  objective: number;
}

const GRID = {
  standardise: [false, true],
  beta: [1, 2, 3],
  center: [0, 0.25],
  on: [0.3, 0.4],
  smoothing: [0.6, 0.8],
  /** Fusion weight of depth and IMU (vision and audio keep 1). */
  auxWeight: [0.5, 1],
  minDurationSeconds: [0, 0.5],
};

/** A state whose event concepts all use `thresholds` and `minDurationSeconds`. */
export function withLifecycle(state: MemoryState, thresholds: { on: number; off: number }, minDurationSeconds: number): MemoryState {
  return { ...state, concepts: state.concepts.map((c) => (c.background ? c : { ...c, thresholds, minDurationSeconds })) };
}

export function tune(bags: readonly CollectedBag[], state: MemoryState, base: MatcherOptions, modalities: readonly SensorModality[], concepts: readonly string[], onTrial?: (t: TunedParams) => void): TunedParams {
  let best: TunedParams | undefined;
  const conditions: (readonly SensorModality[])[] = [modalities, ...modalities.map((m) => modalities.filter((x) => x !== m))];
  for (const standardise of GRID.standardise)
    for (const beta of GRID.beta)
      for (const center of GRID.center)
        for (const on of GRID.on)
          for (const smoothing of GRID.smoothing)
            for (const auxWeight of GRID.auxWeight)
              for (const minDurationSeconds of GRID.minDurationSeconds) {
                const thresholds = { on, off: Math.round(Math.max(0.05, on - 0.2) * 100) / 100 };
                const s = withLifecycle(state, thresholds, minDurationSeconds);
                const matcher: MatcherOptions = {
                  ...base,
                  calibration: { ...base.calibration, standardise, beta, center },
                  lifecycle: { ...base.lifecycle, smoothing },
                  fusion: { weights: { depth: auxWeight, imu: auxWeight } },
                };
                const f1s = conditions.map((keep) => scoreCondition(bags, s, matcher, keep, concepts).macro.f1);
                const objective = Math.round((f1s.reduce((a, b) => a + b, 0) / f1s.length) * 1000) / 1000;
                const trial = { matcher, thresholds, minDurationSeconds, objective };
                onTrial?.(trial);
                if (best === undefined || objective > best.objective) best = trial;
              }
  return best as TunedParams;
}

