/**
 * Writes rosbag2-style MCAP: profile `ros2`, one `ros2msg` schema per type, one `cdr` channel per topic
 * with `offered_qos_profiles` metadata, zstd-compressed chunks with message and chunk indexes, and at the
 * end the `rosbag2` metadata record rosbag2 itself writes (its bag metadata as YAML, src/bag/rosbag2-metadata.ts),
 * so `ros2 bag play/info`, Foxglove and sensebind's own reader all accept it.
 *
 * Deterministic: the same calls produce the same bytes (no wall clock, no host name; log and publish
 * time are the caller's stamp), which the simulator relies on (same seed = same bag).
 *
 * McapWriter requires each call to finish before the next starts; the public methods therefore queue
 * their work on one promise chain, so `addTopic` can stay synchronous and return the channel id at once.
 */
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import * as zstd from '@foxglove/wasm-zstd';
import { SensebindError, cannotWrite, errorMessage } from '../core/errors.js';
import { messageDefinition } from './msg-defs.js';
import { offeredQosYaml, type QosProfile } from './qos.js';
import { rosbag2MetadataYaml } from './rosbag2-metadata.js';

export interface Ros2McapWriterOptions {
  /** Chunk compression. @default 'zstd' */
  compression?: 'zstd' | 'none';
  /** zstd level (1-19). @default 3 */
  zstdLevel?: number;
  /** Uncompressed bytes per chunk before it is flushed. @default 1 MiB (rosbag2's MCAP default) */
  chunkSize?: number;
  /** Definitions for types sensebind does not ship, or to override one (e.g. an audio variant). @default {} */
  definitions?: Record<string, string>;
  /** MCAP header `library` field. @default 'sensebind' */
  library?: string;
  /** `ros_distro` of the rosbag2 metadata record. @default 'jazzy' (the metadata version written is Jazzy's) */
  rosDistro?: string;
}

interface TopicState {
  channelId: number;
  type: string;
  qos: QosProfile | undefined;
  serializer: MessageWriter;
  sequence: number;
}

export class Ros2McapWriter {
  readonly path: string;
  #file: FileHandle;
  #writer: McapWriter;
  #definitions: Record<string, string>;
  #topics = new Map<string, TopicState>();
  #schemas = new Map<string, Promise<number>>();
  #serializers = new Map<string, MessageWriter>();
  #nextChannelId = 1;
  #chain: Promise<void> = Promise.resolve();
  #failure: unknown;
  #closed = false;
  #rosDistro: string;
  #first: bigint | undefined;
  #last: bigint | undefined;

  private constructor(path: string, file: FileHandle, writer: McapWriter, definitions: Record<string, string>, rosDistro: string) {
    this.path = path;
    this.#file = file;
    this.#writer = writer;
    this.#definitions = definitions;
    this.#rosDistro = rosDistro;
  }

  static async open(path: string, options: Ros2McapWriterOptions = {}): Promise<Ros2McapWriter> {
    const { compression = 'zstd', zstdLevel = 3, chunkSize = 1024 * 1024, definitions = {}, library = 'sensebind', rosDistro = 'jazzy' } = options;
    if (compression === 'zstd') await zstd.isLoaded;
    let file: FileHandle;
    try {
      file = await openFile(path, 'w');
    } catch (err) {
      throw cannotWrite('bag', path, err);
    }
    const writer = new McapWriter({
      writable: new FileHandleWritable(file),
      chunkSize,
      startChannelId: 1,
      ...(compression === 'zstd'
        ? { compressChunk: (data: Uint8Array) => ({ compression: 'zstd', compressedData: new Uint8Array(zstd.compress(data, zstdLevel)) }) }
        : {}),
    });
    try {
      await writer.start({ profile: 'ros2', library });
    } catch (err) {
      await file.close();
      throw new SensebindError('IO', `cannot write bag header to ${path}: ${errorMessage(err)}`, { cause: err });
    }
    return new Ros2McapWriter(path, file, writer, { ...definitions }, rosDistro);
  }

