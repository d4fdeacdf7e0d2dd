/**
 * Event clips: each event gets an MCAP file holding every sensor topic from `preRoll` seconds before the
 * event started until `postRoll` seconds after it ended, plus the event messages themselves on
 * /sensebind/events (std_msgs/String, JSON) and every snapshot's concept scores on /sensebind/scores
 * (fused, smoothed and per-modality scores against the on/off thresholds, from `recordScores`), so an
 * operator opens the clip in Foxglove, or feeds it to `sensebind replay`, and sees what the robot sensed
 * and why the event fired.
 *
 * A clip is streamed, not assembled at the end: on `start` the file opens with the pre-roll, later samples
 * are appended as they arrive, and the file closes once the sample clock passes end + postRoll (or the clip
 * reaches maxSeconds). Memory therefore stays at the pre-roll cap plus the writer's chunk, however long an
 * event runs. Writes to one clip are serialised by Ros2McapWriter; a clip whose disk falls behind by more
 * than `maxPendingBytes` loses samples (counted) rather than growing memory.
 *
 * The recorder never throws into the pipeline: a clip that cannot be written is logged once and counted,
 * and the event goes out without a `clip` field.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Ros2McapWriter } from '../bag/mcap-writer.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Sample, SenseEvent, StampNs } from '../core/types.js';
import { LIVE_TOPICS, SCORES_ROS_DEFINITIONS, SCORES_ROS_TYPE } from '../live/schemas.js';
import { scoresRosMessage, type ScoresMessage } from '../live/messages.js';
import { PreRollBuffer } from './preroll.js';
import { applyRetention } from './retention.js';
import { CLIP_TYPES, EVENTS_TOPIC, EVENTS_TYPE, clipTopic, sampleBytes, sampleMessage } from './sample-msg.js';

/** Topic of the concept scores in a clip (the live view's topic name, so one layout opens both). */
const SCORES_TOPIC = LIVE_TOPICS.scores;

export interface ClipRecorderOptions {
  /** Folder for clips; created if missing. */
  dir: string;
  /** @default 5 */
  preRollSeconds?: number;
  /** @default 2 */
  postRollSeconds?: number;
  /** @default 60 */
  maxSeconds?: number;
  /** Cap of the pre-roll buffer over all topics. @default 256 MiB */
  bufferBytes?: number;
  /** Retention: total size of the folder. @default 2 GiB */
  retentionBytes?: number;
  /** Retention: age of a clip. @default 7 days */
  retentionMs?: number;
  /**
   * Extra history kept beyond the pre-roll, because an event's `start` message arrives after its start stamp
   * (smoothing, minimum duration, inference time). @default 3
   */
  decisionDelaySeconds?: number;
  /** Bytes queued to one clip's writer before samples are dropped from that clip. @default 16 MiB */
  maxPendingBytes?: number;
  /** Clips open at once; an event starting beyond that gets no clip (counted). @default 4 */
  maxOpen?: number;
  /**
   * zstd level of clip chunks. Compression runs on the main thread (wasm), so speed beats ratio here:
   * level 1 is several times faster than rosbag2's 3 on camera frames. @default 1
   */
  zstdLevel?: number;
  logger?: Logger;
}

export interface ClipStats {
  open: number;
  written: number;
  failed: number;
  /** Samples left out of a clip because its writer fell behind. */
  droppedSamples: number;
  /** Events that got no clip because maxOpen clips were already open. */
  skipped: number;
  deletedByRetention: number;
  preRoll: ReturnType<PreRollBuffer['stats']>;
}

interface OpenClip {
  eventId: string;
  path: string;
  writer: Promise<Ros2McapWriter | undefined>;
  topics: Set<string>;
  openedAt: StampNs;
  /** Set when the event ended: the clip closes when the sample clock passes it. */
  closeAt: StampNs | undefined;
  pendingBytes: number;
  chain: Promise<void>;
  failed: boolean;
}

