/**
 * The JSONL event sink: one event per line, appended. The simplest observable output, and the record the
 * other sinks are checked against. Writes are serialised through one file handle; with `fsync` each event
 * is on disk before write() resolves.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SensebindError, writeFailureReason } from '../core/errors.js';
import type { SenseEvent } from '../core/types.js';
import type { EventSink, SinkStats } from './sink.js';

export interface JsonlSinkOptions {
  path: string;
  /** fsync after each event. @default false */
  fsync?: boolean;
  /** Start the file empty instead of appending (a replay's result file). @default false */
  truncate?: boolean;
}

export class JsonlSink implements EventSink {
  readonly name = 'jsonl';
  readonly #path: string;
  readonly #fsync: boolean;
  readonly #truncate: boolean;
  #file: Promise<FileHandle> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #stats: SinkStats = { written: 0, dropped: 0, pending: 0, errors: 0 };
  #closed = false;

  constructor(options: JsonlSinkOptions) {
    this.#path = options.path;
    this.#fsync = options.fsync ?? false;
    this.#truncate = options.truncate ?? false;
  }

  /**
   * Opens (creates) the file now, so a path that cannot be written fails the start with one line naming
   * it, instead of every event being dropped later.
   */
  async open(): Promise<void> {
    try {
      await this.#handle();
    } catch (err) {
      this.#file = undefined;
      throw new SensebindError('IO', `events file ${this.#path}: cannot open for writing (${writeFailureReason(err)})`, { cause: err });
    }
  }

  get path(): string {
    return this.#path;
  }

  #handle(): Promise<FileHandle> {
    this.#file ??= mkdir(dirname(this.#path), { recursive: true }).then(() => open(this.#path, this.#truncate ? 'w' : 'a'));
    return this.#file;
  }

  write(event: SenseEvent): Promise<void> {
    if (this.#closed) {
      this.#stats.dropped++;
      return Promise.resolve();
    }
    const line = `${JSON.stringify(event)}\n`;
    this.#stats.pending++;
    const done = this.#chain.then(async () => {
      try {
        const fh = await this.#handle();
        await fh.appendFile(line);
        if (this.#fsync) await fh.sync();
        this.#stats.written++;
      } catch {
        // A full disk or a removed directory must not stop the agent; the loss is counted.
        this.#stats.errors++;
        this.#stats.dropped++;
      } finally {
        this.#stats.pending--;
      }
    });
    this.#chain = done;
    return done;
  }

  async flush(): Promise<void> {
    await this.#chain;
    if (this.#file) await (await this.#file).sync().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    if (this.#file) await (await this.#file).close();
    this.#file = undefined;
  }

  stats(): SinkStats {
    return { ...this.#stats };
  }
}

/** Reads a JSONL event file back (tests, eval); a torn last line (crash mid-write) is skipped. */
export function parseJsonlEvents(text: string, source = 'events file'): SenseEvent[] {
  const out: SenseEvent[] = [];
  const lines = text.split('\n');
  const last = lines.findLastIndex((l) => l.trim() !== '');
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      // A torn write can only be the last line (a crash mid-append); anywhere else the file is not ours.
      if (i === last) continue;
      throw new SensebindError('INPUT', `${source}: line ${i + 1} is not JSON (not a sensebind events file?)`);
    }
    if (!isEvent(value)) throw new SensebindError('INPUT', `${source}: line ${i + 1} is not a sensebind event (expected v: 1, id, type start|update|end, concept, start)`);
    out.push(value);
  }
  return out;
}

function isEvent(v: unknown): v is SenseEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Partial<Record<keyof SenseEvent, unknown>>;
  return e.v === 1 && typeof e.id === 'string' && (e.type === 'start' || e.type === 'update' || e.type === 'end') && typeof e.concept === 'object' && e.concept !== null && typeof e.start === 'string';
}
