/**
 * The seam between sensebind and a ROS 2 middleware. Everything sensebind does with ROS 2 (subscribe to
 * sensor topics, publish events, take concept commands, declare parameters) goes through this small
 * interface, so the message handling around it (MessageConverter, event encoding) is the same code that
 * bag replay and the tests run. Implementations: RclnodejsTransport (a real robot, rclnodejs) and
 * LoopbackTransport (in-process publish/subscribe: bag-driven runs and tests on machines without ROS 2).
 */
import type { QosProfile } from '../bag/qos.js';

export type { QosProfile };

export interface Ros2Publisher {
  publish(message: object): void;
  /** Blocks until reliable subscribers acknowledged everything published, or `timeoutMs`; false on timeout. */
  waitForAllAcked?(timeoutMs: number): boolean;
}

export interface Ros2Subscription {
  readonly topic: string;
  close(): void;
}

export interface PublisherQos {
  /** The publishing node, /namespace/name. */
  node: string;
  reliability: 'reliable' | 'best_effort' | 'other';
  durability: 'volatile' | 'transient_local' | 'other';
}

/** Values of node parameters sensebind declares (read-only settings, for `ros2 param get`). */
export type ParameterValue = string | number | boolean;

export interface Ros2Transport {
  /** A description for logs, e.g. "rclnodejs (jazzy)". */
  readonly description: string;
  /** The fully resolved name of a topic (applies the namespace and `~`). */
  resolveTopic(topic: string): string;
  /** The type of each topic currently visible in the graph (ROS 2 names, e.g. sensor_msgs/msg/Image). */
  topicTypes(): Promise<Map<string, string>>;
  /** Subscribes; `onMessage` receives plain objects with the .msg field names (uint8[] as Uint8Array). */
  subscribe(topic: string, type: string, qos: QosProfile, onMessage: (message: unknown) => void): Ros2Subscription;
  /**
   * Subscribes to the serialized messages (CDR, as on the wire) of `topic`, for callers that decode only
   * the fields they need. Absent where the middleware cannot hand them out (loopback).
   */
  subscribeSerialized?(topic: string, type: string, qos: QosProfile, onData: (cdr: Uint8Array) => void): Ros2Subscription;
  /** Creates a publisher; throws SensebindError('UNAVAILABLE') when the type is not installed. */
  publisher(topic: string, type: string, qos: QosProfile): Ros2Publisher;
  declareParameters(values: Record<string, ParameterValue>): void;
  /**
   * The node's ROS time in ns since the epoch: the last /clock message when use_sim_time is on (0 before
   * the first), else the system clock. Absent on transports without a ROS clock (loopback).
   */
  rosTime?(): { now: bigint; simTime: boolean };
  /** The offered QoS of every publisher of `topic` in the graph (to explain a subscription that never matches). */
  publishersQos?(topic: string): PublisherQos[];
  close(): Promise<void>;
}