const NS = 1_000_000_000;

function seconds(s: number): bigint {
  return BigInt(Math.round(s * NS));
}

/** A file name that sorts by time and says what happened: 20260101T120000.123Z_glass_breaking_<id>.mcap */
function clipFileName(event: SenseEvent): string {
  const ms = Number(BigInt(event.start) / 1_000_000n);
  const when = Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().replace(/[-:]/g, '') : 'unknown';
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 48);
  return `${when}_${safe(event.concept.id)}_${safe(event.id)}.mcap`;
}

export class ClipRecorder {
  readonly dir: string;
  readonly #preRollNs: bigint;
  readonly #postRollNs: bigint;
  readonly #maxNs: bigint;
  readonly #retention: { maxBytes: number; maxAgeMs: number };
  readonly #maxPendingBytes: number;
  readonly #logger: Logger | undefined;
  readonly #preRoll: PreRollBuffer;
  readonly #maxOpen: number;
  readonly #zstdLevel: number;
  #skipped = 0;
  #clips = new Map<string, OpenClip>();
  /** Paths of clips already closed (maxSeconds), so late `update`/`end` messages still name their clip. */
  #recentlyClosed = new Map<string, string>();
  #closing = new Set<Promise<void>>();
  #clock: StampNs = 0n;
  #written = 0;
  #failed = 0;
  #dropped = 0;
  #deleted = 0;
  #retentionRunning: Promise<void> | undefined;
  /** Recent score messages (same span as the sample pre-roll), so a clip shows the scores before its start. */
  #scores: { stamp: StampNs; message: ScoresMessage }[] = [];
  readonly #scoreSpanNs: bigint;
  #dirReady: Promise<void> | undefined;

  constructor(options: ClipRecorderOptions) {
    const {
      dir, preRollSeconds = 5, postRollSeconds = 2, maxSeconds = 60, bufferBytes = 256 * 2 ** 20,
      retentionBytes = 2 * 2 ** 30, retentionMs = 7 * 24 * 3600 * 1000, maxPendingBytes = 16 * 2 ** 20, logger,
      decisionDelaySeconds = 3, maxOpen = 4, zstdLevel = 1,
    } = options;
    this.#maxOpen = maxOpen;
    this.#zstdLevel = zstdLevel;
    this.dir = resolve(dir);
    this.#preRollNs = seconds(preRollSeconds);
    this.#postRollNs = seconds(postRollSeconds);
    this.#maxNs = seconds(maxSeconds);
    this.#retention = { maxBytes: retentionBytes, maxAgeMs: retentionMs };
    this.#maxPendingBytes = maxPendingBytes;
    this.#logger = logger;
    this.#preRoll = new PreRollBuffer(preRollSeconds + decisionDelaySeconds, bufferBytes);
    this.#scoreSpanNs = seconds(preRollSeconds + decisionDelaySeconds);
  }

