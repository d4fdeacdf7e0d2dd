/**
 * Grid search of the matching parameters on tuning bags (never the held-out ones): the objective is the
 * mean macro F1 over "all modalities" and every "drop one modality" condition, so parameters that only
 * work with every sensor present lose.
 */
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import type { MemoryState } from '../memory/state.js';
import type { MatcherOptions } from '../match/options.js';
import { scoreCondition, type CollectedBag } from './study.js';

export interface TunedParams {
  matcher: MatcherOptions;
  thresholds: { on: number; off: number };
  minDurationSeconds: number;
  objective: number;
}

export const GRID = {
  smoothing: [0.5, 0.8],
  on: [0.35, 0.5, 0.65],
  beta: [0.5, 1, 2],
  noneLogit: [1, 2.5, 4],
  center: [0, 1],
  minDurationSeconds: [0, 0.5],
};

/** A state whose event concepts all use `thresholds` and `minDurationSeconds`. */
export function withLifecycle(state: MemoryState, thresholds: { on: number; off: number }, minDurationSeconds: number): MemoryState {
  return { ...state, concepts: state.concepts.map((c) => (c.background ? c : { ...c, thresholds, minDurationSeconds })) };
}

export function tune(bags: readonly CollectedBag[], state: MemoryState, base: MatcherOptions, modalities: readonly SensorModality[], concepts: readonly string[], onTrial?: (t: TunedParams) => void): TunedParams {
  let best: TunedParams | undefined;
  const conditions: (readonly SensorModality[])[] = [modalities, ...modalities.map((m) => modalities.filter((x) => x !== m))];
  for (const smoothing of GRID.smoothing)
    for (const on of GRID.on)
      for (const beta of GRID.beta)
        for (const noneLogit of GRID.noneLogit)
          for (const center of GRID.center)
            for (const minDurationSeconds of GRID.minDurationSeconds) {
              const thresholds = { on, off: Math.max(0.05, on - 0.2) };
              const s = withLifecycle(state, thresholds, minDurationSeconds);
              const matcher: MatcherOptions = { ...base, calibration: { ...base.calibration, beta, noneLogit, center }, lifecycle: { ...base.lifecycle, smoothing } };
              const f1s = conditions.map((keep) => scoreCondition(bags, s, matcher, keep, concepts).macro.f1);
              const objective = f1s.reduce((a, b) => a + b, 0) / f1s.length;
              const trial = { matcher, thresholds, minDurationSeconds, objective };
              onTrial?.(trial);
              if (best === undefined || objective > best.objective) best = trial;
            }
  return best as TunedParams;
}

export { SENSOR_MODALITIES };
