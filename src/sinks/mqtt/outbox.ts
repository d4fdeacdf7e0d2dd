/**
 * The outbox: events wait here from the moment sensebind accepts them until the broker acknowledges
 * them (PUBACK), so a broker outage, a network cut or a sensebind crash loses nothing that fits the bounds.
 * An interface with two implementations (memory.ts for tests and `outbox: off` use, file.ts for real use),
 * both held to one contract test (test/sinks/mqtt-outbox.test.ts).
 *
 * Bounds: total pending bytes and age. When a bound is hit the OLDEST events go (a dashboard wants what is
 * happening now more than what happened an hour ago); every drop is reported through `onDrop`.
 */

export interface OutboxEntry {
  /** Position in the outbox; strictly increasing, also across restarts of a persistent outbox. */
  readonly seq: number;
  readonly topic: string;
  /** The message body (UTF-8 text; sensebind's payloads are JSON). */
  readonly payload: string;
  /** Wall-clock ms when it was accepted (for the age bound). */
  readonly at: number;
  /** Bytes it counts against `maxBytes`. */
  readonly bytes: number;
}

export type OutboxDropReason = 'size' | 'age' | 'too-large';

export interface OutboxOptions {
  /** Most pending bytes (topic + payload, UTF-8). @default 64 MiB */
  maxBytes?: number;
  /** Pending entries older than this (ms) are dropped. @default 7 days */
  maxAgeMs?: number;
  /** Called once per drop batch: why, how many, and the seq range dropped. @default none */
  onDrop?: (reason: OutboxDropReason, count: number, firstSeq: number, lastSeq: number) => void;
  /** Clock for ages, ms. @default Date.now */
  now?: () => number;
}

export interface EnqueueResult {
  /** False when the entry alone is larger than `maxBytes` (it is dropped as `too-large`). */
  kept: boolean;
  seq: number;
}

export interface OutboxStats {
  pending: number;
  pendingBytes: number;
  enqueued: number;
  acked: number;
  droppedSize: number;
  droppedAge: number;
  droppedTooLarge: number;
  /** Entries found pending when a persistent outbox was opened (delivered after a restart). */
  recovered: number;
  /** Unreadable records skipped when opening (a torn last line after power loss). */
  corrupt: number;
}

export interface Outbox {
  /** Makes the entry durable (for a persistent outbox: written to the file) before returning. */
  enqueue(topic: string, payload: string): EnqueueResult;
  /** Removes an acknowledged entry; false if it was not pending (already acked or dropped). */
  ack(seq: number): boolean;
  /** Up to `max` pending entries with seq greater than `afterSeq`, oldest first. */
  after(afterSeq: number, max: number): OutboxEntry[];
  /** Drops entries past the age bound; returns how many. */
  expire(): number;
  stats(): OutboxStats;
  /** Writes what is buffered and releases files. The outbox is unusable afterwards. */
  close(): Promise<void>;
}

export const OUTBOX_DEFAULTS = { maxBytes: 64 * 1024 * 1024, maxAgeMs: 7 * 24 * 3600 * 1000 } as const;
