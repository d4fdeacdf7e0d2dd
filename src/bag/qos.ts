/**
 * QoS profiles as rosbag2 records them in MCAP channel metadata (`offered_qos_profiles`): a YAML list of
 * profiles. The numeric enum form is what Humble writes and what every later distro still reads.
 */

export interface QosProfile {
  /** @default 'reliable' */
  reliability?: 'reliable' | 'best_effort';
  /** @default 'volatile' */
  durability?: 'volatile' | 'transient_local';
  /** keep-last depth. @default 10 */
  depth?: number;
}

const RELIABILITY = { reliable: 1, best_effort: 2 } as const;
const DURABILITY = { transient_local: 1, volatile: 2 } as const;
// rmw's "infinite" duration, as rosbag2 serialises it.
const INFINITE = '    sec: 9223372036\n    nsec: 854775807';

/** The `offered_qos_profiles` YAML for one publisher with `qos`. */
export function offeredQosYaml(qos: QosProfile = {}): string {
  const { reliability = 'reliable', durability = 'volatile', depth = 10 } = qos;
  return [
    '- history: 1',
    `  depth: ${depth}`,
    `  reliability: ${RELIABILITY[reliability]}`,
    `  durability: ${DURABILITY[durability]}`,
    '  deadline:',
    INFINITE,
    '  lifespan:',
    INFINITE,
    '  liveliness: 1',
    '  liveliness_lease_duration:',
    INFINITE,
    '  avoid_ros_namespace_conventions: false',
  ].join('\n');
}
