/**
 * Holds the newest value of a frame stream (camera, depth). Frames are not continuous: when the consumer
 * is slower than the sensor, the newest frame is what matters and older ones are replaced. Each
 * replacement of a frame nobody read is counted, so the rate of skipped frames is visible in metrics.
 */
export class LatestSlot<T> {
  #value: T | undefined;
  #fresh = false;
  #replaced = 0;
  #written = 0;

  set(value: T): void {
    if (this.#fresh) this.#replaced++;
    this.#value = value;
    this.#fresh = true;
    this.#written++;
  }

  /** The newest value (read or not), or undefined if none arrived yet. */
  peek(): T | undefined {
    return this.#value;
  }

  /** The newest value if it was not taken before; marks it taken. */
  take(): T | undefined {
    if (!this.#fresh) return undefined;
    this.#fresh = false;
    return this.#value;
  }

  clear(): void {
    this.#value = undefined;
    this.#fresh = false;
  }

  stats(): { written: number; replacedUnread: number } {
    return { written: this.#written, replacedUnread: this.#replaced };
  }
}
