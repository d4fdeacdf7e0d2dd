/**
 * The live background estimate in a running agent (config `match.background`): fed the matcher's trace
 * after every snapshot, it learns (background.ts) unless the user froze it, and in `apply` mode hands the
 * learnt `on` thresholds to the matcher (ConceptMatcher.setOnThresholds) every APPLY_EVERY_S seconds of
 * the agent clock, once a concept has `minHours` of evidence.
 *
 * Freeze, unfreeze and reset arrive as concept commands (src/memory/commands.ts, op "background") through
 * the one control plane, and are kept in the concept memory, so they reach this agent from any process
 * through the state file. The estimate is saved beside the state file (src/memory/background-file.ts) at
 * most once a minute of wall time, on each freeze/reset and on close; a bad file costs the estimate, not
 * the agent (one error line, then a fresh start).
 */
import type { StampNs, MatchOutput } from '../core/types.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { MATCH_DEFAULTS } from '../config/match.js';
import { backgroundFilePath, loadBackgroundFile, saveBackgroundFile } from '../memory/background-file.js';
import type { ConceptMemory } from '../memory/memory.js';
import { NO_BACKGROUND_CONTROL, type BackgroundControl, type MemoryState } from '../memory/state.js';
import { BackgroundEstimate, type BackgroundRow } from './background.js';
import type { ConceptMatcher } from './matcher.js';
import type { MatcherOptions } from './options.js';

export type BackgroundConfig = (typeof MATCH_DEFAULTS)['background'];

/** Seconds of agent clock between threshold updates. */
const APPLY_EVERY_S = 10;

export interface LiveBackgroundOptions {
  config: BackgroundConfig;
  /** The matcher's options (lifecycle settings). */
  matcher: MatcherOptions;
  /** The concept memory's file; the estimate is kept beside it. In memory only when absent. */
  stateFile?: string | undefined;
  logger: Logger;
  /** Wall-clock ms between saves while learning. @default 60000 */
  saveIntervalMs?: number;
}

export interface BackgroundStatus {
  mode: BackgroundConfig['mode'];
  frozen: boolean;
  resets: number;
  /** Concepts with an estimate. */
  concepts: number;
  /** Learnt `on` thresholds in force (apply mode), by concept. */
  applied: Record<string, number>;
}

export class LiveBackground {
  readonly #memory: ConceptMemory;
  readonly #matcher: ConceptMatcher;
  readonly #o: LiveBackgroundOptions;
  readonly #estimate: BackgroundEstimate;
  readonly #file: string | undefined;
  #control: BackgroundControl;
  #applied = new Map<string, number>();
  #lastApplyS: number | undefined;
  #lastSaveMs = Date.now();
  #dirty = false;
  #saving: Promise<void> = Promise.resolve();
  #saveErrors = 0;
  #snapshots = 0;
  #unsubscribe: () => void;

  private constructor(memory: ConceptMemory, matcher: ConceptMatcher, options: LiveBackgroundOptions) {
    this.#memory = memory;
    this.#matcher = matcher;
    this.#o = options;
    const c = options.config;
    this.#estimate = new BackgroundEstimate({ ratePerHour: c.ratePerHour, timeConstantHours: c.timeConstantHours, maxRaise: c.maxRaise, margin: c.margin, skipEvents: c.skipEvents, matcher: options.matcher });
    this.#file = options.stateFile === undefined ? undefined : backgroundFilePath(options.stateFile);
    this.#control = memory.state.background ?? NO_BACKGROUND_CONTROL;
    this.#unsubscribe = memory.onChange((s) => this.#onMemory(s));
  }

  /** The estimate for `memory`'s concepts (restored from its file when there is one); undefined when mode is off. */
  static async open(memory: ConceptMemory, matcher: ConceptMatcher, options: LiveBackgroundOptions): Promise<LiveBackground | undefined> {
    if (options.config.mode === 'off') return undefined;
    const bg = new LiveBackground(memory, matcher, options);
    await bg.#load();
    bg.#apply();
    return bg;
  }

