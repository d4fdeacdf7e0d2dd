/**
 * Per-topic clock check: a topic whose header stamps run on another clock than the one the messages
 * arrived on (a bag's log time, the receive time live) is found, said once, and handled by a fixed rule.
 *
 * Why: the windower and the replay tick on one clock. A microphone stamping an hour behind is never
 * fresh, one an hour ahead makes every other modality stale, and a stamp a year ahead (or a device's boot
 * clock before the others) makes a replay tick through the gap for ever. Such clocks are wrong by far more
 * than any transport latency, so the rule is simple:
 *
 * - A topic whose first stamp is within `toleranceSeconds` of its receive time keeps its header stamps.
 * - Otherwise, policy `map` (the default): its stamps are mapped onto the receive clock by one fixed
 *   offset (header - receive of that first message), so its own spacing is kept; topics on the same
 *   foreign clock (offsets within the tolerance of each other) share one offset, so they stay aligned with
 *   each other. Policy `refuse`: the topic's messages are refused (the caller counts them as skipped).
 *   Either way one warning names the topic and the offset.
 * - A mapped or unmapped topic whose stamp later leaves the tolerance (a clock step, one bogus stamp) is
 *   re-anchored the same way (`map`) or that message is refused (`refuse`); the first jump per topic is
 *   logged, all are counted.
 *
 * Pure apart from the logger: the bag reader passes log time, the live ROS 2 source its receive time.
 */
import { silentLogger, type Logger } from './log.js';

export type TopicClockMode = 'map' | 'refuse';

export interface TopicClockOptions {
  /** What to do with a topic on another clock. @default 'map' */
  mode?: TopicClockMode;
  /** Largest |header stamp - receive time| taken as latency on the same clock, seconds. @default 5 */
  toleranceSeconds?: number;
  /** What the receive time is called in log lines ('bag log time', 'receive time'). @default 'receive time' */
  receiveClock?: string;
  logger?: Logger;
}

export type StampDecision = { kind: 'ok'; stamp: bigint } | { kind: 'refused'; reason: string };

/** How one topic's clock was handled (only topics found on another clock are listed). */
export interface TopicClockReport {
  /** Header clock minus receive clock, seconds (the offset in force now). */
  offsetSeconds: number;
  action: 'mapped' | 'refused';
  /** Messages mapped or refused. */
  messages: number;
  /** Times the offset changed after the first (clock steps, single bad stamps). */
  jumps: number;
}

interface TopicState {
  /** header - receive in force; 0n = the topic is on the receive clock. */
  offset: bigint;
  report?: TopicClockReport;
  loggedJump: boolean;
}

const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** Seconds with a sign and millisecond precision, for log lines. */
export function formatOffset(ns: bigint): string {
  const s = Number(ns) / 1e9;
  return `${s >= 0 ? '+' : ''}${s.toFixed(3)} s`;
}

export class TopicClocks {
  readonly #mode: TopicClockMode;
  readonly #tolerance: bigint;
  readonly #receiveClock: string;
  readonly #log: Logger;
  readonly #topics = new Map<string, TopicState>();

  constructor(options: TopicClockOptions = {}) {
    const { mode = 'map', toleranceSeconds = 5, receiveClock = 'receive time', logger = silentLogger() } = options;
    if (!(toleranceSeconds > 0) || !Number.isFinite(toleranceSeconds)) throw new RangeError(`toleranceSeconds must be a positive number, got ${toleranceSeconds}`);
    this.#mode = mode;
    this.#tolerance = BigInt(Math.round(toleranceSeconds * 1e9));
    this.#receiveClock = receiveClock;
    this.#log = logger;
  }

  /** The stamp to use for a message on `topic` stamped `stamp` that arrived at `receive`, or why it is refused. */
  map(topic: string, stamp: bigint, receive: bigint): StampDecision {
    const d = stamp - receive;
    let state = this.#topics.get(topic);
    if (state === undefined) {
      state = { offset: 0n, loggedJump: false };
      this.#topics.set(topic, state);
      if (abs(d) > this.#tolerance) this.#offClock(topic, state, d, false);
    } else if (abs(d - state.offset) > this.#tolerance) {
      this.#offClock(topic, state, d, true);
    }
    if (state.offset === 0n) return { kind: 'ok', stamp };
    state.report!.messages++;
    if (this.#mode === 'refuse') {
      return { kind: 'refused', reason: `stamps ${formatOffset(state.offset)} off the ${this.#receiveClock} (clock policy refuse)` };
    }
    return { kind: 'ok', stamp: stamp - state.offset };
  }

  /** Topics found on another clock, with the offset in force and what was done. */
  report(): Record<string, TopicClockReport> {
    const out: Record<string, TopicClockReport> = {};
    for (const [topic, s] of this.#topics) if (s.report !== undefined) out[topic] = { ...s.report, offsetSeconds: Number(s.offset) / 1e9 };
    return out;
  }

  #offClock(topic: string, state: TopicState, d: bigint, jump: boolean): void {
    const previous = state.offset;
    // Back on the receive clock (a glitch ended), or onto a clock another topic is already known to run on.
    let offset = abs(d) <= this.#tolerance ? 0n : d;
    if (offset !== 0n) {
      for (const [other, s] of this.#topics) {
        if (other !== topic && s.offset !== 0n && abs(s.offset - d) <= this.#tolerance) {
          offset = s.offset;
          break;
        }
      }
    }
    state.offset = offset;
    const action = this.#mode === 'map' ? 'mapped' : 'refused';
    if (state.report === undefined) {
      if (offset === 0n) return;
      state.report = { offsetSeconds: 0, action, messages: 0, jumps: 0 };
      const onReceiveClock = [...this.#topics].filter(([t, s]) => t !== topic && s.offset === 0n).map(([t]) => t);
      const what =
        this.#mode === 'map'
          ? `mapped onto the ${this.#receiveClock} by a fixed offset`
          : 'its messages are refused (clock policy refuse)';
      this.#log.warn(
        { topic, offsetSeconds: Number(offset) / 1e9, policy: this.#mode, topicsOnReceiveClock: onReceiveClock },
        `topic ${topic} stamps on another clock: ${formatOffset(offset)} from the ${this.#receiveClock}${jump ? ' (after a jump)' : ''}; ${what}`,
      );
      return;
    }
    if (jump) {
      state.report.jumps++;
      if (!state.loggedJump) {
        state.loggedJump = true;
        this.#log.warn(
          { topic, fromSeconds: Number(previous) / 1e9, toSeconds: Number(offset) / 1e9, policy: this.#mode },
          `topic ${topic} clock jumped: offset from the ${this.#receiveClock} ${formatOffset(previous)} -> ${formatOffset(offset)}; further jumps are counted, not logged`,
        );
      }
    }
  }
}
