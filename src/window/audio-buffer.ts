/**
 * The audio window of one microphone: a continuous ring of mono samples on the agent clock.
 *
 * Chunks arrive with a stamp (time of their first sample). Small disagreements between a chunk's stamp and
 * where the previous chunk ended are clock jitter and are ignored; a real gap is filled with silence so
 * the window keeps its length and its timing (counted); overlapping or late chunks are trimmed or dropped
 * (counted). A change of sample rate restarts the buffer (counted). Nothing is lost silently.
 * Coverage is the fraction of the window the stream has spanned since it (re)started; silence filled into
 * gaps counts as spanned, the gaps themselves are in stats().
 */
import { Float32Ring } from '../core/ring-buffer.js';
import type { AudioSample, AudioWindow, StampNs } from '../core/types.js';

export interface AudioBufferOptions {
  /** Seconds of audio a window holds (the model's clip length). */
  windowSeconds: number;
  /** A window is absent until real samples cover at least this fraction of it. @default 0.5 */
  minCoverage?: number;
}

export interface AudioBufferStats {
  chunks: number;
  samples: number;
  gaps: number;
  gapSamples: number;
  overlapSamples: number;
  lateChunks: number;
  rateChanges: number;
}

export class AudioBuffer {
  readonly #windowSeconds: number;
  readonly #minCoverage: number;
  #rate = 0;
  #ring: Float32Ring | undefined;
  /** Agent-clock stamp just after the newest sample. */
  #end: StampNs | undefined;
  #stats: AudioBufferStats = { chunks: 0, samples: 0, gaps: 0, gapSamples: 0, overlapSamples: 0, lateChunks: 0, rateChanges: 0 };

  constructor(options: AudioBufferOptions) {
    this.#windowSeconds = options.windowSeconds;
    this.#minCoverage = options.minCoverage ?? 0.5;
  }

  get end(): StampNs | undefined {
    return this.#end;
  }

  push(chunk: AudioSample): void {
    const n = chunk.samples.length;
    if (n === 0) return;
    const rate = chunk.rate;
    if (rate !== this.#rate || !this.#ring) {
      if (this.#ring) this.#stats.rateChanges++;
      this.#rate = rate;
      // One extra second so a window never straddles a half-written chunk.
      this.#ring = new Float32Ring(Math.ceil((this.#windowSeconds + 1) * rate));
      this.#end = undefined;
    }
    const ring = this.#ring;
    const nsPerSample = 1e9 / rate;
    const duration = BigInt(Math.round(n * nsPerSample));
    this.#stats.chunks++;
    let samples = chunk.samples;
    if (this.#end !== undefined) {
      const delta = Number(chunk.stamp - this.#end);
      // Stamps jitter by transport and driver scheduling; half a chunk (at least 2 ms) is tolerated.
      const tolerance = Math.max(2e6, (n * nsPerSample) / 2);
      if (delta > tolerance) {
        const missing = Math.round(delta / nsPerSample);
        this.#stats.gaps++;
        this.#stats.gapSamples += missing;
        ring.pushZeros(missing);
      } else if (delta < -tolerance) {
        const overlap = Math.round(-delta / nsPerSample);
        if (overlap >= n) {
          this.#stats.lateChunks++;
          return;
        }
        this.#stats.overlapSamples += overlap;
        samples = samples.subarray(overlap);
      }
    }
    ring.push(samples);
    this.#stats.samples += samples.length;
    const newEnd = chunk.stamp + duration;
    this.#end = this.#end === undefined || newEnd > this.#end ? newEnd : this.#end;
  }

  /** The last `windowSeconds` ending at the newest sample, or undefined when there is too little. */
  window(): AudioWindow | undefined {
    if (!this.#ring || this.#end === undefined) return undefined;
    const want = Math.round(this.#windowSeconds * this.#rate);
    const have = Math.min(this.#ring.length, want);
    const coverage = have / want;
    if (coverage < this.#minCoverage) return undefined;
    const samples = new Float32Array(want);
    samples.set(this.#ring.latest(have), want - have);
    const start = this.#end - BigInt(Math.round((want * 1e9) / this.#rate));
    return { kind: 'audio', rate: this.#rate, samples, start, end: this.#end, coverage };
  }

  stats(): AudioBufferStats {
    return { ...this.#stats };
  }
}
