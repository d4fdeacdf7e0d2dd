/**
 * One converter from ROS message objects to Samples, shared by live ROS 2 subscriptions and bag replay
 * (ROS 1 and ROS 2 shapes alike), so replay tests exercise exactly what runs on the robot.
 *
 * A topic's modality comes from config, else from its message type (Image by encoding: 16UC1/32FC1 =
 * depth; CompressedImage by format: compressedDepth = depth). Converting never throws: a malformed
 * message is counted as `bad`, a message sensebind deliberately does not use as `skipped`, each with a
 * reason logged once per topic. ros-drivers audio needs the format from its AudioInfo side topic, which
 * the converter consumes as state.
 */
import type { Sample, SensorModality } from '../core/types.js';
import type { StampDecision } from '../core/topic-clocks.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { decodeAudioToolsAudio, decodeMgonzs13Audio, decodeRosDriversAudio, parseRosDriversInfo, type AudioFormatInfo } from './audio.js';
import { decodeCompressedDepth, decodeCompressedVision, isCompressedDepthFormat } from './compressed-image.js';
import { headerStamp, obj, type Fields } from './fields.js';
import { decodeImage, defaultImageModality } from './image.js';
import { decodeImu, imuAbsentFields, imuNotProvided } from './imu.js';
import { shortTypeName } from './ros-type.js';

export type ConvertResult =
  | { kind: 'sample'; sample: Sample }
  | { kind: 'skipped'; reason: string }
  | { kind: 'bad'; reason: string }
  /** A side-topic message (AudioInfo) taken as state; nothing to emit. */
  | { kind: 'info' };

export type TopicMapping = SensorModality | 'ignore';

export interface ConverterOptions {
  /** Topic -> modality, or 'ignore'. Unlisted topics get a modality from their message type. @default {} */
  topics?: Record<string, TopicMapping>;
  /** Decode only the topics listed in `topics` (others are skipped). @default false */
  onlyListed?: boolean;
  /** Audio topic -> its AudioInfo topic (ros-drivers layout). @default the sibling `audio_info` of the audio topic */
  audioInfoTopics?: Record<string, string>;
  /** Format of ros-drivers audio until an AudioInfo arrives. @default none (such audio is skipped until then) */
  audioFormat?: AudioFormatInfo;
  /**
   * Checks each sample's stamp against its receive stamp (src/core/topic-clocks.ts): a topic on another
   * clock is mapped onto the receive clock or its messages are skipped. @default none (header stamps as they are)
   */
  stampPolicy?: { map(topic: string, stamp: bigint, receiveStamp: bigint): StampDecision };
  /**
   * Messages are not reused after `convert` (live messages): frames may keep views into them and convert
   * their pixels when first read (decode/image.ts). @default false (bag readers may reuse chunk buffers)
   */
  ownedMessages?: boolean;
  /** @default silent */
  logger?: Logger;
}

export interface TopicCounts {
  type: string;
  modality?: SensorModality;
  received: number;
  decoded: number;
  skipped: number;
  bad: number;
  /** Side-topic messages consumed as state (AudioInfo). */
  info: number;
  /** The first reason a message on this topic was skipped or bad (the one that was logged). */
  firstReason?: string;
}

/** Message types the converter handles (short names). */
const KNOWN_TYPES = new Set([
  'sensor_msgs/Image',
  'sensor_msgs/CompressedImage',
  'sensor_msgs/Imu',
  'audio_common_msgs/AudioInfo',
  'audio_common_msgs/AudioData',
  'audio_common_msgs/AudioDataStamped',
  'audio_common_msgs/AudioStamped',
  'audio_common_msgs/Audio',
  'audio_tools/AudioDataStamped',
  'audio_tools/AudioInfo',
  'audio_tools/AudioData',
]);

const FRAME_MODALITIES = new Set<SensorModality>(['vision', 'depth', 'thermal']);

function siblingInfoTopic(topic: string): string {
  const cut = topic.lastIndexOf('/');
  return `${cut >= 0 ? topic.slice(0, cut) : ''}/audio_info`;
}

export class MessageConverter {
  #topics: Record<string, TopicMapping>;
  #onlyListed: boolean;
  #infoTopics: Record<string, string>;
  #defaultAudio: AudioFormatInfo | undefined;
  #stampPolicy: ConverterOptions['stampPolicy'];
  #owned: boolean;
  #log: Logger;
  #counts = new Map<string, TopicCounts>();
  #audioInfo = new Map<string, AudioFormatInfo>();
  #logged = new Set<string>();

