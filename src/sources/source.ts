/**
 * What every sample source (ROS 2 topics, serial link, bag replay) offers the agent.
 * A source fails alone and recovers alone: errors are reported through `onError`/stats, never thrown into
 * the agent after start() resolves.
 */
import type { Sample } from '../core/types.js';

export interface SourceStats {
  /** Messages/frames received from the transport. */
  received: number;
  /** Turned into Samples. */
  decoded: number;
  /** Deliberately skipped (unmapped topic, disabled modality). */
  skipped: number;
  /** Malformed or undecodable input. */
  bad: number;
  /** Lost to a full queue or a detected gap (sequence numbers). */
  dropped: number;
  connected: boolean;
  /** Source-specific counters (per topic, CRC errors, reconnects...). */
  detail?: Record<string, number | string | boolean>;
}

export interface SampleSink {
  /**
   * Called for every decoded sample, in arrival order per sensor. A returned promise asks the source to
   * wait for it before the next sample (a bag replayed as fast as possible); live sources cannot wait and
   * ignore it, which the agent's busy policy for live modes ('skip') never asks of them.
   */
  (sample: Sample): Promise<void> | undefined | void;
}

export interface SampleSource {
  readonly name: string;
  /** Starts delivering samples; resolves once running (connected or retrying in the background). */
  start(onSample: SampleSink): Promise<void>;
  /** Stops intake; resolves when no more samples will be delivered. */
  stop(): Promise<void>;
  stats(): SourceStats;
}

export function emptySourceStats(): SourceStats {
  return { received: 0, decoded: 0, skipped: 0, bad: 0, dropped: 0, connected: false };
}
