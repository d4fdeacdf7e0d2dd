/**
 * Live ROS 2 sensor topics as a SampleSource. Messages go through the same MessageConverter as bag
 * replay. Conversion is serialised per topic; while a frame is being converted (JPEG decoding takes
 * milliseconds) only the newest waiting frame is kept (older ones are counted as dropped), while audio
 * and IMU messages queue (bounded) because a gap in a continuous stream is worse than latency.
 * Without ROS 2 the source logs why once, reports connected=false, and the agent runs its other sources.
 */
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Ros2Config, Ros2TopicConfig } from '../config/ros2.js';
import { MessageConverter, type TopicMapping } from '../decode/converter.js';
import { shortTypeName } from '../decode/ros-type.js';
import type { Ros2Session } from '../ros2/session.js';
import { defaultQosDepth } from '../ros2/qos-depth.js';
import { qosMismatches } from '../ros2/qos-match.js';
import { StreamGaps, headerStampNs } from '../ros2/stream-gaps.js';
import { serializedDecoder } from '../ros2/serialized.js';
import type { Decode } from '../bag/message-decoder.js';
import type { QosProfile } from '../bag/qos.js';
import { TopicClocks } from '../core/topic-clocks.js';
import type { Ros2Subscription, Ros2Transport } from '../ros2/transport.js';
import { emptySourceStats, type SampleSink, type SampleSource, type SourceStats } from './source.js';

export interface Ros2SourceOptions {
  config: Ros2Config;
  session: Ros2Session;
  /** Receive stamps (used when a header stamp is zero, and to judge header stamps). @default the session's node clock */
  clock?: Clock;
  /** Most audio/IMU messages waiting per topic before drops. @default 256 */
  maxQueue?: number;
  /** Seconds between graph lookups for topics whose type is not configured and not yet visible. @default 2 */
  discoverySeconds?: number;
  /** @default silent */
  logger?: Logger;
}

const FRAME_TYPES = new Set(['sensor_msgs/Image', 'sensor_msgs/CompressedImage']);
interface TopicState {
  topic: string;
  type: string;
  qos: QosProfile;
  frames: boolean;
  busy: boolean;
  queue: Array<{ message: unknown; stamp: bigint }>;
  dropped: number;
  received: number;
  /** Messages the middleware lost before sensebind read them (header stamp holes). */
  gaps: StreamGaps;
  /** Publishers whose QoS can never match this subscription (0 until checked). */
  mismatched: number;
}

export class Ros2Source implements SampleSource {
  readonly name = 'ros2';
  #config: Ros2Config;
  #session: Ros2Session;
  #clock: Clock;
  #maxQueue: number;
  #discoveryMs: number;
  #log: Logger;
  #stats: SourceStats = emptySourceStats();
  #converter: MessageConverter | undefined;
  #subs: Ros2Subscription[] = [];
  #states = new Map<string, TopicState>();
  #onSample: SampleSink | undefined;
  #discovery: NodeJS.Timeout | undefined;
  #stopped = false;
  #unavailable: string | undefined;
  #clocks: TopicClocks | undefined;
  #qosTimer: NodeJS.Timeout | undefined;
  #beforeClock = 0;

  constructor(options: Ros2SourceOptions) {
    this.#config = options.config;
    this.#session = options.session;
    this.#log = options.logger ?? silentLogger();
    this.#clock = options.clock ?? options.session.clock;
    const { stampPolicy, stampToleranceSeconds } = options.config;
    this.#clocks = stampPolicy === 'keep' ? undefined : new TopicClocks({ mode: stampPolicy, toleranceSeconds: stampToleranceSeconds, receiveClock: 'node clock', logger: this.#log });
    this.#maxQueue = options.maxQueue ?? 256;
    this.#discoveryMs = (options.discoverySeconds ?? 2) * 1000;
  }

