/**
 * An in-process Ros2Transport: publishers deliver synchronously to the subscribers of the same resolved
 * topic, with the same plain-object messages rclnodejs produces. It carries bag replays into the live
 * ROS 2 source (the robot's code path) and lets tests check what the sink publishes, on machines
 * without ROS 2. QoS is recorded, not enforced (there is no network to lose messages on).
 */
import { resolveTopicName } from './rclnodejs-transport.js';
import type { ParameterValue, QosProfile, Ros2Publisher, Ros2Subscription, Ros2Transport } from './transport.js';

interface Endpoint {
  type: string;
  qos: QosProfile;
}

export class LoopbackTransport implements Ros2Transport {
  readonly description = 'loopback (in-process, no ROS 2)';
  readonly parameters = new Map<string, ParameterValue>();
  /** Every publisher created: resolved topic -> type and QoS. */
  readonly publishers = new Map<string, Endpoint>();
  /** Every subscription made: resolved topic -> type and QoS. */
  readonly subscriptions = new Map<string, Endpoint>();
  #subs = new Map<string, Set<(message: unknown) => void>>();
  #types = new Map<string, string>();
  #name: string;
  #namespace: string;
  #unavailableTypes: Set<string>;

  /** `unavailableTypes`: message types whose publishers fail, as on a robot without that package. */
  constructor(options: { node?: string; namespace?: string; unavailableTypes?: string[] } = {}) {
    this.#name = options.node ?? 'sensebind';
    this.#namespace = options.namespace ?? '';
    this.#unavailableTypes = new Set(options.unavailableTypes ?? []);
  }

  resolveTopic(topic: string): string {
    return resolveTopicName(topic, this.#name, this.#namespace);
  }

  async topicTypes(): Promise<Map<string, string>> {
    return new Map(this.#types);
  }

  /** Declares a topic's type in the graph without publishing (like a publisher that has not sent yet). */
  advertise(topic: string, type: string): void {
    this.#types.set(this.resolveTopic(topic), type);
  }

  subscribe(topic: string, type: string, qos: QosProfile, onMessage: (message: unknown) => void): Ros2Subscription {
    const resolved = this.resolveTopic(topic);
    this.subscriptions.set(resolved, { type, qos });
    let set = this.#subs.get(resolved);
    if (set === undefined) this.#subs.set(resolved, (set = new Set()));
    set.add(onMessage);
    const ref = set;
    return { topic: resolved, close: () => ref.delete(onMessage) };
  }

  publisher(topic: string, type: string, qos: QosProfile): Ros2Publisher {
    const resolved = this.resolveTopic(topic);
    if (this.#unavailableTypes.has(type)) {
      throw new Error(`cannot publish ${type} on ${resolved}: message type not installed`);
    }
    this.publishers.set(resolved, { type, qos });
    this.#types.set(resolved, type);
    return { publish: (message) => this.deliver(resolved, message) };
  }

  /** Delivers `message` to the subscribers of `topic` (what a remote publisher would do). */
  deliver(topic: string, message: unknown): void {
    for (const cb of this.#subs.get(this.resolveTopic(topic)) ?? []) cb(message);
  }

  declareParameters(values: Record<string, ParameterValue>): void {
    for (const [k, v] of Object.entries(values)) this.parameters.set(k, v);
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }
}
