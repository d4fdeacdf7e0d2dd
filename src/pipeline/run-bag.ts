/**
 * A recorded bag through the agent `sensebind run` would build (build.ts, bag mode), to its end: what
 * `replay`, `eval`, `demo`, `concepts teach` and the benches call. `collect` keeps every snapshot's
 * embeddings so matching can be re-run with other parameters without embedding again (studies, tuning).
 */
import type { TickResult } from '../agent/agent.js';
import type { Config } from '../config/schema.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { SenseEvent, SensorModality, SnapshotEmbeddings, StampNs } from '../core/types.js';
import type { LiveFeed } from '../live/feed.js';
import type { EventSink } from '../sinks/sink.js';
import type { BagSummary } from '../sources/bag.js';
import { parseTruth, type TruthEvent } from '../sim/truth.js';
import { buildAgent, type BuildOptions } from './build.js';
import type { Pipeline } from './open.js';

export interface BagRunOptions {
  /** 1 = real time, 0 = as fast as possible. @default 0 */
  speed?: number;
  /** Modalities removed before windowing. @default [] */
  drop?: readonly SensorModality[];
  /** Seconds between snapshots. @default the config's window.hopSeconds */
  hopSeconds?: number;
  /** Which of the config's sinks take the events (build.ts). @default 'none' */
  sinks?: BuildOptions['sinks'];
  /** Sinks of the caller's (replay --events). @default [] */
  extraSinks?: EventSink[];
  /** Keep every snapshot's embeddings in the result. @default false */
  collect?: boolean;
  onTick?: (result: TickResult, ms: number) => void;
  /** Each ground-truth record as the replay reaches it. */
  onTruth?: (truth: TruthEvent) => void;
  /** Stops the replay early (SIGINT). */
  signal?: AbortSignal;
  logger?: Logger;
  /** Per-topic clock check of the bag reader (ReadBagOptions.clock). @default map, 5 s */
  clock?: BuildOptions['bagClock'];
}

export interface ReplaySummary {
  samples: Record<SensorModality, number>;
  dropped: Record<SensorModality, number>;
  ticks: number;
  /** Ticks skipped because the previous one was still running (only at speed > 0, when the machine cannot keep up). */
  skippedTicks: number;
  events: SenseEvent[];
  first: StampNs | undefined;
  last: StampNs | undefined;
  /** Recording seconds covered. */
  durationSeconds: number;
  wallSeconds: number;
  aborted: boolean;
  /** Events a sink failed to take. */
  lostEvents: number;
}

export interface BagRun {
  summary: ReplaySummary;
  bag: BagSummary | undefined;
  truth: TruthEvent[];
  snapshots: SnapshotEmbeddings[];
  /** The live view's counters (config `live.port`), when it ran. */
  live: ReturnType<LiveFeed['stats']> | undefined;
}

export async function runBag(pipeline: Pipeline, config: Config, bag: string, options: BagRunOptions = {}): Promise<BagRun> {
  const { speed = 0, collect = false, logger = silentLogger() } = options;
  const truth: TruthEvent[] = [];
  const snapshots: SnapshotEmbeddings[] = [];
  const events: SenseEvent[] = [];
  let badTruth = 0;
  const wallStart = performance.now();
  const built = await buildAgent(pipeline, config, {
    mode: { kind: 'bag', path: bag, speed },
    logger,
    sinks: options.sinks ?? 'none',
    extraSinks: [...(options.extraSinks ?? []), collector(events)],
    drop: options.drop ?? [],
    ...(options.hopSeconds !== undefined ? { hopSeconds: options.hopSeconds } : {}),
    ...(options.clock !== undefined ? { bagClock: options.clock } : {}),
    onTick: (r, ms) => {
      if (collect) snapshots.push(r.embeddings);
      options.onTick?.(r, ms);
    },
    onTruth: (item) => {
      try {
        const parsed = parseTruth(item.text, `${bag} truth at ${item.stamp}`);
        truth.push(parsed);
        options.onTruth?.(parsed);
      } catch (err) {
        if (badTruth++ === 0) logger.warn({ bag, err: errorMessage(err) }, 'unreadable ground-truth message skipped');
      }
    },
  });
  const { service } = built;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    void service.stop('aborted');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await built.start();
    const stop = await service.stopped;
    const intake = service.intake();
    const ticks = service.ticker();
    if (ticks.ticks === 0 && !aborted) throw new SensebindError('INPUT', `${bag}: no sensor samples to replay${describeBag(built.bagSummary())}`);
    return {
      summary: {
        samples: intake.samples,
        dropped: intake.dropped,
        ticks: ticks.ticks,
        skippedTicks: ticks.skipped,
        events,
        first: intake.first,
        last: intake.last,
        durationSeconds: intake.first !== undefined && intake.last !== undefined ? Number(intake.last - intake.first) / 1e9 : 0,
        wallSeconds: (performance.now() - wallStart) / 1000,
        aborted,
        lostEvents: stop.lostEvents,
      },
      bag: built.bagSummary(),
      truth,
      snapshots,
      live: built.live?.stats(),
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await service.stop('finished');
    await built.close();
  }
}

/** Why a bag gave no samples, from its summary (unmapped topics, damage), for the error message. */
function describeBag(summary: BagSummary | undefined): string {
  if (summary === undefined) return '';
  const topics = Object.entries(summary.topics);
  if (summary.damage !== undefined) return ` (damaged at byte ${summary.damage.offset}: ${summary.damage.reason})`;
  if (topics.length === 0) return ` (${summary.messages} messages, no sensor topic)`;
  return ` (topics: ${topics.map(([t, c]) => `${t} decoded ${c.decoded} skipped ${c.skipped} bad ${c.bad}`).join('; ')})`;
}

/** A sink that keeps every event in order (the run's result). */
function collector(events: SenseEvent[]): EventSink {
  return {
    name: 'result',
    write: async (e) => void events.push(e),
    flush: async () => {},
    close: async () => {},
    stats: () => ({ written: events.length, dropped: 0, pending: 0, errors: 0 }),
  };
}