  async start(onSample: SampleSink): Promise<void> {
    this.#onSample = onSample;
    const transport = await this.#session.transport();
    if (transport === undefined) {
      this.#unavailable = this.#session.unavailableReason ?? 'ROS 2 is not available';
      return;
    }
    const topics: Record<string, TopicMapping> = {};
    const infoTopics: Record<string, string> = {};
    for (const t of this.#config.topics) {
      const resolved = transport.resolveTopic(t.name);
      if (t.modality !== undefined) topics[resolved] = t.modality;
      if (t.audioInfoTopic !== '') infoTopics[resolved] = transport.resolveTopic(t.audioInfoTopic);
    }
    const af = this.#config.audioFormat;
    this.#converter = new MessageConverter({
      topics,
      audioInfoTopics: infoTopics,
      ...(af.enabled ? { audioFormat: { channels: af.channels, rate: af.sampleRate, sampleFormat: af.sampleFormat, codingFormat: 'WAVE' } } : {}),
      ...(this.#clocks ? { stampPolicy: this.#clocks } : {}),
      ownedMessages: true,
      logger: this.#log,
    });
    this.#stats.connected = true;
    await this.#subscribeAll(transport);
  }

  async #subscribeAll(transport: Ros2Transport): Promise<void> {
    const pending = this.#config.topics.filter((t) => !this.#states.has(transport.resolveTopic(t.name)));
    if (pending.length === 0 || this.#stopped) return;
    const graph = pending.some((t) => t.type === '') ? await transport.topicTypes() : new Map<string, string>();
    const waiting: string[] = [];
    for (const t of pending) {
      const resolved = transport.resolveTopic(t.name);
      const type = t.type !== '' ? t.type : graph.get(resolved);
      if (type === undefined) {
        waiting.push(resolved);
        continue;
      }
      this.#subscribe(transport, t, resolved, type);
      // ros-drivers audio needs its AudioInfo side topic (latched: transient_local)
      if (shortTypeName(type).startsWith('audio_common_msgs/AudioData')) {
        const info = t.audioInfoTopic !== '' ? t.audioInfoTopic : `${resolved.slice(0, resolved.lastIndexOf('/'))}/audio_info`;
        const infoResolved = transport.resolveTopic(info);
        if (!this.#states.has(infoResolved)) {
          this.#subscribe(transport, { name: info, type: 'audio_common_msgs/msg/AudioInfo', qos: { reliability: 'reliable', durability: 'transient_local', depth: 1 }, audioInfoTopic: '' }, infoResolved, 'audio_common_msgs/msg/AudioInfo');
        }
      }
    }
    if (waiting.length > 0) {
      this.#log.info({ topics: waiting }, 'waiting for these topics to appear in the ROS graph (set ros2.topics[].type to skip discovery)');
      this.#discovery = setTimeout(() => {
        this.#subscribeAll(transport).catch((err: unknown) => this.#log.error({ err: errorMessage(err) }, 'ROS 2 topic discovery failed'));
      }, this.#discoveryMs);
      this.#discovery.unref();
    }
  }

  #subscribe(transport: Ros2Transport, t: Ros2TopicConfig, resolved: string, type: string): void {
    const qos = { ...t.qos, depth: t.qos.depth ?? defaultQosDepth(type) };
    const state: TopicState = { topic: resolved, type, qos, frames: FRAME_TYPES.has(shortTypeName(type)), busy: false, queue: [], dropped: 0, received: 0, gaps: new StreamGaps(), mismatched: 0 };
    try {
      const decode = transport.subscribeSerialized === undefined ? undefined : serializedDecoder(type);
      const sub =
        decode === undefined
          ? transport.subscribe(resolved, type, qos, (message) => this.#receive(state, message))
          : transport.subscribeSerialized!(resolved, type, qos, (cdr) => this.#receiveSerialized(state, decode, cdr));
      this.#subs.push(sub);
      this.#states.set(resolved, state);
      this.#log.info({ topic: resolved, type, qos }, 'subscribed');
      this.#watchQos(transport);
    } catch (err) {
      this.#log.error({ topic: resolved, type, err: errorMessage(err) }, 'cannot subscribe; the other topics keep running');
    }
  }

  /**
   * While a subscription has received nothing, looks in the graph for publishers whose QoS can never match
   * it (a reliable subscription, a best-effort driver): said once per topic with the fix, counted.
   */
  #watchQos(transport: Ros2Transport): void {
    if (this.#qosTimer !== undefined || transport.publishersQos === undefined) return;
    const check = () => {
      for (const state of this.#states.values()) {
        if (state.received > 0 || state.mismatched > 0) continue;
        try {
          const problems = qosMismatches(state.topic, state.qos, transport.publishersQos!(state.topic));
          if (problems.length === 0) continue;
          state.mismatched = problems.length;
          for (const p of problems) this.#log.error({ topic: state.topic }, p);
        } catch (err) {
          this.#log.debug({ topic: state.topic, err: errorMessage(err) }, 'cannot read the publishers of a topic');
        }
      }
    };
    this.#qosTimer = setInterval(check, this.#discoveryMs);
    this.#qosTimer.unref();
    setImmediate(check);
  }

  #receiveSerialized(state: TopicState, decode: Decode, cdr: Uint8Array): void {
    let message: unknown;
    try {
      message = decode(cdr);
    } catch (err) {
      if (this.#stopped) return;
      this.#stats.received++;
      this.#stats.bad++;
      state.received++;
      this.#converter!.countBad(state.topic, state.type, `cannot deserialise ${cdr.byteLength} bytes of CDR: ${errorMessage(err)}`);
      return;
    }
    this.#receive(state, message);
  }

  #receive(state: TopicState, message: unknown): void {
    if (this.#stopped) return;
    this.#stats.received++;
    state.received++;
    const lost = state.gaps.push(headerStampNs(message));
    if (lost > 0 && state.gaps.stats().gaps === 1) {
      this.#log.warn(
        { topic: state.topic, lost, depth: state.qos.depth },
        'messages lost before sensebind read them (a hole in the header stamps): the subscription queue overflowed or the link drops; raise ros2.topics[].qos.depth if it repeats. Further losses are counted, not logged',
      );
    }
    if (!this.#session.clock.started) {
      // use_sim_time before the first /clock: ROS time is 0, nothing can be aged or stamped yet
      this.#stats.skipped++;
      if (this.#beforeClock++ === 0) this.#log.warn({ topic: state.topic }, 'use_sim_time is on and no /clock yet: messages are skipped until time starts (ros2 bag play --clock)');
      return;
    }
    const stamp = this.#clock.now();
    if (state.busy) {
      if (state.frames && state.queue.length > 0) {
        state.queue.length = 0; // keep the newest frame only
        this.#drop(state, 'frame replaced by a newer one while converting');
      } else if (state.queue.length >= this.#maxQueue) {
        this.#drop(state, `queue of ${this.#maxQueue} full`);
        return;
      }
      state.queue.push({ message, stamp });
      return;
    }
    void this.#convert(state, message, stamp);
  }

  #drop(state: TopicState, reason: string): void {
    this.#stats.dropped++;
    if (state.dropped++ === 0) this.#log.warn({ topic: state.topic, reason }, 'dropping messages; further drops are counted, not logged');
  }

  async #convert(state: TopicState, message: unknown, stamp: bigint): Promise<void> {
    state.busy = true;
    let next: { message: unknown; stamp: bigint } | undefined = { message, stamp };
    while (next !== undefined && !this.#stopped) {
      const result = await this.#converter!.convert(state.topic, state.type, next.message, next.stamp);
      switch (result.kind) {
        case 'sample':
          this.#stats.decoded++;
          try {
            // Live: the source cannot wait for the consumer (SampleSink); a rejection is logged like a throw.
            this.#onSample?.(result.sample)?.catch((err: unknown) => this.#log.error({ topic: state.topic, err: errorMessage(err) }, 'sample consumer failed'));
          } catch (err) {
            this.#log.error({ topic: state.topic, err: errorMessage(err) }, 'sample consumer threw');
          }
          break;
        case 'skipped':
          this.#stats.skipped++;
          break;
        case 'bad':
          this.#stats.bad++;
          break;
        case 'info':
          break;
      }
      next = state.queue.shift();
    }
    state.busy = false;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#discovery !== undefined) clearTimeout(this.#discovery);
    if (this.#qosTimer !== undefined) clearInterval(this.#qosTimer);
    for (const s of this.#subs) {
      try {
        s.close();
      } catch {
        // the node may already be gone at shutdown
      }
    }
    this.#subs = [];
    this.#stats.connected = false;
  }

  stats(): SourceStats {
    const detail: Record<string, number | string | boolean> = {};
    if (this.#unavailable !== undefined) detail['unavailable'] = this.#unavailable;
    for (const [topic, c] of Object.entries(this.#converter?.summary() ?? {})) {
      detail[`${topic}.decoded`] = c.decoded;
      detail[`${topic}.skipped`] = c.skipped;
      detail[`${topic}.bad`] = c.bad;
    }
    let lost = 0;
    for (const s of this.#states.values()) {
      if (s.dropped > 0) detail[`${s.topic}.dropped`] = s.dropped;
      const g = s.gaps.stats();
      detail[`${s.topic}.lost`] = g.lost;
      lost += g.lost;
      if (s.mismatched > 0) detail[`${s.topic}.qosMismatch`] = s.mismatched;
    }
    detail['lost'] = lost;
    for (const [topic, c] of Object.entries(this.#clocks?.report() ?? {})) {
      detail[`${topic}.clockOffsetSeconds`] = c.offsetSeconds;
      detail[`${topic}.clockJumps`] = c.jumps;
    }
    if (this.#beforeClock > 0) detail['beforeClock'] = this.#beforeClock;
    return { ...this.#stats, detail };
  }
}
