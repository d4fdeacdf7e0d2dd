/**
 * One concept's event lifecycle, fed one fused score per snapshot:
 *   idle --(smoothed >= on for minDuration, cooldown over)--> active (start)
 *   active --(peak rose by updateDelta)--> update
 *   active --(smoothed < off | maxDuration | no evidence for maxGap)--> idle (end), cooldown begins
 * Hysteresis (off < on) stops flicker around one threshold; minDuration drops blips; cooldown stops a
 * long noisy event from becoming a burst of short ones. A snapshot without evidence (every modality that
 * may observe the concept is missing) does not move the smoothed score: missing is not zero.
 */
import type { EventPhase } from '../core/types.js';

export interface LifecycleParams {
  on: number;
  off: number;
  minDurationSeconds: number;
  maxDurationSeconds: number;
  cooldownSeconds: number;
  smoothing: number;
  updateDelta: number;
  maxGapSeconds: number;
}

export interface Transition {
  type: EventPhase;
  /** Smoothed score now. */
  score: number;
  peak: number;
  /** Seconds (agent clock) when the event started. */
  startS: number;
  /** Why an event ended. */
  reason?: 'below-off' | 'max-duration' | 'no-evidence' | 'finish';
}

export class ConceptLifecycle {
  #p: LifecycleParams;
  #smoothed: number | undefined;
  #aboveSinceS: number | undefined;
  #active = false;
  #startS = 0;
  #peak = 0;
  #lastSentPeak = 0;
  #lastEvidenceS = 0;
  #cooldownUntilS = -Infinity;

  constructor(params: LifecycleParams) {
    this.#p = params;
  }
  setParams(params: LifecycleParams): void {
    this.#p = params;
  }
  get active(): boolean {
    return this.#active;
  }
  get smoothed(): number {
    return this.#smoothed ?? 0;
  }

  /** Feeds one snapshot; `fused` undefined = no evidence. Returns the transition, if any. */
  step(fused: number | undefined, nowS: number): Transition | undefined {
    const p = this.#p;
    if (fused === undefined) {
      this.#aboveSinceS = undefined;
      if (this.#active && nowS - this.#lastEvidenceS >= p.maxGapSeconds) return this.#end(nowS, 'no-evidence');
      return undefined;
    }
    this.#lastEvidenceS = nowS;
    const s = this.#smoothed === undefined ? fused : p.smoothing * fused + (1 - p.smoothing) * this.#smoothed;
    this.#smoothed = s;
    if (!this.#active) {
      if (s >= p.on && nowS >= this.#cooldownUntilS) {
        this.#aboveSinceS ??= nowS;
        if (nowS - this.#aboveSinceS >= p.minDurationSeconds - 1e-9) {
          this.#active = true;
          this.#startS = nowS;
          this.#peak = s;
          this.#lastSentPeak = s;
          return { type: 'start', score: s, peak: s, startS: nowS };
        }
      } else {
        this.#aboveSinceS = undefined;
      }
      return undefined;
    }
    if (s > this.#peak) this.#peak = s;
    if (s < p.off) return this.#end(nowS, 'below-off');
    if (nowS - this.#startS >= p.maxDurationSeconds) return this.#end(nowS, 'max-duration');
    if (this.#peak - this.#lastSentPeak >= p.updateDelta) {
      this.#lastSentPeak = this.#peak;
      return { type: 'update', score: s, peak: this.#peak, startS: this.#startS };
    }
    return undefined;
  }

  /** Ends a running event now (shutdown, end of bag). */
  finish(nowS: number): Transition | undefined {
    return this.#active ? this.#end(nowS, 'finish') : undefined;
  }

  #end(nowS: number, reason: NonNullable<Transition['reason']>): Transition {
    this.#active = false;
    this.#aboveSinceS = undefined;
    this.#cooldownUntilS = nowS + this.#p.cooldownSeconds;
    return { type: 'end', score: this.smoothed, peak: this.#peak, startS: this.#startS, reason };
  }
}
