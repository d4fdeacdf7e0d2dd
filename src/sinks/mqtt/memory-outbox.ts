/**
 * An outbox that lives in memory only: a broker outage loses nothing while sensebind runs, a restart
 * loses what was pending. For tests and for robots without writable storage.
 */
import { entryBytes, PendingQueue } from './pending-queue.js';
import { OUTBOX_DEFAULTS, type EnqueueResult, type Outbox, type OutboxEntry, type OutboxOptions, type OutboxStats } from './outbox.js';

export class MemoryOutbox implements Outbox {
  readonly #queue: PendingQueue;
  readonly #now: () => number;
  #nextSeq = 1;

  constructor(options: OutboxOptions = {}) {
    const { maxBytes = OUTBOX_DEFAULTS.maxBytes, maxAgeMs = OUTBOX_DEFAULTS.maxAgeMs, onDrop, now = Date.now } = options;
    this.#now = now;
    this.#queue = new PendingQueue({ maxBytes, maxAgeMs, onDrop, now, onRemoved: () => {} });
  }

  enqueue(topic: string, payload: string): EnqueueResult {
    const seq = this.#nextSeq++;
    const bytes = entryBytes(topic, payload);
    if (!this.#queue.fits(bytes)) {
      this.#queue.refuseTooLarge(seq);
      return { kept: false, seq };
    }
    this.#queue.push({ seq, topic, payload, at: this.#now(), bytes });
    return { kept: true, seq };
  }

  ack(seq: number): boolean {
    return this.#queue.ack(seq);
  }

  after(afterSeq: number, max: number): OutboxEntry[] {
    return this.#queue.after(afterSeq, max);
  }

  expire(): number {
    return this.#queue.expire();
  }

  stats(): OutboxStats {
    return { ...this.#queue.stats(), recovered: 0, corrupt: 0 };
  }

  async close(): Promise<void> {}
}
