/**
 * A pipeline stage: a bounded input queue and one async worker. A slow stage never grows memory: its
 * queue is bounded and overflow follows the queue's policy, counted. `idle()` resolves when everything
 * offered so far has been processed (used for clean shutdown and for back-pressure in fast replay).
 */
import { BoundedQueue, type OverflowPolicy, type QueueStats } from './bounded-queue.js';

export interface StageOptions<I, O> {
  name: string;
  /** @default 8 */
  capacity?: number;
  /** @default 'drop-oldest' */
  policy?: OverflowPolicy;
  /** Items handed to `work` at once (>1 for batching). @default 1 */
  batch?: number;
  work: (items: I[]) => Promise<O[]>;
  /** Receives each output in order. */
  emit?: (output: O) => void;
  /** Called when `work` throws; the stage goes on with the next items. */
  onError?: (err: unknown, items: I[]) => void;
}

export interface StageStats extends QueueStats {
  name: string;
  processed: number;
  errors: number;
  /** Exponential moving average of `work` time per call, ms. */
  latencyMs: number;
  busy: boolean;
}

export class Stage<I, O> {
  readonly name: string;
  readonly #queue: BoundedQueue<I>;
  readonly #opts: StageOptions<I, O>;
  #running = false;
  #processed = 0;
  #errors = 0;
  #latencyMs = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(opts: StageOptions<I, O>) {
    this.name = opts.name;
    this.#opts = opts;
    this.#queue = new BoundedQueue<I>(opts.capacity ?? 8, opts.policy ?? 'drop-oldest');
  }

  /** Offers an item; false when rejected (policy 'reject' and full). */
  push(item: I): boolean {
    const kept = this.#queue.offer(item);
    if (!this.#running) void this.#loop();
    return kept;
  }

  /** Resolves when the queue is empty and no work is in flight. */
  idle(): Promise<void> {
    if (!this.#running && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  stats(): StageStats {
    return { name: this.name, ...this.#queue.stats(), processed: this.#processed, errors: this.#errors, latencyMs: this.#latencyMs, busy: this.#running };
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const items = this.#queue.drain(this.#opts.batch ?? 1);
        const t0 = performance.now();
        try {
          const outputs = await this.#opts.work(items);
          this.#processed += items.length;
          for (const o of outputs) this.#opts.emit?.(o);
        } catch (err) {
          this.#errors++;
          this.#opts.onError?.(err, items);
        }
        const dt = performance.now() - t0;
        this.#latencyMs = this.#latencyMs === 0 ? dt : this.#latencyMs * 0.9 + dt * 0.1;
      }
    } finally {
      this.#running = false;
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
