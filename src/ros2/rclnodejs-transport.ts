/**
 * Ros2Transport over rclnodejs: one node, spinning in the background (rclnodejs runs its executor on
 * libuv), typed-array subscriptions so image/audio bytes arrive as Uint8Array without copies.
 */
import { SensebindError, errorMessage } from '../core/errors.js';
import { loadRclnodejs } from './load-rclnodejs.js';
import type { RclNode, Rclnodejs } from './rclnodejs-api.js';
import type { ParameterValue, PublisherQos, QosProfile, Ros2Publisher, Ros2Subscription, Ros2Transport } from './transport.js';

export interface RclnodejsTransportOptions {
  /** @default 'sensebind' */
  node?: string;
  /** @default '' (root) */
  namespace?: string;
  /** Loads and initialises rclnodejs. @default the real package (loadRclnodejs) */
  load?: () => Promise<Rclnodejs>;
  /** Sets the node's use_sim_time parameter (node time from /clock). @default false (or `-p use_sim_time:=true`) */
  useSimTime?: boolean;
}

export function resolveTopicName(topic: string, nodeName: string, namespace: string): string {
  const ns = namespace === '' || namespace === '/' ? '' : `/${namespace.replace(/^\/+|\/+$/g, '')}`;
  if (topic.startsWith('/')) return topic;
  if (topic === '~') return `${ns}/${nodeName}`;
  if (topic.startsWith('~/')) return `${ns}/${nodeName}/${topic.slice(2)}`;
  return `${ns}/${topic}`;
}

export class RclnodejsTransport implements Ros2Transport {
  readonly description: string;
  #rcl: Rclnodejs;
  #node: RclNode;
  #name: string;
  #namespace: string;
  #simTime: boolean;
  #simNow = 0n;

  private constructor(rcl: Rclnodejs, node: RclNode, name: string, namespace: string) {
    this.#rcl = rcl;
    this.#node = node;
    this.#name = name;
    this.#namespace = namespace;
    // Read once: use_sim_time is a start-up setting (config, launch file or --ros-args -p).
    this.#simTime = node.hasParameter('use_sim_time') && node.getParameter('use_sim_time').value === true;
    if (this.#simTime) {
      // Our own /clock subscription, best effort: rclnodejs' TimeSource subscribes reliable, which never
      // matches the best-effort /clock that rosbag2 and rclcpp's ClockQoS publish.
      node.createSubscription('rosgraph_msgs/msg/Clock', '/clock', { qos: this.#qos({ reliability: 'best_effort', depth: 1 }) }, (message) => {
        const c = (message as { clock?: { sec?: number; nanosec?: number } }).clock;
        if (c !== undefined) this.#simNow = BigInt(c.sec ?? 0) * 1_000_000_000n + BigInt(c.nanosec ?? 0);
      });
    }
    this.description = `rclnodejs (ROS 2 ${process.env['ROS_DISTRO'] ?? 'unknown distro'}${this.#simTime ? ', use_sim_time' : ''})`;
  }

  /** Loads rclnodejs and creates the node; throws SensebindError('UNAVAILABLE') without ROS 2. */
  static async create(options: RclnodejsTransportOptions = {}): Promise<RclnodejsTransport> {
    const { node = 'sensebind', namespace = '', load = loadRclnodejs, useSimTime = false } = options;
    const rcl = await load();
    let n: RclNode;
    try {
      n = new rcl.Node(node, namespace);
      // rclnodejs' TimeSource follows this parameter: it subscribes /clock and the node clock reads it.
      if (useSimTime) n.setParameter(new rcl.Parameter('use_sim_time', rcl.ParameterType.PARAMETER_BOOL, true));
      n.spin();
    } catch (err) {
      throw new SensebindError('UNAVAILABLE', `cannot create ROS 2 node ${namespace}/${node}: ${errorMessage(err)}`, { cause: err });
    }
    return new RclnodejsTransport(rcl, n, node, namespace);
  }

