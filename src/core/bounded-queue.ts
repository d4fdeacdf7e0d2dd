/**
 * A bounded FIFO between pipeline stages. When full, the policy decides:
 * - 'drop-oldest': frame-like work where the newest matters (snapshots, camera frames); the evicted item
 *   is counted as dropped.
 * - 'reject': offer() returns false and the caller must apply back-pressure or count the loss itself
 *   (continuous streams, events).
 * Nothing is ever dropped without being counted.
 */
export type OverflowPolicy = 'drop-oldest' | 'reject';

export interface QueueStats {
  depth: number;
  capacity: number;
  offered: number;
  dropped: number;
  rejected: number;
  maxDepth: number;
}

export class BoundedQueue<T> {
  readonly capacity: number;
  readonly policy: OverflowPolicy;
  #items: T[] = [];
  #head = 0;
  #offered = 0;
  #dropped = 0;
  #rejected = 0;
  #maxDepth = 0;

  constructor(capacity: number, policy: OverflowPolicy) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`BoundedQueue capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.policy = policy;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item; returns false when it was not kept (policy 'reject' and full). */
  offer(item: T): boolean {
    this.#offered++;
    if (this.length >= this.capacity) {
      if (this.policy === 'reject') {
        this.#rejected++;
        return false;
      }
      this.#head++;
      this.#dropped++;
    }
    this.#items.push(item);
    this.#maxDepth = Math.max(this.#maxDepth, this.length);
    return true;
  }

  poll(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.#items[this.#head]!;
    this.#items[this.#head] = undefined as T;
    this.#head++;
    // Compact occasionally so the backing array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Takes up to `max` items at once (batching). */
  drain(max = Infinity): T[] {
    const out: T[] = [];
    while (out.length < max && this.length > 0) out.push(this.poll()!);
    return out;
  }

  stats(): QueueStats {
    return { depth: this.length, capacity: this.capacity, offered: this.#offered, dropped: this.#dropped, rejected: this.#rejected, maxDepth: this.#maxDepth };
  }
}
