/**
 * Replays a recorded stream of samples through an Agent on the recording's own clock.
 *
 * Ticks happen at recording time: before a sample stamped t is pushed, every tick due at or before t is
 * run, so a snapshot never sees data from its future. With `speed` 0 the replay runs as fast as the
 * pipeline allows, each tick awaited (back-pressure: nothing queues up); with `speed` > 0 it sleeps so
 * that recording time advances at `speed` times wall time.
 */
import { SENSOR_MODALITIES, type Sample, type SensorModality, type SenseEvent, type StampNs } from '../core/types.js';
import type { Agent, TickResult } from './agent.js';

/** What a replay consumes: samples, plus anything else (ground truth, skipped messages) passed through. */
export type ReplayItem<Other = unknown> = { kind: 'sample'; sample: Sample } | ({ kind: Exclude<string, 'sample'> } & Other);

export interface ReplayOptions {
  agent: Agent;
  /** Seconds between ticks, on the recording clock. */
  hopSeconds: number;
  /** 1 = real time, 10 = ten times faster, 0 = as fast as possible. @default 0 */
  speed?: number;
  /** Modalities removed before windowing (to show tolerance of missing sensors). @default [] */
  drop?: SensorModality[];
  /** Receives every non-sample item (e.g. ground truth). */
  onOther?: (item: { kind: string }) => void;
  onTick?: (result: TickResult) => void;
  /** Stops the replay early (SIGINT). */
  signal?: AbortSignal;
  /** Sleep function (injected for tests). @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
}

export interface ReplaySummary {
  samples: Record<SensorModality, number>;
  dropped: Record<SensorModality, number>;
  ticks: number;
  events: SenseEvent[];
  first: StampNs | undefined;
  last: StampNs | undefined;
  /** Recording seconds covered. */
  durationSeconds: number;
  wallSeconds: number;
  aborted: boolean;
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function replay(items: AsyncIterable<ReplayItem>, options: ReplayOptions): Promise<ReplaySummary> {
  const { agent, hopSeconds, speed = 0, drop = [], sleep = sleepMs } = options;
  const hop = BigInt(Math.round(hopSeconds * 1e9));
  const dropSet = new Set(drop);
  const zero = () => Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, 0])) as Record<SensorModality, number>;
  const summary: ReplaySummary = { samples: zero(), dropped: zero(), ticks: 0, events: [], first: undefined, last: undefined, durationSeconds: 0, wallSeconds: 0, aborted: false };
  const wallStart = performance.now();
  let nextTick: bigint | undefined;

  const runTick = async (t: StampNs) => {
    const result = await agent.tick(t);
    summary.ticks++;
    summary.events.push(...result.match.events);
    options.onTick?.(result);
  };
  const pace = async (t: StampNs) => {
    if (speed <= 0 || summary.first === undefined) return;
    const due = Number(t - summary.first) / 1e9 / speed;
    const ahead = due - (performance.now() - wallStart) / 1000;
    if (ahead > 0.002) await sleep(ahead * 1000);
  };

  for await (const item of items) {
    if (options.signal?.aborted) {
      summary.aborted = true;
      break;
    }
    if (item.kind !== 'sample') {
      options.onOther?.(item);
      continue;
    }
    const sample = (item as { kind: 'sample'; sample: Sample }).sample;
    const t = sample.stamp;
    if (summary.first === undefined) {
      summary.first = t;
      nextTick = t + hop;
    }
    while (nextTick !== undefined && nextTick <= t) {
      await pace(nextTick);
      await runTick(nextTick);
      nextTick += hop;
    }
    if (summary.last === undefined || t > summary.last) summary.last = t;
    if (dropSet.has(sample.modality)) {
      summary.dropped[sample.modality]++;
      continue;
    }
    summary.samples[sample.modality]++;
    agent.push(sample);
  }
  if (summary.last !== undefined && nextTick !== undefined && !summary.aborted) {
    // One last snapshot covering the tail of the recording.
    while (nextTick <= summary.last + hop) {
      await pace(nextTick);
      await runTick(nextTick);
      nextTick += hop;
    }
  }
  const end = nextTick ?? summary.last ?? 0n;
  summary.events.push(...(await agent.finish(end)));
  summary.durationSeconds = summary.first !== undefined && summary.last !== undefined ? Number(summary.last - summary.first) / 1e9 : 0;
  summary.wallSeconds = (performance.now() - wallStart) / 1000;
  return summary;
}
