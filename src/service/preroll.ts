/**
 * The pre-roll: the last N seconds of every sensor topic, so a clip can start before its event did.
 * Bounded twice: by time per topic (entries older than the newest stamp minus `seconds` go) and by bytes
 * over all topics (the globally oldest entry goes first, so a 30 Hz camera cannot starve the IMU of its
 * history). Evictions by the byte cap are counted: they mean the cap is too small for the configured seconds.
 */
import type { Sample, StampNs } from '../core/types.js';
import { clipTopic, sampleBytes } from './sample-msg.js';

interface Entry {
  sample: Sample;
  bytes: number;
}

export interface PreRollStats {
  topics: number;
  entries: number;
  bytes: number;
  /** Entries evicted because the byte cap was reached before they aged out. */
  evictedForMemory: number;
}

export class PreRollBuffer {
  readonly #windowNs: bigint;
  readonly #maxBytes: number;
  #topics = new Map<string, Entry[]>();
  #bytes = 0;
  #entries = 0;
  #evictedForMemory = 0;

  /**
   * @param seconds how much history each topic keeps.
   * @param maxBytes cap over all topics.
   */
  constructor(seconds: number, maxBytes: number) {
    this.#windowNs = BigInt(Math.round(seconds * 1e9));
    this.#maxBytes = maxBytes;
  }

  push(sample: Sample): void {
    const topic = clipTopic(sample);
    let list = this.#topics.get(topic);
    if (!list) this.#topics.set(topic, (list = []));
    const bytes = sampleBytes(sample);
    list.push({ sample, bytes });
    this.#bytes += bytes;
    this.#entries++;
    const cutoff = sample.stamp - this.#windowNs;
    // Entries arrive in stamp order per sensor, so the old ones are at the front.
    let drop = 0;
    while (drop < list.length - 1 && list[drop]!.sample.stamp < cutoff) drop++;
    if (drop > 0) this.#remove(list, drop);
    while (this.#bytes > this.#maxBytes && this.#entries > 1) {
      const oldest = this.#oldestList();
      if (!oldest) break;
      this.#remove(oldest, 1);
      this.#evictedForMemory++;
    }
  }

  /** Every buffered sample with stamp >= from, all topics merged in stamp order. */
  since(from: StampNs): Sample[] {
    const out: Sample[] = [];
    for (const list of this.#topics.values()) for (const e of list) if (e.sample.stamp >= from) out.push(e.sample);
    return out.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
  }

  stats(): PreRollStats {
    return { topics: this.#topics.size, entries: this.#entries, bytes: this.#bytes, evictedForMemory: this.#evictedForMemory };
  }

  #remove(list: Entry[], count: number): void {
    for (const e of list.splice(0, count)) {
      this.#bytes -= e.bytes;
      this.#entries--;
    }
  }

  #oldestList(): Entry[] | undefined {
    let best: Entry[] | undefined;
    for (const list of this.#topics.values()) {
      const head = list[0];
      if (head && (!best || head.sample.stamp < best[0]!.sample.stamp)) best = list;
    }
    return best;
  }
}
