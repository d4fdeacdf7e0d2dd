/**
 * The single sink the agent writes to in service mode: names the event's clip (when clips are on), then
 * hands the event to every real sink. Each sink fails alone: one that throws is counted and logged once
 * per message, and the others still get the event.
 */
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { SenseEvent } from '../core/types.js';
import type { EventSink, SinkStats } from '../sinks/sink.js';
import type { ClipRecorder } from './clips.js';

export class EventFanout implements EventSink {
  readonly name = 'fanout';
  readonly #sinks: readonly EventSink[];
  readonly #clips: ClipRecorder | undefined;
  readonly #logger: Logger;
  readonly #logged = new Set<string>();
  #stats: SinkStats = { written: 0, dropped: 0, pending: 0, errors: 0 };

  constructor(sinks: readonly EventSink[], clips: ClipRecorder | undefined, logger: Logger) {
    this.#sinks = sinks;
    this.#clips = clips;
    this.#logger = logger;
  }

  async write(event: SenseEvent): Promise<void> {
    const annotated = this.#clips ? this.#clips.annotate(event) : event;
    this.#stats.pending++;
    try {
      await Promise.all(
        this.#sinks.map(async (sink) => {
          try {
            await sink.write(annotated);
          } catch (err) {
            this.#stats.errors++;
            this.#logOnce(sink.name, 'write', err);
          }
        }),
      );
      this.#stats.written++;
    } finally {
      this.#stats.pending--;
    }
  }

  async flush(deadlineMs?: number): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.flush(deadlineMs).catch((err: unknown) => this.#logOnce(s.name, 'flush', err))));
  }

  async close(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.close().catch((err: unknown) => this.#logOnce(s.name, 'close', err))));
  }

  stats(): SinkStats {
    return { ...this.#stats };
  }

  #logOnce(sink: string, op: string, err: unknown): void {
    const key = `${sink}:${op}:${errorMessage(err)}`;
    if (this.#logged.has(key)) return;
    this.#logged.add(key);
    this.#logger.error({ sink, op, err: errorMessage(err) }, 'sink failed (logged once per message; the other sinks go on)');
  }
}
