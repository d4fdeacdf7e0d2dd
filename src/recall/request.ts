/**
 * A search request as the CLI and MQTT give it, validated in one place, and its execution against an open
 * store and pipeline. One schema for both doors, so a query that works on the command line works over
 * MQTT with the same field names.
 */
import { extname } from 'node:path';
import { z } from 'zod';
import { SensebindError } from '../core/errors.js';
import { SENSOR_MODALITIES, type Modality, type SensorModality, type StampNs } from '../core/types.js';
import type { Config } from '../config/schema.js';
import type { Pipeline } from '../pipeline/open.js';
import type { CalibrationOptions } from '../match/options.js';
import type { RecallStore, TimeRange } from './moment.js';
import { bagMomentQuery, fileQuery, parseBagMoment, textQuery, type QueryVectors } from './query.js';
import { searchStore } from './search.js';

const timeSchema = z.union([z.number(), z.string().min(1)]);

export const searchRequestSchema = z
  .strictObject({
    op: z.literal('search').optional(),
    /** Free text, scored like a concept that was never set up. */
    text: z.string().min(1).max(512).optional(),
    /** An example: an image/wav/csv file path, or `<bag>@<seconds>`. */
    like: z.string().min(1).optional(),
    /** The example file's modality when its extension does not say. */
    likeModality: z.enum(SENSOR_MODALITIES).optional(),
    /** Modalities that may give evidence (all when absent). */
    modalities: z.array(z.enum(SENSOR_MODALITIES)).min(1).optional(),
    /** Seconds (agent clock), an ISO date, or `-<n>s|m|h|d` before the newest remembered moment. */
    since: timeSchema.optional(),
    until: timeSchema.optional(),
    top: z.number().int().min(1).max(1000).default(10),
    gapSeconds: z.number().positive().default(1.5),
  })
  .refine((r) => (r.text === undefined) !== (r.like === undefined), { message: 'give exactly one of text or like' });

export type SearchRequest = z.infer<typeof searchRequestSchema>;

export interface SearchEnv {
  store: RecallStore;
  pipeline: Pipeline;
  /** The effective config (a --like bag@time replays through the agent it describes). */
  config: Config;
  hopSeconds: number;
  calibration?: CalibrationOptions;
  weights?: Partial<Record<SensorModality, number>>;
}

export interface RangeJson {
  start: string;
  end: string;
  peak: string;
  /** ISO time of the start when stamps are wall-clock (live); null for recording clocks before 2001. */
  startTime: string | null;
  durationSeconds: number;
  score: number;
  modalityScores: Partial<Record<SensorModality, number>>;
  present: SensorModality[];
  clip: string | null;
  moments: number;
}

export interface SearchResponse {
  query: { text: string | null; like: string | null; modalities: SensorModality[] };
  ranges: RangeJson[];
  scored: number;
  ms: { query: number; nearest: number; read: number; score: number };
}

const EXT_MODALITY: Record<string, SensorModality> = { '.png': 'vision', '.jpg': 'vision', '.jpeg': 'vision', '.wav': 'audio', '.csv': 'imu', '.f32': 'depth' };

export async function executeSearch(env: SearchEnv, req: SearchRequest): Promise<SearchResponse> {
  const t0 = performance.now();
  const state = env.pipeline.memory.state;
  let query: QueryVectors;
  if (req.text !== undefined) {
    query = await textQuery(env.pipeline.runtime, state, req.text);
  } else {
    const like = req.like as string;
    const bagMoment = parseBagMoment(like);
    if (bagMoment !== undefined) {
      query = await bagMomentQuery(env.pipeline, env.config, bagMoment.bag, bagMoment.seconds, env.hopSeconds);
    } else {
      const modality: Modality | undefined = req.likeModality ?? EXT_MODALITY[extname(like).toLowerCase()];
      if (modality === undefined) throw new SensebindError('USAGE', `--like ${like}: cannot tell the modality from the extension; add --like-modality <${SENSOR_MODALITIES.join('|')}>`);
      query = await fileQuery(env.pipeline.runtime, modality, like, { modelDir: env.pipeline.runtime.loaded.dir });
    }
  }
  const t1 = performance.now();
  const range: TimeRange = {};
  const needsNewest = [req.since, req.until].some((v) => typeof v === 'string' && v.startsWith('-'));
  const newest = needsNewest ? (await env.store.stats()).newest : undefined;
  if (req.since !== undefined) range.since = parseTime('since', req.since, newest);
  if (req.until !== undefined) range.until = parseTime('until', req.until, newest);
  const modalities = req.modalities ?? [...SENSOR_MODALITIES];
  const result = await searchStore(env.store, state, query, {
    top: req.top,
    gapSeconds: req.gapSeconds,
    range,
    modalities,
    modalityScales: Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, env.pipeline.runtime.manifest.modalities[m] !== undefined ? env.pipeline.runtime.scale(m) : 1])),
    ...(env.calibration !== undefined ? { calibration: env.calibration } : {}),
    ...(env.weights !== undefined ? { weights: env.weights } : {}),
  });
  return {
    query: { text: req.text ?? null, like: req.like ?? null, modalities },
    ranges: result.ranges.map((r) => ({
      start: r.start.toString(),
      end: r.end.toString(),
      peak: r.peak.toString(),
      startTime: r.start > 978_307_200_000_000_000n ? new Date(Number(r.start / 1_000_000n)).toISOString() : null,
      durationSeconds: round(Number(r.end - r.start) / 1e9 + env.hopSeconds),
      score: round(r.score),
      modalityScores: Object.fromEntries(Object.entries(r.modalityScores).map(([m, s]) => [m, round(s)])),
      present: r.present,
      clip: r.clip,
      moments: r.moments,
    })),
    scored: result.scored,
    ms: { query: round(t1 - t0), nearest: round(result.timings.nearestMs), read: round(result.timings.readMs), score: round(result.timings.scoreMs) },
  };
}

/** Seconds on the agent clock, an ISO date, or `-<n><s|m|h|d>` before the newest remembered moment. */
function parseTime(field: string, value: number | string, newest: StampNs | undefined): StampNs {
  if (typeof value === 'number') return BigInt(Math.round(value * 1e9));
  const rel = /^-(\d+(?:\.\d+)?)([smhd])$/.exec(value);
  if (rel !== null) {
    if (newest === undefined) throw new SensebindError('USAGE', `--${field} ${value}: the store is empty, nothing to count back from`);
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[rel[2] as 's' | 'm' | 'h' | 'd'];
    return newest - BigInt(Math.round(Number(rel[1]) * unit * 1e9));
  }
  if (/^\d+(\.\d+)?$/.test(value)) return BigInt(Math.round(Number(value) * 1e9));
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new SensebindError('USAGE', `--${field}: expected seconds, an ISO date or -<n>s|m|h|d, got "${value}"`);
  return BigInt(ms) * 1_000_000n;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
