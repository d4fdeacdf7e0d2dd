/**
 * The bag metadata rosbag2 keeps in an MCAP file: a metadata record named `rosbag2` whose
 * `serialized_metadata` is the YAML of rosbag2's BagMetadata (the same document as a bag folder's
 * metadata.yaml). `ros2 bag info` reads the ROS distro and the per-topic counts from it. Field set and
 * layout as rosbag2 on Jazzy writes them (metadata version 9), checked against a `ros2 bag record -s mcap`
 * bag; the QoS profiles are the channel's `offered_qos_profiles` (src/bag/qos.ts).
 */
import { offeredQosYaml, type QosProfile } from './qos.js';

export interface Rosbag2MetadataInput {
  /** First and last log time (ns); undefined = no messages. */
  start: bigint | undefined;
  end: bigint | undefined;
  rosDistro: string;
  topics: Array<{ name: string; type: string; qos: QosProfile | undefined; count: number }>;
}

// rosbag2 writes INT64_MAX as the start of an empty bag.
const NO_START = '9223372036854775807';

const indent = (text: string, spaces: number) => text.split('\n').map((l) => `${' '.repeat(spaces)}${l}`).join('\n');

/** Quotes a YAML scalar only when it needs it (topic names and types never do; a distro might). */
const scalar = (value: string) => (/^[A-Za-z0-9_/.-]+$/.test(value) ? value : JSON.stringify(value));

export function rosbag2MetadataYaml(m: Rosbag2MetadataInput): string {
  const start = m.start === undefined ? NO_START : String(m.start);
  const duration = m.start === undefined || m.end === undefined ? '0' : String(m.end - m.start);
  const total = m.topics.reduce((n, t) => n + t.count, 0);
  const topics = m.topics.length === 0
    ? '  []'
    : m.topics
        .map((t) =>
          [
            '  - topic_metadata:',
            `      name: ${scalar(t.name)}`,
            `      type: ${scalar(t.type)}`,
            '      serialization_format: cdr',
            '      offered_qos_profiles:',
            indent(offeredQosYaml(t.qos), 8),
            '      type_description_hash: ""',
            `    message_count: ${t.count}`,
          ].join('\n'),
        )
        .join('\n');
  return [
    'version: 9',
    'storage_identifier: mcap',
    'duration:',
    `  nanoseconds: ${duration}`,
    'starting_time:',
    `  nanoseconds_since_epoch: ${start}`,
    `message_count: ${total}`,
    'topics_with_message_count:',
    topics,
    'compression_format: ""',
    'compression_mode: ""',
    // rosbag2 fills the file list from where it opened the file; left empty so the bytes do not depend
    // on the file's name (the simulator's same-seed-same-bytes promise)
    'relative_file_paths:',
    '  []',
    'files:',
    '  []',
    'custom_data: ~',
    `ros_distro: ${scalar(m.rosDistro)}`,
    '',
  ].join('\n');
}
