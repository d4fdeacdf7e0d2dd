/**
 * A fixed-capacity ring of float32 values for continuous streams (audio samples, IMU channels).
 *
 * The ring holds the most recent `capacity` values: pushing more evicts the oldest. Eviction of data older
 * than the window the model needs is expiry, not loss, but it is still counted (`evicted`), and `push`
 * returns how many values it evicted so a caller that sized the ring too small can see it.
 */
export class Float32Ring {
  readonly capacity: number;
  readonly #buf: Float32Array;
  #start = 0;
  #length = 0;
  #evicted = 0;
  #pushed = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`Float32Ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#buf = new Float32Array(capacity);
  }

  get length(): number {
    return this.#length;
  }
  /** Values evicted to make room since creation. */
  get evicted(): number {
    return this.#evicted;
  }
  /** Values pushed since creation. */
  get pushed(): number {
    return this.#pushed;
  }

  /** Appends values; returns how many old values were evicted. */
  push(values: ArrayLike<number>): number {
    const n = values.length;
    this.#pushed += n;
    let src = 0;
    let count = n;
    if (count > this.capacity) {
      // Only the newest `capacity` values can survive; the rest are evicted without being stored.
      src = count - this.capacity;
      count = this.capacity;
    }
    const overflow = Math.max(0, this.#length + count - this.capacity);
    if (overflow > 0) {
      this.#start = (this.#start + overflow) % this.capacity;
      this.#length -= overflow;
    }
    let write = (this.#start + this.#length) % this.capacity;
    if (values instanceof Float32Array) {
      const first = Math.min(count, this.capacity - write);
      this.#buf.set(values.subarray(src, src + first), write);
      if (first < count) this.#buf.set(values.subarray(src + first, src + count), 0);
    } else {
      for (let i = 0; i < count; i++) {
        this.#buf[write] = values[src + i]!;
        write = write + 1 === this.capacity ? 0 : write + 1;
      }
    }
    this.#length += count;
    const evicted = overflow + (n - count);
    this.#evicted += evicted;
    return evicted;
  }

  /** Appends `n` zeros (a gap in a continuous stream). */
  pushZeros(n: number): number {
    if (n <= this.capacity) return this.push(new Float32Array(n));
    // A gap longer than the ring: everything stored and all but `capacity` of the zeros are evicted.
    const evicted = this.#length + (n - this.capacity);
    this.#buf.fill(0);
    this.#start = 0;
    this.#length = this.capacity;
    this.#pushed += n;
    this.#evicted += evicted;
    return evicted;
  }

  /** Copies the newest `n` values (n <= length) into a new array, oldest first. */
  latest(n: number): Float32Array {
    if (n > this.#length) throw new RangeError(`Float32Ring.latest(${n}) with only ${this.#length} values`);
    const out = new Float32Array(n);
    const from = (this.#start + this.#length - n) % this.capacity;
    const first = Math.min(n, this.capacity - from);
    out.set(this.#buf.subarray(from, from + first), 0);
    if (first < n) out.set(this.#buf.subarray(0, n - first), first);
    return out;
  }

  /** Value at logical index i (0 = oldest). */
  at(i: number): number {
    if (i < 0 || i >= this.#length) throw new RangeError(`Float32Ring.at(${i}) out of range 0..${this.#length - 1}`);
    return this.#buf[(this.#start + i) % this.capacity]!;
  }

  clear(): void {
    this.#start = 0;
    this.#length = 0;
  }
}

/** A ring of float64 values (timestamps in seconds) with the same semantics as Float32Ring. */
export class Float64Ring {
  readonly capacity: number;
  readonly #buf: Float64Array;
  #start = 0;
  #length = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`Float64Ring capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#buf = new Float64Array(capacity);
  }
  get length(): number {
    return this.#length;
  }
  push(value: number): boolean {
    let evicted = false;
    if (this.#length === this.capacity) {
      this.#start = (this.#start + 1) % this.capacity;
      this.#length--;
      evicted = true;
    }
    this.#buf[(this.#start + this.#length) % this.capacity] = value;
    this.#length++;
    return evicted;
  }
  at(i: number): number {
    if (i < 0 || i >= this.#length) throw new RangeError(`Float64Ring.at(${i}) out of range 0..${this.#length - 1}`);
    return this.#buf[(this.#start + i) % this.capacity]!;
  }
  last(): number | undefined {
    return this.#length === 0 ? undefined : this.at(this.#length - 1);
  }
  clear(): void {
    this.#start = 0;
    this.#length = 0;
  }
}
