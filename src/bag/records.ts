/** What every bag reader (rosbag2 MCAP, MCAP with ros1 encoding, ROS 1 .bag) yields, in log-time order. */

export type BagRecord =
  /**
   * A message; `decode()` deserialises it to a plain object with the .msg field names, or throws with the
   * reason it cannot (unknown encoding, bytes not matching the schema). Lazy, so topics nobody uses
   * cost no deserialisation.
   */
  | { kind: 'message'; topic: string; type: string; logTime: bigint; decode: () => unknown }
  /** A message that cannot be attributed to a topic/type (undeclared channel or connection). */
  | { kind: 'undecodable'; topic: string; type: string; logTime: bigint; reason: string }
  /** The bag is truncated or corrupt from `offset` (bytes) on; nothing after it was read. */
  | { kind: 'damage'; offset: number; reason: string };

export type BagFormat = 'mcap' | 'ros1';
