/**
 * `replay <bag> --remember [dir]`: a recall writer fed by the replay's ticks, each moment linked to
 * `<bag>@<seconds after the bag's first sensor sample>` (the form `search --like` and the docs use).
 * Retention runs once at the end; the index is built there when the store is large enough.
 */
import type { RecallConfig } from '../config/recall.js';
import type { Logger } from '../core/log.js';
import type { TickResult } from '../agent/agent.js';
import type { Pipeline } from '../pipeline/open.js';
import { openRecallWriter } from './open.js';

const DEFAULT_RECALL_DIR = '.sensebind/recall';

export interface ReplayRecall {
  onTick: (r: TickResult) => void;
  /** Flushes and closes the store (idempotent); returns what was written. */
  finish(): Promise<{ dir: string; written: number; dropped: number; failed: number }>;
}

export async function rememberReplay(pipeline: Pipeline, bag: string, dir: string, config: RecallConfig, hopSeconds: number, logger: Logger): Promise<ReplayRecall> {
  const target = dir !== '' ? dir : config.dir !== '' ? config.dir : DEFAULT_RECALL_DIR;
  const hopNs = BigInt(Math.round(hopSeconds * 1e9));
  let origin: bigint | undefined;
  const writer = (await openRecallWriter({ ...config, dir: target }, { modelId: pipeline.runtime.modelId, embeddingDim: pipeline.runtime.manifest.embeddingDim }, logger, (stamp) => {
    origin ??= stamp - hopNs;
    return `${bag}@${(Number(stamp - origin) / 1e9).toFixed(1)}`;
  }))!;
  let result: Promise<{ dir: string; written: number; dropped: number; failed: number }> | undefined;
  return {
    onTick: (r) => writer.observe(r.embeddings),
    finish() {
      result ??= writer.close().then(() => {
        const s = writer.stats();
        return { dir: target, written: s.written, dropped: s.dropped, failed: s.failed };
      });
      return result;
    },
  };
}

/**
 * Lets a string flag be given without a value (`--remember` alone, or followed by another flag): it then
 * gets "" (the default folder). parseArgs has no optional values.
 */
export function optionalValue(argv: readonly string[], flag: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (a === flag && (next === undefined || next.startsWith('--'))) out.push(`${flag}=`);
    else out.push(a);
  }
  return out;
}
