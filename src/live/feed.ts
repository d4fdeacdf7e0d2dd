/**
 * Feeds the agent's ticks to everything that shows or keeps the evidence: the live view (when `live.port`
 * is set) and score recorders (event clips, the ROS 2 `~/scores` topic). The score message is built once
 * per tick, and only when someone takes it. `onTick` never throws into the agent.
 */
import type { TickResult } from '../agent/agent.js';
import type { LiveConfig } from '../config/live.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { StampNs } from '../core/types.js';
import type { LiveStats } from './live-server.js';
import { scoresMessage, type ScoresMessage } from './messages.js';

/** Keeps or forwards each tick's score message (ClipRecorder, Ros2ScoresPublisher). */
export interface ScoreRecorder {
  recordScores(stamp: StampNs, message: ScoresMessage): void;
}

export interface LiveFeedOptions {
  /** Seconds between ticks. @default 0.5 */
  hopSeconds?: number;
  recorders?: readonly (ScoreRecorder | undefined)[];
  /** Concepts per score message at most (running ones and the highest first). @default 256 */
  maxConcepts?: number;
  logger?: Logger;
}

export interface LiveFeed {
  onTick(tick: TickResult): void;
  /** The live view's stats (undefined without a server) and feed errors. */
  stats(): { live: LiveStats | undefined; errors: number };
  close(): Promise<void>;
}

/** Starts the live server (when configured) and returns the tick feed; undefined when nothing listens. */
export async function startLiveFeed(config: LiveConfig, options: LiveFeedOptions = {}): Promise<LiveFeed | undefined> {
  const { hopSeconds = 0.5, maxConcepts = 256, logger = silentLogger() } = options;
  const recorders = (options.recorders ?? []).filter((r): r is ScoreRecorder => r !== undefined);
  // Loaded only when the live view is on: the WebSocket server and sharp's JPEG encoder cost a few hundred
  // ms of start-up that every other command (replay, eval, a robot without a viewer) would pay.
  const server = config.port > 0 ? new (await import('./live-server.js')).LiveServer({ port: config.port, host: config.host, maxViewers: config.maxViewers, hopSeconds, logger: logger.child({ stage: 'live' }) }) : undefined;
  if (server === undefined && recorders.length === 0) return undefined;
  await server?.start();
  let errors = 0;
  const fail = (err: unknown) => {
    if (errors++ === 0) logger.warn({ err: errorMessage(err) }, 'live feed failed for a tick (counted; logged once)');
  };
  // One recorder that throws must not cost the others (or the viewers) their tick.
  const guard = (f: () => void) => {
    try {
      f();
    } catch (err) {
      fail(err);
    }
  };
  return {
    onTick(tick) {
      try {
        const wanted = recorders.length > 0 || (server !== undefined && server.viewers > 0);
        const trace = wanted ? tick.match.trace?.() : undefined;
        const scores = trace ? scoresMessage(trace, tick.snapshot.stamp, tick.snapshot.seq, maxConcepts) : undefined;
        if (scores) for (const r of recorders) guard(() => r.recordScores(tick.snapshot.stamp, scores));
        server?.publish(tick, scores);
      } catch (err) {
        fail(err);
      }
    },
    stats: () => ({ live: server?.stats(), errors }),
    close: async () => server?.close(),
  };
}
