/**
 * What to do with header stamps far from the node's clock. A ROS 2 graph carries every topic's own idea of
 * time: a driver stamping with its device's boot clock, `ros2 bag play` without --clock (recorded stamps,
 * days old), a sensor a year ahead. The windower ages samples against the node's clock, so such a topic
 * would silently never be present. Policy per topic, decided on its first far stamp and said once:
 *   map     - shift the topic's stamps by (receive time - stamp), keeping their spacing (audio and IMU
 *             continuity depend on it); re-mapped if the topic later jumps away again;
 *   receive - use the receive time of each message instead (spacing becomes arrival jitter);
 *   keep    - use the stamps as they are (the topic then stays absent; for graphs known to be right).
 */
import type { Logger } from '../core/log.js';

export type StampPolicy = 'map' | 'receive' | 'keep';

interface TopicClock {
  offset: bigint;
  far: number;
  remaps: number;
}

export class StampGuard {
  readonly #policy: StampPolicy;
  readonly #tolerance: bigint;
  readonly #log: Logger;
  readonly #topics = new Map<string, TopicClock>();

  constructor(policy: StampPolicy, toleranceSeconds: number, logger: Logger) {
    this.#policy = policy;
    this.#tolerance = BigInt(Math.round(toleranceSeconds * 1e9));
    this.#log = logger;
  }

  /** The stamp to use for a message of `topic` stamped `stamp` and received at `now` (node clock). */
  adjust(topic: string, stamp: bigint, now: bigint): bigint {
    let t = this.#topics.get(topic);
    const shifted = stamp + (t?.offset ?? 0n);
    const off = now - shifted;
    if (off <= this.#tolerance && -off <= this.#tolerance) return shifted;
    if (t === undefined) this.#topics.set(topic, (t = { offset: 0n, far: 0, remaps: 0 }));
    t.far++;
    if (t.far === 1) {
      const seconds = Number(now - stamp) / 1e9;
      this.#log.warn(
        { topic, offsetSeconds: Number(seconds.toFixed(3)), policy: this.#policy, toleranceSeconds: Number(this.#tolerance) / 1e9 },
        `header stamps of ${topic} are ${Math.abs(seconds).toFixed(1)} s ${seconds > 0 ? 'behind' : 'ahead of'} the node clock: ${
          this.#policy === 'map' ? 'mapping them onto it' : this.#policy === 'receive' ? 'using receive times' : 'keeping them (the topic will be absent)'
        } (ros2.stampPolicy; for a bag, play it with --clock and set use_sim_time)`,
      );
    }
    switch (this.#policy) {
      case 'keep':
        return stamp;
      case 'receive':
        return now;
      case 'map':
        if (t.far > 1) t.remaps++;
        t.offset = now - stamp;
        return now;
    }
  }

  /** Per topic: messages whose stamps were far from the node clock, and re-mappings after the first. */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [topic, t] of this.#topics) {
      out[`${topic}.stampsFar`] = t.far;
      if (t.remaps > 0) out[`${topic}.stampRemaps`] = t.remaps;
    }
    return out;
  }
}
