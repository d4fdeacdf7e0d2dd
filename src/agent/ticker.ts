/**
 * The one ticker every entry point uses: it decides when the agent takes a snapshot, on either clock.
 *
 * - Sample clock (bags, and live sources whose stamps are the agent clock): before a sample stamped t is
 *   pushed, every tick due at or before t runs, so a snapshot never sees data from its future.
 * - Wall clock (live sources): one tick per hop from a timer.
 *
 * Ticks that fall due together (a sample after a quiet spell) run one after the other under both policies.
 * The busy policy says what happens when a tick falls due while an earlier one is still running:
 * - 'wait': the tick runs after it, and `advance` hands the caller a promise to wait on before pushing the
 *   next sample (back-pressure: a replay "as fast as possible" never queues, never skips).
 * - 'skip': the tick is skipped and counted (a robot must keep latency bounded; the next snapshot holds the
 *   newest data anyway).
 * Either way, after a gap in the stamps longer than GAP_HOPS hops only the newest due tick runs: the
 * windows of the ticks in between would all be empty, and a clock jump (a stamp a year ahead) must not
 * turn into millions of ticks.
 *
 * At the end of a recording `drain` runs the ticks that cover its tail, so every entry point (replay,
 * eval, run --bag --exit-at-end) ends a bag at the same stamp.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { StampNs } from '../core/types.js';
import type { Agent, TickResult } from './agent.js';

export type BusyPolicy = 'wait' | 'skip';

/** Ticks beyond this many hops without a sample are not run one by one (see the module comment). */
const GAP_HOPS = 8n;

export interface TickerOptions {
  agent: Pick<Agent, 'tick'>;
  hopSeconds: number;
  logger: Logger;
  /** What a tick due during a running one does. */
  busy: BusyPolicy;
  /** A tick was skipped because the previous one was still running (busy 'skip'). */
  onSkip?: () => void;
  /** After every tick, with how long it took (ms). */
  onTick?: (result: TickResult, ms: number) => void;
}

export interface TickerStats {
  ticks: number;
  skipped: number;
  /** Ticks not run because the stamps jumped (gaps, clock jumps). */
  jumped: number;
  failed: number;
}

export class Ticker {
  readonly #o: TickerOptions;
  readonly #hop: bigint;
  #next: bigint | undefined;
  #last: bigint | undefined;
  #inFlight: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stats: TickerStats = { ticks: 0, skipped: 0, jumped: 0, failed: 0 };

  constructor(options: TickerOptions) {
    if (!(options.hopSeconds > 0)) throw new RangeError(`ticker: hopSeconds must be > 0, got ${options.hopSeconds}`);
    this.#o = options;
    this.#hop = BigInt(Math.round(options.hopSeconds * 1e9));
  }

  /**
   * Sample clock: runs the ticks due before a sample stamped `stamp`. Returns a promise only under the
   * 'wait' policy when ticks ran; the caller pushes the sample after it settles.
   */
  advance(stamp: StampNs): Promise<void> | undefined {
    if (this.#next === undefined) this.#next = stamp + this.#hop;
    if (this.#last === undefined || stamp > this.#last) this.#last = stamp;
    if (stamp - this.#next > GAP_HOPS * this.#hop) {
      const jumped = stamp - ((stamp - this.#next) % this.#hop);
      this.#stats.jumped += Number((jumped - this.#next) / this.#hop);
      this.#next = jumped;
    }
    if (stamp < this.#next) return undefined;
    const due: bigint[] = [];
    for (; stamp >= this.#next; this.#next += this.#hop) due.push(this.#next);
    return this.#run(due);
  }

  /** The newest stamp seen on the sample clock (the recording's "now"). */
  now(): StampNs | undefined {
    return this.#last;
  }

  /**
   * End of a recording: runs the ticks that cover its tail (up to one hop past the last sample) and
   * returns the stamp at which open events end.
   */
  async drain(): Promise<StampNs | undefined> {
    if (this.#next === undefined || this.#last === undefined) {
      await this.#inFlight;
      return this.#last;
    }
    const due: bigint[] = [];
    for (; this.#next <= this.#last + this.#hop; this.#next += this.#hop) due.push(this.#next);
    await this.#inFlight;
    if (due.length > 0) await this.#runAll(due);
    return this.#next;
  }

  /** Wall clock: one tick per hop at `clock.now()`, skipped or queued by the busy policy. */
  start(clock: Clock): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#run([clock.now()]), Math.max(1, Math.round(this.#o.hopSeconds * 1000)));
  }

  /** Stops the wall-clock timer and waits for the tick in flight (a clean stop finishes its snapshot). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  stats(): TickerStats {
    return { ...this.#stats };
  }

  #run(due: bigint[]): Promise<void> | undefined {
    if (this.#inFlight) {
      if (this.#o.busy === 'skip') {
        this.#stats.skipped += due.length;
        for (let i = 0; i < due.length; i++) this.#o.onSkip?.();
        return undefined;
      }
      const after = this.#inFlight.then(() => this.#runAll(due));
      return this.#track(after);
    }
    const p = this.#track(this.#runAll(due));
    return this.#o.busy === 'wait' ? p : undefined;
  }

  #track(p: Promise<void>): Promise<void> {
    const tracked = p.finally(() => {
      if (this.#inFlight === tracked) this.#inFlight = undefined;
    });
    this.#inFlight = tracked;
    return tracked;
  }

  async #runAll(due: readonly bigint[]): Promise<void> {
    for (const t of due) {
      const t0 = performance.now();
      this.#stats.ticks++;
      try {
        const result = await this.#o.agent.tick(t);
        this.#o.onTick?.(result, performance.now() - t0);
      } catch (err) {
        // The agent never throws for sensor or model trouble; anything else is a bug worth a log line.
        this.#stats.failed++;
        this.#o.logger.error({ err: errorMessage(err) }, 'tick failed');
      }
    }
  }
}