  /** As rcl resolves it: the node's actual name and namespace (a launch file's __ns) and every remap rule. */
  resolveTopic(topic: string): string {
    if (this.#node.resolveTopicName !== undefined) {
      try {
        return this.#node.resolveTopicName(topic);
      } catch {
        // an invalid name: rcl will say so when it is subscribed
      }
    }
    return resolveTopicName(topic, this.#node.name?.() ?? this.#name, this.#node.namespace?.() ?? this.#namespace);
  }

  async topicTypes(): Promise<Map<string, string>> {
    return new Map(this.#node.getTopicNamesAndTypes().flatMap((t) => (t.types[0] !== undefined ? [[t.name, t.types[0]] as const] : [])));
  }

  #qos(qos: QosProfile): object {
    const Q = this.#rcl.QoS;
    return new Q(
      Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
      qos.depth ?? 5,
      qos.reliability === 'reliable' ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
      qos.durability === 'transient_local' ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
    );
  }

  subscribe(topic: string, type: string, qos: QosProfile, onMessage: (message: unknown) => void): Ros2Subscription {
    return this.#subscribe(topic, type, { qos: this.#qos(qos), enableTypedArray: true }, onMessage);
  }

  /** rclnodejs' raw mode: rcl_take_serialized_message, one copy of the CDR bytes, no JS message object. */
  subscribeSerialized(topic: string, type: string, qos: QosProfile, onData: (cdr: Uint8Array) => void): Ros2Subscription {
    return this.#subscribe(topic, type, { qos: this.#qos(qos), isRaw: true }, onData as (message: unknown) => void);
  }

  #subscribe(topic: string, type: string, options: object, callback: (message: unknown) => void): Ros2Subscription {
    const resolved = this.resolveTopic(topic);
    let sub: object;
    try {
      sub = this.#node.createSubscription(type, resolved, options, callback);
    } catch (err) {
      throw new SensebindError('UNAVAILABLE', `cannot subscribe to ${resolved} (${type}): ${errorMessage(err)}`, { cause: err });
    }
    return { topic: resolved, close: () => this.#node.destroySubscription(sub) };
  }

  publisher(topic: string, type: string, qos: QosProfile): Ros2Publisher {
    const resolved = this.resolveTopic(topic);
    try {
      const pub = this.#node.createPublisher(type, resolved, { qos: this.#qos(qos) });
      const wait = pub.waitForAllAcked;
      return {
        publish: (message) => pub.publish(message),
        ...(wait === undefined ? {} : { waitForAllAcked: (timeoutMs: number) => wait.call(pub, BigInt(Math.round(timeoutMs * 1e6))) }),
      };
    } catch (err) {
      throw new SensebindError('UNAVAILABLE', `cannot publish ${type} on ${resolved} (is its package installed?): ${errorMessage(err)}`, { cause: err });
    }
  }

  declareParameters(values: Record<string, ParameterValue>): void {
    const { Parameter, ParameterType } = this.#rcl;
    for (const [name, value] of Object.entries(values)) {
      const type =
        typeof value === 'boolean'
          ? ParameterType.PARAMETER_BOOL
          : typeof value === 'string'
            ? ParameterType.PARAMETER_STRING
            : Number.isInteger(value)
              ? ParameterType.PARAMETER_INTEGER
              : ParameterType.PARAMETER_DOUBLE;
      this.#node.declareParameter(new Parameter(name, type, type === ParameterType.PARAMETER_INTEGER ? BigInt(value as number) : value));
    }
  }

  publishersQos(topic: string): PublisherQos[] {
    const Q = this.#rcl.QoS;
    return this.#node.getPublishersInfoByTopic(this.resolveTopic(topic)).map((p) => ({
      node: `${p.node_namespace === '/' ? '' : p.node_namespace}/${p.node_name}`,
      reliability:
        p.qos_profile?.reliability === Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE ? 'reliable'
        : p.qos_profile?.reliability === Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT ? 'best_effort' : 'other',
      durability:
        p.qos_profile?.durability === Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE ? 'volatile'
        : p.qos_profile?.durability === Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL ? 'transient_local' : 'other',
    }));
  }

  rosTime(): { now: bigint; simTime: boolean } {
    return { now: this.#simTime ? this.#simNow : BigInt(Date.now()) * 1_000_000n, simTime: this.#simTime };
  }

  async close(): Promise<void> {
    this.#node.destroy();
    if (!this.#rcl.isShutdown()) this.#rcl.shutdown();
  }
}
