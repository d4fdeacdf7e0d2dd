/**
 * The in-memory heart of every outbox: pending entries in seq order with byte and age bounds.
 * An array with a moving head (acks arrive mostly in order) plus a map for out-of-order acks, so
 * enqueue, ack and `after` stay O(1)/O(log n) with 100k entries pending during a long outage.
 */
import type { OutboxDropReason, OutboxEntry, OutboxStats } from './outbox.js';

export interface PendingQueueOptions {
  maxBytes: number;
  maxAgeMs: number;
  onDrop: ((reason: OutboxDropReason, count: number, firstSeq: number, lastSeq: number) => void) | undefined;
  now: () => number;
  /** Told about every entry that leaves by a drop (the file outbox logs a removal record). */
  onRemoved: (seqs: number[]) => void;
}

export function entryBytes(topic: string, payload: string): number {
  return Buffer.byteLength(topic) + Buffer.byteLength(payload);
}

export class PendingQueue {
  readonly #opts: PendingQueueOptions;
  #items: OutboxEntry[] = [];
  #head = 0;
  readonly #pending = new Map<number, OutboxEntry>();
  #bytes = 0;
  readonly counters = { enqueued: 0, acked: 0, droppedSize: 0, droppedAge: 0, droppedTooLarge: 0 };

  constructor(options: PendingQueueOptions) {
    this.#opts = options;
  }

  get size(): number {
    return this.#pending.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Pending entries, oldest first. */
  *entries(): IterableIterator<OutboxEntry> {
    for (let i = this.#head; i < this.#items.length; i++) {
      const entry = this.#items[i]!;
      if (this.#pending.has(entry.seq)) yield entry;
    }
  }

  /** Whether an entry of this size can ever fit. */
  fits(bytes: number): boolean {
    return bytes <= this.#opts.maxBytes;
  }

  /** Counts an entry refused for being larger than the whole bound. */
  refuseTooLarge(seq: number): void {
    this.counters.droppedTooLarge++;
    this.#opts.onDrop?.('too-large', 1, seq, seq);
  }

  /** Adds an entry (seq must be larger than every seq before), dropping the oldest to make room. */
  push(entry: OutboxEntry, countEnqueued = true): void {
    this.#makeRoom(entry.bytes);
    this.#items.push(entry);
    this.#pending.set(entry.seq, entry);
    this.#bytes += entry.bytes;
    if (countEnqueued) this.counters.enqueued++;
  }

  ack(seq: number): boolean {
    if (!this.#remove(seq)) return false;
    this.counters.acked++;
    return true;
  }

  after(afterSeq: number, max: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    // Binary search for the first item with seq > afterSeq (items are sorted by seq).
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.seq <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#items.length && out.length < max; i++) {
      const entry = this.#items[i]!;
      if (this.#pending.has(entry.seq)) out.push(entry);
    }
    return out;
  }

  expire(): number {
    const cutoff = this.#opts.now() - this.#opts.maxAgeMs;
    const dropped: number[] = [];
    for (const entry of this.entries()) {
      if (entry.at >= cutoff) break; // entries are in acceptance order, hence in time order
      dropped.push(entry.seq);
    }
    this.#drop('age', dropped);
    return dropped.length;
  }

  stats(): Omit<OutboxStats, 'recovered' | 'corrupt'> {
    return { pending: this.#pending.size, pendingBytes: this.#bytes, ...this.counters };
  }

  #makeRoom(bytes: number): void {
    if (this.#bytes + bytes <= this.#opts.maxBytes) return;
    const dropped: number[] = [];
    let freed = 0;
    for (const entry of this.entries()) {
      if (this.#bytes - freed + bytes <= this.#opts.maxBytes) break;
      dropped.push(entry.seq);
      freed += entry.bytes;
    }
    this.#drop('size', dropped);
  }

  #drop(reason: 'size' | 'age', seqs: number[]): void {
    if (seqs.length === 0) return;
    for (const seq of seqs) this.#remove(seq);
    if (reason === 'size') this.counters.droppedSize += seqs.length;
    else this.counters.droppedAge += seqs.length;
    this.#opts.onRemoved(seqs);
    this.#opts.onDrop?.(reason, seqs.length, seqs[0]!, seqs[seqs.length - 1]!);
  }

  #remove(seq: number): boolean {
    const entry = this.#pending.get(seq);
    if (entry === undefined) return false;
    this.#pending.delete(seq);
    this.#bytes -= entry.bytes;
    while (this.#head < this.#items.length && !this.#pending.has(this.#items[this.#head]!.seq)) this.#head++;
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return true;
  }
}
