/**
 * Per-stream loss and replay detection from 16-bit sequence numbers and device timestamps.
 * A frame moves forward when its sequence number is ahead by less than half the number space and its
 * timestamp does not go back; the numbers skipped are lost frames. Anything else (same number, behind, or
 * older timestamp) is a duplicate or replay and is dropped. A device that restarts without the host
 * seeing its HELLO shows up as a run of "replays"; after `resyncAfter` of them in a row the stream is
 * taken to have restarted.
 */

export type SequenceVerdict = 'first' | 'next' | 'gap' | 'replay' | 'resync';

interface StreamState {
  seq: number;
  tUs: number;
  backwards: number;
}

export interface SequenceTrackerOptions {
  /** Consecutive backward frames after which a stream is taken to have restarted. @default 4 */
  resyncAfter?: number;
}

export interface SequenceStats {
  lostFrames: number;
  /** Lost frames per stream id. */
  lostByStream: Record<number, number>;
  replayed: number;
  resyncs: number;
}

export class SequenceTracker {
  readonly #resyncAfter: number;
  readonly #streams = new Map<number, StreamState>();
  #lost = 0;
  readonly #lostByStream: Record<number, number> = {};
  #replayed = 0;
  #resyncs = 0;
  /** Lost frames of the last `gap` verdict. */
  lastGap = 0;

  constructor(options: SequenceTrackerOptions = {}) {
    const { resyncAfter = 4 } = options;
    this.#resyncAfter = resyncAfter;
  }

  check(stream: number, seq: number, tUs: number): SequenceVerdict {
    const s = this.#streams.get(stream);
    if (s === undefined) {
      this.#streams.set(stream, { seq, tUs, backwards: 0 });
      return 'first';
    }
    const diff = (seq - s.seq) & 0xffff;
    if (diff === 0 || diff >= 0x8000 || tUs < s.tUs) {
      s.backwards++;
      if (s.backwards < this.#resyncAfter) {
        this.#replayed++;
        return 'replay';
      }
      this.#resyncs++;
      s.seq = seq;
      s.tUs = tUs;
      s.backwards = 0;
      return 'resync';
    }
    s.seq = seq;
    s.tUs = tUs;
    s.backwards = 0;
    if (diff === 1) return 'next';
    this.lastGap = diff - 1;
    this.#lost += diff - 1;
    this.#lostByStream[stream] = (this.#lostByStream[stream] ?? 0) + diff - 1;
    return 'gap';
  }

  /** Forgets every stream (the device restarted: its counters start over). */
  reset(): void {
    this.#streams.clear();
  }

  stats(): SequenceStats {
    return { lostFrames: this.#lost, lostByStream: { ...this.#lostByStream }, replayed: this.#replayed, resyncs: this.#resyncs };
  }
}
