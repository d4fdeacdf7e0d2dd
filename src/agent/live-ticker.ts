/**
 * Drives an Agent on the wall clock for live sources: one tick per hop. If a tick is still running when
 * the next is due (the CPU cannot keep up), that tick is skipped and counted rather than queued, so
 * latency stays bounded and memory does not grow; the next tick's snapshot holds the newest data anyway.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Agent } from './agent.js';

export interface LiveTickerOptions {
  agent: Agent;
  clock: Clock;
  hopSeconds: number;
  logger: Logger;
  onSkip?: () => void;
}

export class LiveTicker {
  readonly #o: LiveTickerOptions;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<unknown> | undefined;
  #skipped = 0;
  #ticks = 0;

  constructor(options: LiveTickerOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#fire(), Math.max(1, Math.round(this.#o.hopSeconds * 1000)));
  }

  /** Stops ticking and waits for the tick in flight (clean shutdown finishes in-flight snapshots). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  stats(): { ticks: number; skipped: number } {
    return { ticks: this.#ticks, skipped: this.#skipped };
  }

  #fire(): void {
    if (this.#inFlight) {
      this.#skipped++;
      this.#o.onSkip?.();
      return;
    }
    this.#ticks++;
    this.#inFlight = this.#o.agent
      .tick(this.#o.clock.now())
      .catch((err) => this.#o.logger.error({ err: errorMessage(err) }, 'tick failed'))
      .finally(() => (this.#inFlight = undefined));
  }
}
