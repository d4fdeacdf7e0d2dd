/**
 * The embed-rate governor (the agent's EmbedGate): enforces the configured per-modality embedding rate
 * caps, and when the CPU cannot keep up lowers the rate of the frame modalities (vision, depth, thermal)
 * first, one halving per evaluation period down to a floor, restoring them one doubling at a time once the
 * load has stayed well below the threshold for a while (hysteresis: below half the threshold for
 * `restoreAfter` consecutive periods).
 *
 * Continuous streams (audio, IMU) are never degraded here: their samples always enter the windows whole
 * (the gate only decides whether a snapshot's window is embedded, never what the buffers keep), and their
 * rate stays at its cap. When the frame modalities sit at the floor and the load is still too high, the
 * governor reports saturation instead of touching them.
 *
 * Load = wall seconds spent embedding per wall second (sum over modalities, so parallel embeddings can
 * overstate it; the threshold is set conservatively), plus any tick the live ticker had to skip.
 */
import type { Logger } from '../core/log.js';
import { SENSOR_MODALITIES, type SensorModality, type StampNs } from '../core/types.js';
import type { EmbedGate } from '../agent/agent.js';
import { NO_HOOKS, type StageHooks } from '../agent/hooks.js';

const FRAME_MODALITIES: readonly SensorModality[] = ['vision', 'depth', 'thermal'];

export interface GovernorOptions {
  /** Configured cap per modality, Hz; 0 = uncapped (one embedding per snapshot). */
  caps: Record<SensorModality, number>;
  /** Snapshot period, seconds (an uncapped modality runs at 1/hop). */
  hopSeconds: number;
  /** Load above which frame modalities degrade. @default 0.8 */
  loadThreshold?: number;
  /** Lowest rate a degraded frame modality falls to, Hz. @default 0.25 */
  floorHz?: number;
  /** Wall seconds between load evaluations. @default 5 */
  evaluateSeconds?: number;
  /** Consecutive relaxed evaluations before one restoring step (so a lull between load spikes does not flap). @default 3 */
  restoreAfter?: number;
  hooks?: StageHooks;
  logger?: Logger;
  /** Wall clock in ms (injected in tests). @default performance.now */
  nowMs?: () => number;
}

export interface GovernorStats {
  /** Load measured at the last evaluation (embedding seconds per wall second). */
  load: number;
  /** Effective cap per modality, Hz (0 = uncapped). */
  rateHz: Record<SensorModality, number>;
  degraded: SensorModality[];
  saturated: boolean;
  degradations: number;
  skippedTicks: number;
}

export class EmbedGovernor implements EmbedGate {
  readonly #caps: Record<SensorModality, number>;
  readonly #hop: number;
  readonly #threshold: number;
  readonly #floor: number;
  readonly #evaluateMs: number;
  readonly #restoreAfter: number;
  #relaxedRuns = 0;
  readonly #hooks: StageHooks;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  #rate: Record<SensorModality, number>;
  #last = new Map<SensorModality, StampNs>();
  /** Modalities embedded at least once: a camera the robot does not have is never "degraded". */
  #seen = new Set<SensorModality>();
  #busy = 0;
  #skipsInWindow = 0;
  #windowStart: number;
  #load = 0;
  #saturated = false;
  #degradations = 0;
  #skippedTicks = 0;

  constructor(options: GovernorOptions) {
    const { caps, hopSeconds, loadThreshold = 0.8, floorHz = 0.25, evaluateSeconds = 5, restoreAfter = 3, hooks = NO_HOOKS, logger, nowMs = () => performance.now() } = options;
    this.#restoreAfter = restoreAfter;
    this.#caps = { ...caps };
    this.#rate = { ...caps };
    this.#hop = hopSeconds;
    this.#threshold = loadThreshold;
    this.#floor = floorHz;
    this.#evaluateMs = evaluateSeconds * 1000;
    this.#hooks = hooks;
    this.#logger = logger;
    this.#now = nowMs;
    this.#windowStart = nowMs();
  }

  allow(modality: SensorModality, stamp: StampNs): true | 'rate-cap' | 'degraded' {
    const hz = this.#rate[modality];
    if (hz <= 0) return true;
    const last = this.#last.get(modality);
    // 5% slack so a 2 Hz cap with a 0.5 s hop does not alias into 1 Hz on stamp jitter.
    const periodNs = BigInt(Math.round((0.95 * 1e9) / hz));
    if (last === undefined || stamp - last >= periodNs || stamp < last) {
      this.#last.set(modality, stamp);
      return true;
    }
    return this.#isDegraded(modality) ? 'degraded' : 'rate-cap';
  }