  constructor(options: ConverterOptions = {}) {
    const { topics = {}, onlyListed = false, audioInfoTopics = {}, audioFormat, logger = silentLogger() } = options;
    this.#topics = { ...topics };
    this.#onlyListed = onlyListed;
    this.#infoTopics = { ...audioInfoTopics };
    this.#defaultAudio = audioFormat;
    this.#stampPolicy = options.stampPolicy;
    this.#owned = options.ownedMessages ?? false;
    this.#log = logger;
  }

  /**
   * Converts one message. `receiveStamp` (log time in a bag, arrival time live) stands in when the header
   * stamp is zero or missing, and always for audio_tools (its stamps are sample counts).
   */
  async convert(topic: string, type: string, message: unknown, receiveStamp: bigint): Promise<ConvertResult> {
    const counts = this.#countsFor(topic, type);
    counts.received++;
    let result: ConvertResult;
    try {
      result = await this.#convert(topic, shortTypeName(type), obj(message, type), receiveStamp);
    } catch (err) {
      result = { kind: 'bad', reason: errorMessage(err) };
    }
    if (result.kind === 'sample' && this.#stampPolicy !== undefined) {
      const decision = this.#stampPolicy.map(topic, result.sample.stamp, receiveStamp);
      if (decision.kind === 'refused') result = { kind: 'skipped', reason: decision.reason };
      // in place: the sample is this call's own, and a spread would convert a deferred frame (image.ts)
      else result.sample.stamp = decision.stamp;
    }
    switch (result.kind) {
      case 'sample':
        counts.decoded++;
        counts.modality = result.sample.modality;
        break;
      case 'info':
        counts.info++;
        break;
      case 'skipped':
      case 'bad':
        counts[result.kind]++;
        counts.firstReason ??= result.reason;
        this.#logOnce(topic, type, result.kind, result.reason);
        break;
    }
    return result;
  }