  /**
   * Declares a topic of ROS 2 type `type` (e.g. `sensor_msgs/msg/Image`) and returns its channel id.
   * Adding the same topic again with the same type returns the existing id.
   */
  addTopic(topic: string, type: string, qos?: QosProfile): number {
    this.#assertOpen();
    const existing = this.#topics.get(topic);
    if (existing !== undefined) {
      if (existing.type !== type) {
        throw new SensebindError('USAGE', `bag ${this.path}: topic ${topic} already has type ${existing.type}, not ${type}`);
      }
      return existing.channelId;
    }
    const definition = this.#definitions[type] ?? messageDefinition(type);
    if (definition === undefined) {
      throw new SensebindError(
        'USAGE',
        `bag ${this.path}: no message definition for ${type} (topic ${topic}); pass it in options.definitions`,
      );
    }
    const serializer = this.#serializerFor(type, definition);
    const channelId = this.#nextChannelId++;
    this.#topics.set(topic, { channelId, type, qos, serializer, sequence: 0 });
    let schemaId = this.#schemas.get(type);
    if (schemaId === undefined) {
      const pending = this.#enqueue(() =>
        this.#writer.registerSchema({ name: type, encoding: 'ros2msg', data: new TextEncoder().encode(definition) }),
      );
      schemaId = pending;
      this.#schemas.set(type, pending);
    }
    const schemaPromise = schemaId;
    void this.#enqueue(async () => {
      const registered = await this.#writer.registerChannel({
        schemaId: await schemaPromise,
        topic,
        messageEncoding: 'cdr',
        metadata: new Map([['offered_qos_profiles', offeredQosYaml(qos)]]),
      });
      if (registered !== channelId) throw new Error(`channel id ${registered} != expected ${channelId}`);
    }).catch(() => undefined); // the failure is kept in #failure and thrown by the next write/close
    return channelId;
  }

  /** Serialises `message` (a plain object with the .msg field names) as CDR and appends it at `stampNs`. */
  async write(topic: string, stampNs: bigint, message: object): Promise<void> {
    this.#assertOpen();
    const state = this.#topics.get(topic);
    if (state === undefined) throw new SensebindError('USAGE', `bag ${this.path}: topic ${topic} was not added`);
    let data: Uint8Array;
    try {
      data = state.serializer.writeMessage(message);
    } catch (err) {
      throw new SensebindError(
        'INPUT',
        `bag ${this.path}: message on ${topic} does not fit ${state.type}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    const sequence = state.sequence++;
    if (this.#first === undefined || stampNs < this.#first) this.#first = stampNs;
    if (this.#last === undefined || stampNs > this.#last) this.#last = stampNs;
    await this.#enqueue(() =>
      this.#writer.addMessage({ channelId: state.channelId, sequence, logTime: stampNs, publishTime: stampNs, data }),
    );
  }

  /** Writes the summary and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const serialized = rosbag2MetadataYaml({
      start: this.#first,
      end: this.#last,
      rosDistro: this.#rosDistro,
      topics: [...this.#topics].map(([name, t]) => ({ name, type: t.type, qos: t.qos, count: t.sequence })),
    });
    try {
      await this.#enqueue(() => this.#writer.addMetadata({ name: 'rosbag2', metadata: new Map([['serialized_metadata', serialized]]) }));
      await this.#enqueue(() => this.#writer.end());
    } finally {
      await this.#file.close();
    }
  }

  #serializerFor(type: string, definition: string): MessageWriter {
    let serializer = this.#serializers.get(type);
    if (serializer === undefined) {
      try {
        serializer = new MessageWriter(parseMsg(definition, { ros2: true }));
      } catch (err) {
        throw new SensebindError('USAGE', `bag ${this.path}: definition of ${type} does not parse: ${errorMessage(err)}`);
      }
      this.#serializers.set(type, serializer);
    }
    return serializer;
  }

  #enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
      return work();
    });
    this.#chain = run.then(
      () => undefined,
      (err: unknown) => {
        this.#failure ??= new SensebindError('IO', `bag ${this.path}: write failed: ${errorMessage(err)}`, { cause: err });
      },
    );
    return run;
  }

  #assertOpen(): void {
    if (this.#closed) throw new SensebindError('USAGE', `bag ${this.path} is already closed`);
  }
}