  observe(modality: SensorModality, seconds: number, _hopSeconds?: number): void {
    this.#busy += seconds;
    this.#seen.add(modality);
    this.#maybeEvaluate();
  }

  /**
   * The ticker skipped a tick because the previous one was still running: overload, whatever the sums
   * say. That snapshot is dropped (hook `dropped('snapshots')`) and every modality the agent embeds missed
   * it (hook `skipped(m, 'busy')`).
   */
  tickSkipped(): void {
    this.#skippedTicks++;
    this.#skipsInWindow++;
    this.#hooks.dropped('snapshots', 1);
    for (const m of this.#seen) this.#hooks.skipped(m, 'busy');
    this.#maybeEvaluate();
  }

  stats(): GovernorStats {
    return {
      load: this.#load,
      rateHz: { ...this.#rate },
      degraded: SENSOR_MODALITIES.filter((m) => this.#isDegraded(m)),
      saturated: this.#saturated,
      degradations: this.#degradations,
      skippedTicks: this.#skippedTicks,
    };
  }

  #isDegraded(m: SensorModality): boolean {
    const cap = this.#caps[m];
    const hz = this.#rate[m];
    return hz > 0 && (cap === 0 || hz < cap);
  }

  /** The rate a modality runs at when uncapped: one embedding per snapshot. */
  #nominal(m: SensorModality): number {
    return this.#caps[m] > 0 ? this.#caps[m] : 1 / this.#hop;
  }

  #maybeEvaluate(): void {
    const now = this.#now();
    const elapsed = now - this.#windowStart;
    if (elapsed < this.#evaluateMs) return;
    this.#load = this.#busy / (elapsed / 1000);
    const skips = this.#skipsInWindow;
    const overloaded = this.#load > this.#threshold || skips > 0;
    const relaxed = this.#load < this.#threshold / 2 && skips === 0;
    this.#busy = 0;
    this.#skipsInWindow = 0;
    this.#windowStart = now;
    this.#relaxedRuns = relaxed ? this.#relaxedRuns + 1 : 0;
    if (overloaded) this.#degrade(overloadReason(this.#load, this.#threshold, skips, elapsed / 1000));
    else if (this.#relaxedRuns >= this.#restoreAfter) {
      this.#relaxedRuns = 0;
      this.#restore();
    }
  }

  #degrade(reason: string): void {
    let changed = false;
    for (const m of FRAME_MODALITIES) {
      if (!this.#seen.has(m)) continue;
      const current = this.#rate[m] > 0 ? this.#rate[m] : this.#nominal(m);
      const next = Math.max(this.#floor, current / 2);
      if (next < current) {
        this.#set(m, next, reason);
        this.#degradations++;
        changed = true;
      }
    }
    if (!changed && !this.#saturated) {
      this.#saturated = true;
      this.#logger?.warn(
        { load: this.#load, floorHz: this.#floor, reason },
        'embedding cannot keep up even with frame modalities at their floor rate; audio/IMU keep their rate, snapshots may be skipped',
      );
    }
  }

  #restore(): void {
    this.#saturated = false;
    for (const m of FRAME_MODALITIES) {
      if (!this.#isDegraded(m)) continue;
      const nominal = this.#nominal(m);
      const next = this.#rate[m] * 2;
      this.#set(m, next >= nominal ? this.#caps[m] : next, `load ${this.#load.toFixed(2)} < ${this.#threshold / 2}`);
    }
  }

  #set(m: SensorModality, hz: number, reason: string): void {
    this.#rate[m] = hz;
    this.#hooks.degraded(m, hz, reason);
    this.#logger?.warn({ modality: m, rateHz: hz, configuredHz: this.#caps[m], reason }, hz === this.#caps[m] ? 'embed rate restored' : 'embed rate degraded');
  }
}

/** Why an evaluation found overload, in words: the load above the threshold, skipped ticks, or both. */
export function overloadReason(load: number, threshold: number, skippedTicks: number, seconds: number): string {
  const parts: string[] = [];
  if (load > threshold) parts.push(`load ${load.toFixed(2)} > ${threshold}`);
  if (skippedTicks > 0) parts.push(`${skippedTicks} tick(s) skipped in ${seconds.toFixed(1)} s: a snapshot took longer than the hop (load ${load.toFixed(2)})`);
  return parts.join('; ');
}