  /**
   * Why a message of `type` on `topic` would be skipped whatever its content (ignored, unlisted, no
   * converter), so callers can skip deserialising it; undefined when it needs converting.
   */
  precheck(topic: string, type: string): string | undefined {
    const mapped = this.#topics[topic];
    if (mapped === 'ignore') return 'topic ignored by config';
    if (mapped === undefined && this.#onlyListed) return 'topic not listed in config';
    const short = shortTypeName(type);
    return KNOWN_TYPES.has(short) ? undefined : `no converter for ${short}`;
  }

  /** Counts a message skipped without converting it (after precheck), logged once per topic. */
  countSkipped(topic: string, type: string, reason: string): void {
    const counts = this.#countsFor(topic, type);
    counts.received++;
    counts.skipped++;
    counts.firstReason ??= reason;
    this.#logOnce(topic, type, 'skipped', reason);
  }

  /** Counts a message that never reached a converter (it could not be deserialised), logged once per topic. */
  countBad(topic: string, type: string, reason: string): void {
    const counts = this.#countsFor(topic, type);
    counts.received++;
    counts.bad++;
    counts.firstReason ??= reason;
    this.#logOnce(topic, type, 'bad', reason);
  }

  /** Per-topic counts so far (a copy). */
  summary(): Record<string, TopicCounts> {
    return Object.fromEntries([...this.#counts].map(([t, c]) => [t, { ...c }]));
  }

  #countsFor(topic: string, type: string): TopicCounts {
    let c = this.#counts.get(topic);
    if (c === undefined) {
      c = { type, received: 0, decoded: 0, skipped: 0, bad: 0, info: 0 };
      this.#counts.set(topic, c);
    }
    return c;
  }

  #logOnce(topic: string, type: string, kind: 'skipped' | 'bad', reason: string): void {
    const key = `${kind}\u0000${topic}`;
    if (this.#logged.has(key)) return;
    this.#logged.add(key);
    const fields = { topic, type, reason };
    if (kind === 'bad') this.#log.warn(fields, 'bad message; further bad messages on this topic are counted, not logged');
    else this.#log.info(fields, 'message skipped; further skips on this topic are counted, not logged');
  }

  async #convert(topic: string, type: string, msg: Fields, receiveStamp: bigint): Promise<ConvertResult> {
    const pre = this.precheck(topic, type);
    if (pre !== undefined) return { kind: 'skipped', reason: pre };
    // precheck returned early for 'ignore'
    const mapped = this.#topics[topic] as SensorModality | undefined;
    const stamp = headerStamp(msg) ?? receiveStamp;
    const wrongMapping = (what: string): ConvertResult => ({
      kind: 'skipped',
      reason: `topic mapped to ${mapped} but carries ${type} (${what})`,
    });
    switch (type) {
      case 'sensor_msgs/Image': {
        if (mapped !== undefined && !FRAME_MODALITIES.has(mapped)) return wrongMapping('an image');
        const modality = (mapped ?? defaultImageModality(String(msg['encoding'] ?? ''))) as 'vision' | 'depth' | 'thermal';
        return { kind: 'sample', sample: decodeImage(msg, modality, topic, stamp, this.#owned) };
      }
      case 'sensor_msgs/CompressedImage': {
        if (mapped !== undefined && mapped !== 'vision' && mapped !== 'depth') return wrongMapping('a compressed image: vision or depth');
        const depth = mapped === 'depth' || (mapped === undefined && isCompressedDepthFormat(String(msg['format'] ?? '')));
        const sample = depth ? await decodeCompressedDepth(msg, topic, stamp) : await decodeCompressedVision(msg, topic, stamp);
        return { kind: 'sample', sample };
      }
      case 'sensor_msgs/Imu': {
        if (mapped !== undefined && mapped !== 'imu') return wrongMapping('IMU readings');
        const missing = imuNotProvided(msg);
        if (missing !== undefined) return { kind: 'skipped', reason: missing };
        const absent = imuAbsentFields(msg);
        if (absent.length > 0 && !this.#logged.has(`absent\u0000${topic}`)) {
          this.#logged.add(`absent\u0000${topic}`);
          this.#log.info({ topic, type, absent }, `IMU ${topic}: ${absent.join(' and ')} not provided (covariance[0] = -1); fed to the model as zeros`);
        }
        return { kind: 'sample', sample: decodeImu(msg, topic, stamp) };
      }
      case 'audio_common_msgs/AudioInfo':
        if ('sample_rate' in msg) {
          this.#audioInfo.set(topic, parseRosDriversInfo(msg));
          return { kind: 'info' };
        }
        return { kind: 'skipped', reason: 'mgonzs13 AudioInfo travels inside AudioStamped; nothing to do' };
      case 'audio_common_msgs/AudioData':
      case 'audio_common_msgs/AudioDataStamped': {
        if (mapped !== undefined && mapped !== 'audio') return wrongMapping('audio');
        const info = this.#infoFor(topic);
        if (info === undefined) {
          return {
            kind: 'skipped',
            reason: `no AudioInfo yet on ${this.#infoTopics[topic] ?? siblingInfoTopic(topic)} (set ros2 audio format in config to decode without it)`,
          };
        }
        return { kind: 'sample', sample: decodeRosDriversAudio(msg, info, topic, stamp) };
      }
      case 'audio_common_msgs/AudioStamped':
        if (mapped !== undefined && mapped !== 'audio') return wrongMapping('audio');
        return { kind: 'sample', sample: decodeMgonzs13Audio(msg, topic, stamp) };
      case 'audio_common_msgs/Audio':
        if (mapped !== undefined && mapped !== 'audio') return wrongMapping('audio');
        return { kind: 'sample', sample: decodeMgonzs13Audio({ audio: msg }, topic, receiveStamp) };
      case 'audio_tools/AudioDataStamped':
        if (mapped !== undefined && mapped !== 'audio') return wrongMapping('audio');
        return { kind: 'sample', sample: decodeAudioToolsAudio(msg, topic, receiveStamp) };
      case 'audio_tools/AudioInfo':
        return { kind: 'info' };
      case 'audio_tools/AudioData':
        return { kind: 'skipped', reason: 'audio_tools AudioData carries no format; subscribe to its audio_stamped topic' };
      default:
        return { kind: 'skipped', reason: `no converter for ${type}` };
    }
  }

  #infoFor(audioTopic: string): AudioFormatInfo | undefined {
    const infoTopic = this.#infoTopics[audioTopic] ?? siblingInfoTopic(audioTopic);
    const info = this.#audioInfo.get(infoTopic);
    if (info !== undefined) return info;
    // A remapped info topic: with exactly one AudioInfo topic seen there is no ambiguity.
    if (this.#infoTopics[audioTopic] === undefined && this.#audioInfo.size === 1) return [...this.#audioInfo.values()][0];
    return this.#defaultAudio;
  }
}
