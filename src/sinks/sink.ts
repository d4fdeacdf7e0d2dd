/**
 * What every event sink (JSONL, MQTT, ROS 2) offers the agent. A sink fails alone: write() must not throw
 * for transport trouble (it queues, retries, counts); it throws only for programming errors.
 */
import type { SenseEvent } from '../core/types.js';

export interface SinkStats {
  written: number;
  /** Events the sink could not keep (queue/outbox bound reached), counted, never silent. */
  dropped: number;
  /** Events accepted but not yet durable/delivered (e.g. MQTT outbox depth). */
  pending: number;
  errors: number;
  detail?: Record<string, number | string | boolean>;
}

export interface EventSink {
  readonly name: string;
  /** Accepts one event; resolves once the sink has taken responsibility for it (e.g. on disk). */
  write(event: SenseEvent): Promise<void>;
  /** Resolves when everything written so far is delivered or durable, or the deadline passes. */
  flush(deadlineMs?: number): Promise<void>;
  close(): Promise<void>;
  stats(): SinkStats;
}
