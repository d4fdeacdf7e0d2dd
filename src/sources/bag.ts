/**
 * Bag replay: rosbag2 MCAP (cdr), MCAP with ros1 encoding and ROS 1 .bag files through the same
 * MessageConverter as live ROS 2, so a replay test exercises the robot's decoding path.
 *
 * `readBag` is the pull interface (an async generator: the consumer's pace is the back-pressure; nothing
 * is read ahead beyond the chunk being decoded). `BagSource` is the push interface the agent runs
 * (SampleSource), pacing the same iterator at real time, at a speed factor, or as fast as possible.
 * The sample stamp is the header stamp (log time when the header stamp is zero): during replay the bag's
 * clock is the agent clock. A topic whose header stamps run on another clock than the log time is mapped
 * onto it or refused (`clock`, src/core/topic-clocks.ts), so one bad clock cannot stall or empty a replay. `/sensebind/truth` (std_msgs/String, written by the simulator) surfaces as
 * 'truth' items for evaluation.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sample } from '../core/types.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { detectBagFormat, readBagRecords } from '../bag/open-bag.js';
import type { BagFormat } from '../bag/records.js';
import { MessageConverter, type ConverterOptions, type TopicCounts } from '../decode/converter.js';
import { shortTypeName } from '../decode/ros-type.js';
import { TopicClocks, type TopicClockOptions, type TopicClockReport } from '../core/topic-clocks.js';
import { emptySourceStats, type SampleSink, type SampleSource, type SourceStats } from './source.js';

/** Paced replay wakes at most this often (ms); see #run. */
const PACE_GRAIN_MS = 20;

export type BagItem =
  | { kind: 'sample'; topic: string; sample: Sample }
  | { kind: 'truth'; topic: string; stamp: bigint; text: string }
  | { kind: 'skipped'; topic: string; stamp: bigint; reason: string };

/** The topic name used for a 'skipped' item that reports damage to the bag itself. */
const BAG_DAMAGE_TOPIC = '(bag)';

export interface BagSummary {
  path: string;
  format: BagFormat;
  /** Messages read from the bag (all topics). */
  messages: number;
  /** Per topic: decoded / skipped / bad (incl. undeserialisable) / info. */
  topics: Record<string, TopicCounts>;
  truths: number;
  /** Log time of the first and last message, ns. */
  firstLogTime?: bigint;
  lastLogTime?: bigint;
  /** Set when the bag is truncated or corrupt: replay stopped at this byte offset. */
  damage?: { offset: number; reason: string };
  /** Topics whose header stamps ran on another clock than the log time, and what was done (ReadBagOptions.clock). */
  clocks: Record<string, TopicClockReport>;
}

export interface ReadBagOptions extends ConverterOptions {
  /** Topic whose std_msgs/String messages are ground truth, not sensor data. @default '/sensebind/truth' */
  truthTopic?: string;
  /** Called once when reading ends (normally or at damage) with the summary. @default none */
  onSummary?: (summary: BagSummary) => void;
  /**
   * Header stamps against the log time, per topic (src/core/topic-clocks.ts): a topic more than
   * `toleranceSeconds` off is mapped onto the log clock by a fixed offset (`map`) or skipped (`refuse`),
   * with one warning naming it. @default { mode: 'map', toleranceSeconds: 5 }
   */
  clock?: Pick<TopicClockOptions, 'mode' | 'toleranceSeconds'>;
}

/** Streams a bag as samples, truth records and skip notices, in log-time order; returns the summary. */
export async function* readBag(path: string, options: ReadBagOptions = {}): AsyncGenerator<BagItem, BagSummary> {
  const { truthTopic = '/sensebind/truth', onSummary, logger = silentLogger() } = options;
  const clocks = new TopicClocks({ ...options.clock, receiveClock: 'bag log time', logger });
  const converter = new MessageConverter({ ...options, stampPolicy: clocks, logger });
  const summary: BagSummary = { path, format: await detectBagFormat(path), messages: 0, topics: {}, truths: 0, clocks: {} };
  try {
    for await (const record of readBagRecords(path)) {
      if (record.kind === 'damage') {
        summary.damage = { offset: record.offset, reason: record.reason };
        logger.warn({ bag: path, offset: record.offset, reason: record.reason }, 'bag is damaged; replay stops here');
        yield {
          kind: 'skipped',
          topic: BAG_DAMAGE_TOPIC,
          stamp: summary.lastLogTime ?? 0n,
          reason: `bag damaged at byte ${record.offset}: ${record.reason}; nothing after it was read`,
        };
        break;
      }
      summary.messages++;
      summary.firstLogTime ??= record.logTime;
      summary.lastLogTime = record.logTime;
      const { topic, logTime } = record;
      if (record.kind === 'undecodable') {
        converter.countBad(topic, record.type, record.reason);
        yield { kind: 'skipped', topic, stamp: logTime, reason: `malformed: ${record.reason}` };
        continue;
      }
      const isTruth = topic === truthTopic && shortTypeName(record.type) === 'std_msgs/String';
      const skip = isTruth ? undefined : converter.precheck(topic, record.type);
      if (skip !== undefined) {
        converter.countSkipped(topic, record.type, skip);
        yield { kind: 'skipped', topic, stamp: logTime, reason: skip };
        continue;
      }
      let message: unknown;
      try {
        message = record.decode();
      } catch (err) {
        const reason = errorMessage(err);
        converter.countBad(topic, record.type, reason);
        yield { kind: 'skipped', topic, stamp: logTime, reason: `malformed: ${reason}` };
        continue;
      }
      if (isTruth) {
        const data = (message as { data?: unknown } | null)?.data;
        if (typeof data === 'string') {
          summary.truths++;
          yield { kind: 'truth', topic, stamp: logTime, text: data };
          continue;
        }
      }
      const result = await converter.convert(topic, record.type, message, logTime);
      switch (result.kind) {
        case 'sample':
          yield { kind: 'sample', topic, sample: result.sample };
          break;
        case 'skipped':
          yield { kind: 'skipped', topic, stamp: logTime, reason: result.reason };
          break;
        case 'bad':
          yield { kind: 'skipped', topic, stamp: logTime, reason: `malformed: ${result.reason}` };
          break;
        case 'info':
          break;
      }
    }
  } finally {
    summary.topics = converter.summary();
    summary.clocks = clocks.report();
    onSummary?.(summary);
  }
  return summary;
}

