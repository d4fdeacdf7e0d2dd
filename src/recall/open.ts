/**
 * Opening the recall writer for an agent (run: from the `recall` config section; replay: `--remember`),
 * and its face as an EventSink, so the service flushes and closes it at stop with the other sinks and
 * its counters appear in the metrics. Events themselves are not stored: they already go to the sinks.
 */
import type { RecallConfig } from '../config/recall.js';
import type { Config } from '../config/schema.js';
import type { Pipeline } from '../pipeline/open.js';
import type { SearchEnv } from './request.js';
import type { Logger } from '../core/log.js';
import type { SenseEvent } from '../core/types.js';
import type { EventSink, SinkStats } from '../sinks/sink.js';
import type { Ros2Session } from '../ros2/session.js';
import { Ros2RecallSearch } from './ros2-search.js';
import { RecallWriter } from './writer.js';

export interface RecallModel {
  modelId: string;
  embeddingDim: number;
}

export async function openRecallWriter(
  config: RecallConfig,
  model: RecallModel,
  logger: Logger,
  clipOf?: (stamp: bigint) => string | undefined,
): Promise<RecallWriter | undefined> {
  if (config.dir === '') return undefined;
  // LanceDB and Arrow (about 150 files) load only when recall is on: every other start skips them.
  const { LanceRecallStore } = await import('./lance-store.js');
  const store = await LanceRecallStore.open({
    dir: config.dir,
    modelId: model.modelId,
    dim: model.embeddingDim,
    cacheMiB: { index: config.indexCacheMiB, metadata: config.metadataCacheMiB },
  });
  logger.info({ dir: config.dir, maxGiB: config.maxGiB, maxDays: config.maxDays }, 'recall: remembering every snapshot');
  return new RecallWriter({
    store,
    logger,
    flushSeconds: config.flushSeconds,
    maxQueue: config.maxQueue,
    maintainSeconds: config.maintainMinutes * 60,
    retention: { maxBytes: config.maxGiB * 2 ** 30, maxAgeSeconds: config.maxDays * 86400 },
    ...(clipOf !== undefined ? { clipOf } : {}),
  });
}

/** The writer as a sink: flush/close/stats only; `write` takes no events. */
export function recallSink(writer: RecallWriter): EventSink {
  return {
    name: 'recall',
    write: (_event: SenseEvent) => Promise.resolve(),
    flush: (deadlineMs?: number) => writer.flush(deadlineMs),
    close: () => writer.close(),
    stats(): SinkStats {
      const s = writer.stats();
      return {
        written: s.written,
        dropped: s.dropped,
        pending: s.queued,
        errors: s.failed + s.maintenanceErrors,
        detail: {
          observed: s.observed,
          appends: s.appends,
          meanAppendMs: Math.round(s.meanAppendMs * 10) / 10,
          retentionDropped: s.retentionDropped,
          rolledRows: s.rolledRows,
          indexBuilds: s.indexBuilds,
          indexBuildSeconds: Math.round(s.indexBuildSeconds),
          maxMaintenanceSeconds: Math.round(s.maxMaintenanceSeconds * 10) / 10,
          cacheMiB: Math.round(writer.store.cacheBytes() / 2 ** 20),
        },
      };
    },
  };
}

/** What a search in the agent's own process needs: its store, model, concepts and matching settings. */
export function recallSearchEnv(writer: RecallWriter, pipeline: Pipeline, config: Config): SearchEnv {
  return {
    store: writer.store,
    pipeline,
    config,
    hopSeconds: config.window.hopSeconds,
    calibration: { textScale: pipeline.runtime.scale('text'), ...config.match.calibration },
    weights: config.match.fusion.weights,
  };
}

/** Search over ROS 2 for an agent with a ROS 2 node: answers REFUSED without a store, as over MQTT. */
export function openRos2Search(config: Config, session: Ros2Session, env: SearchEnv | undefined, logger: Logger): Ros2RecallSearch {
  return new Ros2RecallSearch({ session, topic: config.ros2.searchTopic, replyTopic: config.ros2.searchReplyTopic, env, logger });
}
