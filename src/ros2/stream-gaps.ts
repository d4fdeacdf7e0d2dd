/**
 * Messages lost before they reached sensebind (in the DDS queue of a busy subscriber, on a lossy link),
 * estimated from header stamp gaps. DDS discards the oldest unread message of a full keep-last queue
 * without telling the reader (rclnodejs 2.2 does not expose rmw's message-lost event either), so the only
 * trace is a hole in a stream's stamps. For a stream with a steady period (IMU, audio chunks, a camera), a
 * gap of k periods means k - 1 messages missing. The period is learnt from the stream itself: the
 * shortest of its recent spacings (a loss only lengthens one), so it is right even when most messages
 * are lost (for WINDOW messages; see there).
 */
export class StreamGaps {
  #last: bigint | undefined;
  /** The last WINDOW spacings (ns); the period is their minimum: losses only ever lengthen a spacing. */
  readonly #window: number[] = [];
  #lost = 0;
  #gaps = 0;

  /** Records the header stamp (ns) of the next message; returns how many messages it says were lost before it. */
  push(stamp: bigint): number {
    if (stamp === 0n) return 0; // unstamped: nothing to learn
    const last = this.#last;
    this.#last = stamp;
    if (last === undefined || stamp <= last) return 0;
    const dt = Number(stamp - last);
    this.#window.push(dt);
    if (this.#window.length > WINDOW) this.#window.shift();
    if (this.#window.length < MIN_SPACINGS) return 0;
    const period = Math.min(...this.#window);
    // The first spacings are judged once the period is known (a start under load loses the most).
    const judged = this.#window.length === MIN_SPACINGS ? this.#window : [dt];
    let missing = 0;
    for (const d of judged) {
      if (d < 1.5 * period) continue;
      missing += Math.round(d / period) - 1;
      this.#gaps++;
    }
    this.#lost += missing;
    return missing;
  }

  stats(): { lost: number; gaps: number; periodMs: number } {
    return { lost: this.#lost, gaps: this.#gaps, periodMs: this.#window.length > 0 ? Math.min(...this.#window) / 1e6 : 0 };
  }
}

/**
 * Spacings remembered. Stamps alone cannot tell a steady loss of 2 in 3 from a sensor at a third of the
 * rate: after this many messages of either, the longer spacing becomes the period (a slowed sensor is
 * then right again; a steady loss is counted only for its first WINDOW messages, and said in the log).
 */
const WINDOW = 64;
/** Spacings seen before holes are judged; these first ones are judged together then. */
const MIN_SPACINGS = 4;

/** The header stamp of a ROS message object in ns, or 0n when it has none. */
export function headerStampNs(message: unknown): bigint {
  const stamp = (message as { header?: { stamp?: { sec?: number; nanosec?: number } } } | null)?.header?.stamp;
  if (stamp === undefined || typeof stamp.sec !== 'number') return 0n;
  return BigInt(stamp.sec) * 1_000_000_000n + BigInt(stamp.nanosec ?? 0);
}