  async #load(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return;
    const log = this.#o.logger;
    try {
      const loaded = await loadBackgroundFile(file);
      if (loaded === undefined) return;
      if (loaded.rejected !== undefined) log.warn({ file, reason: loaded.rejected }, 'background estimate: main file rejected, using the last good copy');
      if (loaded.file.resets < this.#control.resets) {
        log.info({ file }, 'background estimate: reset since it was saved; starting afresh');
        return;
      }
      const dropped = this.#estimate.restore(loaded.file, (id) => this.#memory.get(id));
      if (dropped.length > 0) log.info({ file, dropped }, 'background estimate: some concepts start afresh');
    } catch (err) {
      log.error({ file, err: errorMessage(err) }, 'background estimate: cannot read it; starting afresh');
    }
  }

  #onMemory(state: MemoryState): void {
    const next = state.background ?? NO_BACKGROUND_CONTROL;
    const prev = this.#control;
    this.#control = next;
    if (next.resets !== prev.resets) {
      this.#estimate.clear();
      this.#o.logger.info({ resets: next.resets }, 'background estimate: reset');
      this.#dirty = true;
    }
    if (next.frozen !== prev.frozen) this.#o.logger.info({ frozen: next.frozen }, next.frozen ? 'background estimate: frozen' : 'background estimate: learning again');
    // Concept edits change floors and invalidate estimates: the thresholds in force follow at once.
    this.#apply();
    if (next !== prev) this.#saveSoon(true);
  }

  /** Takes in one snapshot's match (call right after the matcher processed it). */
  observe(match: MatchOutput, stamp: StampNs): void {
    if (this.#control.frozen || match.trace === undefined) return;
    const nowS = Number(stamp) / 1e9;
    this.#estimate.observe(match.trace(), (id) => this.#memory.get(id), nowS);
    this.#snapshots++;
    this.#dirty = true;
    if (this.#lastApplyS === undefined || nowS < this.#lastApplyS || nowS - this.#lastApplyS >= APPLY_EVERY_S) {
      this.#lastApplyS = nowS;
      this.#apply();
    }
    this.#saveSoon(false);
  }

  #apply(): void {
    const { mode, minHours } = this.#o.config;
    const next = mode === 'apply' ? this.#estimate.thresholds(this.#memory.concepts(), minHours) : new Map<string, number>();
    const changed = next.size !== this.#applied.size || [...next].some(([id, on]) => Math.abs((this.#applied.get(id) ?? -1) - on) >= 0.001);
    if (!changed) return;
    this.#applied = next;
    this.#matcher.setOnThresholds(next);
    this.#o.logger.info({ thresholds: Object.fromEntries([...next].map(([id, on]) => [id, Math.round(on * 1000) / 1000])) }, 'background estimate: learnt thresholds in force');
  }

  #saveSoon(now: boolean): void {
    if (this.#file === undefined || !this.#dirty) return;
    if (!now && Date.now() - this.#lastSaveMs < (this.#o.saveIntervalMs ?? 60_000)) return;
    this.#lastSaveMs = Date.now();
    void this.save();
  }

  /** Writes the estimate beside the state file when it changed; never throws (failures are logged and counted). */
  save(): Promise<void> {
    const file = this.#file;
    if (file === undefined || !this.#dirty) return this.#saving;
    this.#dirty = false;
    const body = { resets: this.#control.resets, ...this.#estimate.snapshot() };
    this.#saving = this.#saving.then(() =>
      saveBackgroundFile(file, body).catch((err: unknown) => {
        this.#dirty = true;
        if (this.#saveErrors++ === 0) this.#o.logger.warn({ file, err: errorMessage(err) }, 'background estimate: cannot save it (further failures are counted)');
      }),
    );
    return this.#saving;
  }

  status(): BackgroundStatus {
    return {
      mode: this.#o.config.mode,
      frozen: this.#control.frozen,
      resets: this.#control.resets,
      concepts: this.#estimate.evidence().size,
      applied: Object.fromEntries([...this.#applied].map(([id, on]) => [id, Math.round(on * 1e4) / 1e4])),
    };
  }

  /** The estimate as calibrate's table rows. */
  rows(): BackgroundRow[] {
    return this.#estimate.rows(this.#memory.concepts().filter((c) => c.enabled && !c.background));
  }

  /** For /metrics (sensebind_stage_stat{stage="background"}): per concept samples, evidence hours and thresholds. */
  stats(): Record<string, unknown> {
    const evidence = this.#estimate.evidence();
    const concepts: Record<string, unknown> = {};
    for (const c of this.#memory.concepts()) {
      if (!c.enabled || c.background) continue;
      const e = evidence.get(c.id);
      concepts[c.id] = { samples: e?.samples ?? 0, evidenceHours: e?.hours ?? 0, on: c.thresholds.on, effectiveOn: this.#applied.get(c.id) ?? c.thresholds.on };
    }
    return { frozen: this.#control.frozen, applying: this.#o.config.mode === 'apply', snapshots: this.#snapshots, applied: this.#applied.size, saveErrors: this.#saveErrors, concepts };
  }

  /** Stops following the memory and saves. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await this.save();
  }
}