  /**
   * One snapshot's concept scores (the live view's message, src/live/messages.ts): kept for the pre-roll
   * and written to every open clip on SCORES_TOPIC, so a clip opened in Foxglove plots why its event fired.
   */
  recordScores(stamp: StampNs, message: ScoresMessage): void {
    this.#scores.push({ stamp, message });
    let old = 0;
    while (old < this.#scores.length - 1 && (this.#scores[old] as { stamp: StampNs }).stamp < stamp - this.#scoreSpanNs) old++;
    if (old > 0 || this.#scores.length > 4096) this.#scores.splice(0, Math.max(old, this.#scores.length - 4096));
    for (const clip of this.#clips.values()) this.#writeScores(clip, stamp, message);
  }

  /** Every decoded sample passes through here (synchronous, cheap): into the pre-roll and open clips. */
  push(sample: Sample): void {
    this.#preRoll.push(sample);
    for (const clip of this.#clips.values()) this.#append(clip, sample);
    this.advance(sample.stamp);
  }

  /**
   * Moves the clip clock (the newest stamp seen, or the agent clock when sensors go quiet) and closes
   * clips whose post-roll or maximum length has passed.
   */
  advance(now: StampNs): void {
    if (now > this.#clock) this.#clock = now;
    for (const clip of [...this.#clips.values()]) {
      const expired = clip.closeAt !== undefined ? this.#clock >= clip.closeAt : this.#clock - clip.openedAt >= this.#maxNs;
      if (expired) this.#close(clip);
    }
  }

  /**
   * Called for every event before it goes to the sinks: opens the clip on `start`, records the event in
   * every open clip, schedules the close on `end`. Returns the event with `clip` set when it has one.
   */
  annotate(event: SenseEvent): SenseEvent {
    let clip = this.#clips.get(event.id);
    let path = clip?.path;
    if (event.type === 'start' && !clip) {
      if (this.#clips.size >= this.#maxOpen) {
        if (this.#skipped++ === 0) this.#logger?.warn({ maxOpen: this.#maxOpen }, 'too many clips open at once; this event gets no clip (counted as skipped, logged once)');
      } else {
        clip = this.#open(event);
        path = clip.path;
      }
    } else if (!clip) {
      path = this.#recentlyClosed.get(event.id);
    }
    const annotated = path ? { ...event, clip: path } : event;
    const stamp = BigInt(event.type === 'end' && event.end !== null ? event.end : event.start);
    const logStamp = stamp > this.#clock ? stamp : this.#clock;
    for (const open of this.#clips.values()) this.#writeEvent(open, annotated, logStamp);
    if (event.type === 'end' && clip) {
      clip.closeAt = (event.end !== null ? BigInt(event.end) : this.#clock) + this.#postRollNs;
      this.advance(this.#clock);
    }
    return annotated;
  }

  /** The newest clip being recorded now, if any (the recall store links each moment to it). */
  currentClip(): string | undefined {
    let newest: string | undefined;
    for (const clip of this.#clips.values()) newest = clip.path;
    return newest;
  }

  /** Closes every open clip now (shutdown) and waits for the files to be complete. */
  async close(): Promise<void> {
    for (const clip of [...this.#clips.values()]) this.#close(clip);
    await Promise.all([...this.#closing]);
    await this.#retentionRunning;
  }

  /** Resolves when clips closed so far are on disk (tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.#closing]);
  }

  stats(): ClipStats {
    return {
      open: this.#clips.size,
      written: this.#written,
      failed: this.#failed,
      droppedSamples: this.#dropped,
      skipped: this.#skipped,
      deletedByRetention: this.#deleted,
      preRoll: this.#preRoll.stats(),
    };
  }

  #open(event: SenseEvent): OpenClip {
    const path = join(this.dir, clipFileName(event));
    this.#dirReady ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    const writer = this.#dirReady
      .then(() => Ros2McapWriter.open(path, { zstdLevel: this.#zstdLevel, definitions: SCORES_ROS_DEFINITIONS }))
      .catch((err: unknown) => {
        this.#fail(clip, err);
        return undefined;
      });
    const start = BigInt(event.start);
    const clip: OpenClip = {
      eventId: event.id, path, writer, topics: new Set(), openedAt: this.#clock > start ? this.#clock : start,
      closeAt: undefined, pendingBytes: 0, chain: Promise.resolve(), failed: false,
    };
    this.#clips.set(event.id, clip);
    for (const sample of this.#preRoll.since(start - this.#preRollNs)) this.#append(clip, sample);
    for (const s of this.#scores) if (s.stamp >= start - this.#preRollNs) this.#writeScores(clip, s.stamp, s.message);
    this.#logger?.info({ clip: path, concept: event.concept.id, event: event.id }, 'event clip started');
    return clip;
  }

  #append(clip: OpenClip, sample: Sample): void {
    if (clip.failed) return;
    const bytes = sampleBytes(sample);
    if (clip.pendingBytes + bytes > this.#maxPendingBytes) {
      this.#dropped++;
      return;
    }
    const topic = clipTopic(sample);
    clip.pendingBytes += bytes;
    this.#enqueue(clip, async (w) => {
      if (!clip.topics.has(topic)) {
        w.addTopic(topic, CLIP_TYPES[sample.modality]);
        clip.topics.add(topic);
      }
      try {
        await w.write(topic, sample.stamp, sampleMessage(sample));
      } finally {
        clip.pendingBytes -= bytes;
      }
    });
  }

  #writeScores(clip: OpenClip, stamp: StampNs, message: ScoresMessage): void {
    // Scores are small (about 150 bytes a concept) but still count against the clip's writer backlog.
    const bytes = 64 + 150 * message.concepts.length;
    if (clip.failed) return;
    if (clip.pendingBytes + bytes > this.#maxPendingBytes) {
      this.#dropped++;
      return;
    }
    clip.pendingBytes += bytes;
    this.#enqueue(clip, async (w) => {
      if (!clip.topics.has(SCORES_TOPIC)) {
        w.addTopic(SCORES_TOPIC, SCORES_ROS_TYPE);
        clip.topics.add(SCORES_TOPIC);
      }
      try {
        await w.write(SCORES_TOPIC, stamp, scoresRosMessage(message));
      } finally {
        clip.pendingBytes -= bytes;
      }
    });
  }

  #writeEvent(clip: OpenClip, event: SenseEvent, stamp: StampNs): void {
    this.#enqueue(clip, async (w) => {
      if (!clip.topics.has(EVENTS_TOPIC)) {
        w.addTopic(EVENTS_TOPIC, EVENTS_TYPE);
        clip.topics.add(EVENTS_TOPIC);
      }
      await w.write(EVENTS_TOPIC, stamp, { data: JSON.stringify(event) });
    });
  }

  #enqueue(clip: OpenClip, work: (w: Ros2McapWriter) => Promise<void>): void {
    clip.chain = clip.chain.then(async () => {
      if (clip.failed) return;
      const w = await clip.writer;
      if (!w) return;
      try {
        await work(w);
      } catch (err) {
        this.#fail(clip, err);
      }
    });
  }

  #close(clip: OpenClip): void {
    this.#clips.delete(clip.eventId);
    this.#recentlyClosed.set(clip.eventId, clip.path);
    if (this.#recentlyClosed.size > 256) this.#recentlyClosed.delete(this.#recentlyClosed.keys().next().value!);
    const done = clip.chain
      .then(async () => {
        const w = await clip.writer;
        if (!w) return;
        try {
          await w.close();
          if (!clip.failed) {
            this.#written++;
            this.#logger?.info({ clip: clip.path, seconds: Number(this.#clock - clip.openedAt) / NS }, 'event clip written');
          }
        } catch (err) {
          this.#fail(clip, err);
        }
      })
      .then(() => this.#retain());
    this.#closing.add(done);
    void done.finally(() => this.#closing.delete(done));
  }

  #retain(): Promise<void> {
    this.#retentionRunning ??= (async () => {
      try {
        const inUse = new Set([...this.#clips.values()].map((c) => c.path));
        const result = await applyRetention(this.dir, this.#retention, inUse);
        this.#deleted += result.deleted.length;
        if (result.deleted.length > 0) this.#logger?.info({ deleted: result.deleted.length, keptBytes: result.keptBytes }, 'clip retention');
      } finally {
        this.#retentionRunning = undefined;
      }
    })();
    return this.#retentionRunning;
  }

  #fail(clip: OpenClip, err: unknown): void {
    if (clip.failed) return;
    clip.failed = true;
    this.#failed++;
    this.#logger?.warn({ clip: clip.path, err: errorMessage(err) }, 'event clip could not be written; the event goes out without it');
  }
}

