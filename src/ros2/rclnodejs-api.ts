/**
 * The part of the rclnodejs API sensebind uses, typed here because the package (and its types) is absent
 * on machines without ROS 2. Matches rclnodejs 1.x/2.x (docs: robotwebtools.github.io/rclnodejs).
 */

export interface RclQosCtor {
  new (history: number, depth: number, reliability: number, durability: number): object;
  HistoryPolicy: { RMW_QOS_POLICY_HISTORY_KEEP_LAST: number };
  ReliabilityPolicy: { RMW_QOS_POLICY_RELIABILITY_RELIABLE: number; RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number };
  DurabilityPolicy: { RMW_QOS_POLICY_DURABILITY_VOLATILE: number; RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number };
}

export interface RclPublisher {
  publish(message: object): void;
  /** Jazzy+: waits (timeout in ns) until reliable readers acknowledged everything published. */
  waitForAllAcked?(timeout: bigint): boolean;
}

/** Jazzy+ subscription events (rclnodejs SubscriptionEventCallbacks). */
export interface RclSubscriptionEvents {
  incompatibleQos: ((status: { total_count: number; total_count_change: number; last_policy_kind: number }) => void) | null;
  messageLost: ((status: { total_count: number; total_count_change: number }) => void) | null;
}

export interface RclNode {
  createSubscription(type: string, topic: string, options: object, callback: (message: unknown) => void, events?: RclSubscriptionEvents): object;
  createPublisher(type: string, topic: string, options?: object): RclPublisher;
  destroySubscription(subscription: object): void;
  getTopicNamesAndTypes(): Array<{ name: string; types: string[] }>;
  declareParameter(parameter: object, descriptor?: object, ignoreOverride?: boolean): unknown;
  name(): string;
  namespace(): string;
  spin(timeoutMs?: number): void;
  destroy(): void;
  getRMWImplementationIdentifier?(): string;
  /** Expands `~` and the namespace and applies `--ros-args -r` remaps (rcl_node_resolve_name). */
  resolveTopicName?(name: string): string;
  setParameter(parameter: object): unknown;
  hasParameter(name: string): boolean;
  getParameter(name: string): { value: unknown };
  countPublishers(topic: string): number;
  getPublishersInfoByTopic(topic: string, noDemangle?: boolean): Array<{ node_name: string; node_namespace: string; qos_profile?: { reliability?: number; durability?: number } }>;
}

export interface Rclnodejs {
  init(): Promise<void>;
  shutdown(): void;
  isShutdown(): boolean;
  Node: new (name: string, namespace?: string) => RclNode;
  QoS: RclQosCtor;
  Parameter: new (name: string, type: number, value: unknown) => object;
  ParameterType: { PARAMETER_BOOL: number; PARAMETER_INTEGER: number; PARAMETER_DOUBLE: number; PARAMETER_STRING: number };
  DistroUtils?: { getDistroName?: () => string };
  /** Removes the SIGINT listener rclnodejs installs at import (2.x). */
  removeSignalHandlers?(): void;
  /** Jazzy+ only (the constructor throws on older distros). */
  SubscriptionEventCallbacks?: new () => RclSubscriptionEvents;
}
