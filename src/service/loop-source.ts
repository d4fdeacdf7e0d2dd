/**
 * A SampleSource that plays a fixed list of samples over and over, stamps shifted forward each loop so the
 * stream is continuous, paced at `speed` x real time. It stands for "simulated sensors running for hours":
 * the soak bench renders a short simulated scene once and loops it, so rendering cost (sharp, ray-cast
 * depth) stays out of the figures and memory measured is the agent's, not the simulator's.
 */
import type { Sample, StampNs } from '../core/types.js';
import { emptySourceStats, type SampleSink, type SampleSource, type SourceStats } from '../sources/source.js';

export interface LoopSourceOptions {
  /** Samples in stamp order. */
  samples: readonly Sample[];
  /** Stamp distance between loops (the recording's length plus one sample period). */
  loopNs: bigint;
  /** 1 = real time, 10 = ten times faster. @default 1 */
  speed?: number;
  /** Stop after this many loops (the source then reports disconnected). @default Infinity */
  loops?: number;
  /** Pump period in ms. @default 10 */
  periodMs?: number;
}

export class LoopSource implements SampleSource {
  readonly name: string;
  readonly #o: LoopSourceOptions;
  #stats: SourceStats = emptySourceStats();
  #timer: NodeJS.Timeout | undefined;
  #index = 0;
  #loop = 0;
  #wallStart = 0;
  #first: StampNs = 0n;
  #done: (() => void) | undefined;
  readonly finished: Promise<void>;

  constructor(name: string, options: LoopSourceOptions) {
    this.name = name;
    this.#o = options;
    this.finished = new Promise((resolve) => (this.#done = resolve));
  }

  /** Stamp of the newest sample delivered. */
  get position(): { loop: number; index: number } {
    return { loop: this.#loop, index: this.#index };
  }

  async start(onSample: SampleSink): Promise<void> {
    const { samples, speed = 1, periodMs = 10, loopNs, loops = Infinity } = this.#o;
    if (samples.length === 0) throw new Error(`${this.name}: no samples to loop`);
    this.#first = samples[0]!.stamp;
    this.#wallStart = performance.now();
    this.#stats.connected = true;
    const pump = () => {
      const elapsedNs = BigInt(Math.round((performance.now() - this.#wallStart) * 1e6 * speed));
      const horizon = this.#first + elapsedNs;
      for (;;) {
        const s = samples[this.#index]!;
        const offset = loopNs * BigInt(this.#loop);
        const stamp = s.stamp + offset;
        if (stamp > horizon) break;
        this.#stats.received++;
        this.#stats.decoded++;
        // Paced like a live sensor: it does not wait for the consumer (SampleSink), whose ticker never rejects.
        void onSample(offset === 0n ? s : { ...s, stamp });
        if (++this.#index >= samples.length) {
          this.#index = 0;
          if (++this.#loop >= loops) {
            this.#finish();
            return;
          }
        }
      }
    };
    this.#timer = setInterval(pump, periodMs);
  }

  async stop(): Promise<void> {
    this.#finish();
  }

  stats(): SourceStats {
    return { ...this.#stats, detail: { loop: this.#loop } };
  }

  #finish(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stats.connected = false;
    this.#done?.();
  }
}