export interface BagSourceOptions extends ReadBagOptions {
  /** Replay speed: 1 = real time, 2 = twice as fast, 0 = as fast as possible. @default 1 */
  speed?: number;
  /** Receives ground-truth records (simulator bags). @default none */
  onTruth?: (item: Extract<BagItem, { kind: 'truth' }>) => void;
  /** Samples handed over between yields to the event loop when running as fast as possible. @default 64 */
  burst?: number;
}

/**
 * A bag as a SampleSource for `sensebind run`/`replay`. start() returns at once; `finished` resolves with
 * the summary when the bag has been played (or stop() was called). Errors end the source, never throw.
 */
export class BagSource implements SampleSource {
  readonly name: string;
  readonly path: string;
  #options: BagSourceOptions;
  #log: Logger;
  #stats: SourceStats = emptySourceStats();
  #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #summary: BagSummary | undefined;
  #resolveFinished!: (s: BagSummary | undefined) => void;
  /** Resolves with the summary when the bag has been played to its end, or undefined if it could not be read. */
  readonly finished: Promise<BagSummary | undefined>;

  constructor(path: string, options: BagSourceOptions = {}) {
    this.path = path;
    this.name = `bag:${path}`;
    this.#options = { ...options };
    this.#log = options.logger ?? silentLogger();
    this.finished = new Promise((resolve) => {
      this.#resolveFinished = resolve;
    });
  }

  async start(onSample: SampleSink): Promise<void> {
    if (this.#loop !== undefined) return;
    this.#stats.connected = true;
    this.#loop = this.#run(onSample).finally(() => {
      this.#stats.connected = false;
      this.#resolveFinished(this.#summary);
    });
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  /** The bag's summary once it has been read to its end (or its damage), undefined before. */
  summary(): BagSummary | undefined {
    return this.#summary;
  }

  stats(): SourceStats {
    const detail: Record<string, number | string | boolean> = {};
    const topics = this.#summary?.topics ?? {};
    for (const [topic, c] of Object.entries(topics)) {
      detail[`${topic}.decoded`] = c.decoded;
      detail[`${topic}.skipped`] = c.skipped;
      detail[`${topic}.bad`] = c.bad;
      if (c.firstReason !== undefined) detail[`${topic}.firstReason`] = c.firstReason;
    }
    for (const [topic, c] of Object.entries(this.#summary?.clocks ?? {})) detail[`${topic}.clockOffsetSeconds`] = c.offsetSeconds;
    if (this.#summary?.damage !== undefined) detail['damageOffset'] = this.#summary.damage.offset;
    return { ...this.#stats, detail };
  }

  async #run(onSample: SampleSink): Promise<void> {
    const { speed = 1, burst = 64, onTruth } = this.#options;
    const signal = this.#abort.signal;
    let bagStart: bigint | undefined;
    let wallStart = 0;
    let sinceYield = 0;
    const items = readBag(this.path, {
      ...this.#options,
      logger: this.#log,
      onSummary: (s) => {
        this.#summary = s;
        this.#options.onSummary?.(s); // the caller's too (the pipeline reports it)
      },
    });
    try {
      for await (const item of items) {
        if (signal.aborted) break;
        const stamp = item.kind === 'sample' ? item.sample.stamp : item.stamp;
        if (speed > 0 && stamp > 0n) {
          if (bagStart === undefined) {
            bagStart = stamp;
            wallStart = performance.now();
          }
          const due = wallStart + Number(stamp - bagStart) / 1e6 / speed;
          const wait = due - performance.now();
          if (wait > 0) {
            try {
              // Wake at most once per PACE_GRAIN_MS and hand over everything due by then: a 200 Hz IMU
              // would otherwise wake the process 200 times a second. Samples arrive up to one grain late,
              // like any sensor's transport; ticks follow the samples' stamps, so the events do not change.
              await sleep(Math.max(wait, PACE_GRAIN_MS), undefined, { signal });
            } catch {
              break; // aborted
            }
          }
        } else if (++sinceYield >= burst) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
        switch (item.kind) {
          case 'sample':
            this.#stats.received++;
            this.#stats.decoded++;
            try {
              const wait = onSample(item.sample);
              if (wait) await wait;
            } catch (err) {
              this.#log.error({ bag: this.path, err: errorMessage(err) }, 'sample consumer threw');
            }
            break;
          case 'truth':
            onTruth?.(item);
            break;
          case 'skipped':
            this.#stats.received++;
            if (item.reason.startsWith('malformed') || item.topic === BAG_DAMAGE_TOPIC) this.#stats.bad++;
            else this.#stats.skipped++;
            break;
        }
      }
    } catch (err) {
      this.#log.error({ bag: this.path, err: errorMessage(err) }, 'bag replay failed');
    } finally {
      await items.return(undefined as never);
    }
  }
}
