/**
 * Streaming frame decoder: push bytes in as they arrive (`append`), pull frames out (`next`, undefined
 * until one is complete). Bytes up to each 0x00 are one candidate frame; a bad candidate is reported with
 * its reason and decoding goes on at the next delimiter, so one corrupted byte costs at most the frame it
 * is in (and the next one, if it hit a delimiter). State kept between calls: the bytes of the unfinished
 * frame (at most MAX_ENCODED_FRAME) and whether an over-long run is being skipped.
 *
 * A frame of a type this host does not know, with a valid CRC and version, is not a bad frame (PROTOCOL.md
 * §3, §6: later firmware may add types): it comes out as `{ ok: false, reason: 'unknownType' }` so the
 * session can skip it, and is counted in `unknownType`, not in `bad`.
 */
import { cobsDecode } from './cobs.js';
import { parseRawFrame } from './frame-codec.js';
import { BAD_FRAME_REASONS, MAX_ENCODED_FRAME, type BadFrameReason, type Frame } from './protocol.js';

export type DecodeResult = { ok: true; frame: Frame } | { ok: false; reason: BadFrameReason; length: number };

export interface FrameDecoderStats {
  bytes: number;
  frames: number;
  /** Rejected candidates (every reason but unknownType). */
  bad: number;
  badByReason: Record<BadFrameReason, number>;
  /** Valid frames of a type this host does not know: skipped. */
  unknownType: number;
  /** Bytes since the end of the last valid frame (known or not) or the last reset(): how long the link has made no sense. */
  bytesSinceValid: number;
}

export class FrameDecoder {
  readonly #acc = new Uint8Array(MAX_ENCODED_FRAME);
  #accLen = 0;
  #discarding = false;
  readonly #raw = new Uint8Array(MAX_ENCODED_FRAME);
  #queue: DecodeResult[] = [];
  #head = 0;
  #bytes = 0;
  #frames = 0;
  #bad = 0;
  #unknownType = 0;
  /** Stream offset just past the last valid frame's delimiter. */
  #validEnd = 0;
  readonly #badByReason = Object.fromEntries(BAD_FRAME_REASONS.map((r) => [r, 0])) as Record<BadFrameReason, number>;

  /** Consumes a chunk of the byte stream; results are queued for next(). */
  append(chunk: Uint8Array): void {
    const base = this.#bytes;
    this.#bytes += chunk.length;
    let pos = 0;
    while (pos < chunk.length) {
      const zero = chunk.indexOf(0, pos);
      const end = zero < 0 ? chunk.length : zero;
      if (this.#discarding) {
        // skipping an over-long run: nothing to keep until the next delimiter
      } else if (this.#accLen + (end - pos) > MAX_ENCODED_FRAME) {
        this.#discarding = true;
        this.#accLen = 0;
        this.#reject('tooLong', MAX_ENCODED_FRAME + 1);
      } else if (zero >= 0 && this.#accLen === 0) {
        if (end > pos) this.#finish(chunk, pos, end, base + zero + 1); // the common case: a whole frame inside one chunk, no copy
      } else {
        this.#acc.set(chunk.subarray(pos, end), this.#accLen);
        this.#accLen += end - pos;
        if (zero >= 0) {
          const n = this.#accLen;
          this.#accLen = 0;
          this.#finish(this.#acc, 0, n, base + zero + 1);
        }
      }
      if (zero < 0) break;
      this.#discarding = false;
      pos = zero + 1;
    }
  }

  /** The next decoded frame or rejected candidate, or undefined when more bytes are needed. */
  next(): DecodeResult | undefined {
    if (this.#head >= this.#queue.length) {
      if (this.#queue.length > 0) {
        this.#queue = [];
        this.#head = 0;
      }
      return undefined;
    }
    return this.#queue[this.#head++];
  }

  /** Forgets a partial frame (after a reconnect the bytes before the gap belong to nothing). */
  reset(): void {
    this.#accLen = 0;
    this.#discarding = false;
    this.#validEnd = this.#bytes;
  }

  stats(): FrameDecoderStats {
    return {
      bytes: this.#bytes,
      frames: this.#frames,
      bad: this.#bad,
      badByReason: { ...this.#badByReason },
      unknownType: this.#unknownType,
      bytesSinceValid: this.#bytes - this.#validEnd,
    };
  }

  /** `streamEnd`: stream offset just past this candidate's delimiter. */
  #finish(src: Uint8Array, start: number, end: number, streamEnd: number): void {
    const n = cobsDecode(src, start, end, this.#raw);
    if (n < 0) {
      this.#reject('cobs', end - start);
      return;
    }
    const parsed = parseRawFrame(this.#raw, n);
    if (parsed.ok) {
      this.#frames++;
      this.#validEnd = streamEnd;
      this.#queue.push(parsed);
    } else if (parsed.reason === 'unknownType') {
      // CRC and version were good: a frame from newer firmware, not line noise.
      this.#unknownType++;
      this.#validEnd = streamEnd;
      this.#queue.push({ ok: false, reason: 'unknownType', length: end - start });
    } else {
      this.#reject(parsed.reason, end - start);
    }
  }

  #reject(reason: BadFrameReason, length: number): void {
    this.#bad++;
    this.#badByReason[reason]++;
    this.#queue.push({ ok: false, reason, length });
  }
}
