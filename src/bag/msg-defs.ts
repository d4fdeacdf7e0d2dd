/**
 * ROS 2 message definitions (`ros2msg` schema texts) for the types sensebind writes into rosbag2 MCAP
 * files and reads back. rosbag2 stores, per type, the type's own .msg text followed by every dependency,
 * each after a line of 80 '=' and `MSG: <type as the field names it>`. The docs
 * (ros2/rosbag2 docs/message_definition_encoding.md) show `MSG: pkg/msg/Type`, but rosbag2's
 * LocalMessageDefinitionSource writes `MSG: pkg/Type` (its test can_find_msg_deps), and
 * @foxglove/rosmsg only resolves a field type against a MSG name spelled the same way: so `pkg/Type`.
 * The texts carry the fields only (the upstream comments do not change decoding).
 *
 * Two packages publish incompatible types under the same name `audio_common_msgs/msg/AudioData`/`AudioInfo`
 * (ros-drivers vs mgonzs13). A bag carries the full definition per channel, so both can coexist in one bag;
 * here the mgonzs13 and audio_tools layouts are reachable through their top-level types
 * (`audio_common_msgs/msg/AudioStamped`, `audio_tools/msg/AudioDataStamped`).
 */

/** The separator line rosbag2 writes before each dependency. */
export const MSG_SEPARATOR = '='.repeat(80);

/** One .msg text per fully qualified type name, fields only. */
interface MsgText {
  name: string;
  text: string;
  /** Fully qualified names of the types the fields reference (direct dependencies). */
  deps: string[];
}

const time: MsgText = { name: 'builtin_interfaces/msg/Time', text: 'int32 sec\nuint32 nanosec', deps: [] };
const header: MsgText = {
  name: 'std_msgs/msg/Header',
  text: 'builtin_interfaces/Time stamp\nstring frame_id',
  deps: [time.name],
};
const quaternion: MsgText = {
  name: 'geometry_msgs/msg/Quaternion',
  text: 'float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1',
  deps: [],
};
const vector3: MsgText = { name: 'geometry_msgs/msg/Vector3', text: 'float64 x\nfloat64 y\nfloat64 z', deps: [] };

const image: MsgText = {
  name: 'sensor_msgs/msg/Image',
  text: [
    'std_msgs/Header header',
    'uint32 height',
    'uint32 width',
    'string encoding',
    'uint8 is_bigendian',
    'uint32 step',
    'uint8[] data',
  ].join('\n'),
  deps: [header.name],
};
const compressedImage: MsgText = {
  name: 'sensor_msgs/msg/CompressedImage',
  text: 'std_msgs/Header header\nstring format\nuint8[] data',
  deps: [header.name],
};
const imu: MsgText = {
  name: 'sensor_msgs/msg/Imu',
  text: [
    'std_msgs/Header header',
    'geometry_msgs/Quaternion orientation',
    'float64[9] orientation_covariance',
    'geometry_msgs/Vector3 angular_velocity',
    'float64[9] angular_velocity_covariance',
    'geometry_msgs/Vector3 linear_acceleration',
    'float64[9] linear_acceleration_covariance',
  ].join('\n'),
  deps: [header.name, quaternion.name, vector3.name],
};
const stringMsg: MsgText = { name: 'std_msgs/msg/String', text: 'string data', deps: [] };

// ros-drivers/audio_common (ros2 branch): raw bytes + a separate latched AudioInfo topic.
const rdAudioData: MsgText = { name: 'audio_common_msgs/msg/AudioData', text: 'uint8[] data', deps: [] };
const rdAudioDataStamped: MsgText = {
  name: 'audio_common_msgs/msg/AudioDataStamped',
  text: 'std_msgs/Header header\naudio_common_msgs/AudioData audio',
  deps: [header.name, rdAudioData.name],
};
const rdAudioInfo: MsgText = {
  name: 'audio_common_msgs/msg/AudioInfo',
  text: 'uint8 channels\nuint32 sample_rate\nstring sample_format\nuint32 bitrate\nstring coding_format',
  deps: [],
};

// mgonzs13/audio_common: typed arrays + PortAudio format flag, same package name.
const mgAudioData: MsgText = {
  name: 'audio_common_msgs/msg/AudioData',
  text: 'float32[] float32_data\nint32[] int32_data\nint16[] int16_data\nint8[] int8_data\nuint8[] uint8_data',
  deps: [],
};
const mgAudioInfo: MsgText = {
  name: 'audio_common_msgs/msg/AudioInfo',
  text: 'int32 format\nint32 channels\nint32 rate\nint32 chunk',
  deps: [],
};
const mgAudio: MsgText = {
  name: 'audio_common_msgs/msg/Audio',
  text: 'audio_common_msgs/AudioData audio_data\naudio_common_msgs/AudioInfo info',
  deps: [mgAudioData.name, mgAudioInfo.name],
};
const mgAudioStamped: MsgText = {
  name: 'audio_common_msgs/msg/AudioStamped',
  text: 'std_msgs/Header header\naudio_common_msgs/Audio audio',
  deps: [header.name, mgAudio.name],
};

// CLFML ROS2_Audio_Tools: info travels inside every stamped message; stamps count samples since start.
// Field order/types of AudioInfo follow its docs (sample_rate, sample_format, channels).
const atAudioData: MsgText = { name: 'audio_tools/msg/AudioData', text: 'uint8[] data', deps: [] };
const atAudioInfo: MsgText = {
  name: 'audio_tools/msg/AudioInfo',
  text: 'uint32 sample_rate\nstring sample_format\nuint8 channels',
  deps: [],
};
const atAudioDataStamped: MsgText = {
  name: 'audio_tools/msg/AudioDataStamped',
  text: 'std_msgs/Header header\naudio_tools/AudioData audio\naudio_tools/AudioInfo info',
  deps: [header.name, atAudioData.name, atAudioInfo.name],
};

/** Builds a lookup where each name resolves to one layout (variants with clashing names get their own). */
function table(entries: MsgText[]): Map<string, MsgText> {
  return new Map(entries.map((e) => [e.name, e]));
}

const common = [time, header, quaternion, vector3, image, compressedImage, imu, stringMsg];
const rosDriversTable = table([...common, rdAudioData, rdAudioDataStamped, rdAudioInfo]);
const mgonzs13Table = table([...common, mgAudioData, mgAudioInfo, mgAudio, mgAudioStamped]);
const audioToolsTable = table([...common, atAudioData, atAudioInfo, atAudioDataStamped]);

/** Dependencies in depth-first order of first use, each once (the order rosbag2 emits them). */
function collectDeps(root: MsgText, lookup: Map<string, MsgText>): MsgText[] {
  const out: MsgText[] = [];
  const seen = new Set<string>([root.name]);
  const visit = (def: MsgText): void => {
    for (const name of def.deps) {
      if (seen.has(name)) continue;
      seen.add(name);
      const dep = lookup.get(name);
      if (dep === undefined) throw new Error(`msg-defs: ${def.name} depends on unknown ${name}`);
      out.push(dep);
      visit(dep);
    }
  };
  visit(root);
  return out;
}

function fullText(name: string, lookup: Map<string, MsgText>): string {
  const root = lookup.get(name);
  if (root === undefined) throw new Error(`msg-defs: unknown type ${name}`);
  // rosbag2 joins each file's text (ending in a newline) with "\n" before the next delimiter.
  const parts = [`${root.text}\n`];
  for (const dep of collectDeps(root, lookup)) {
    parts.push(`${MSG_SEPARATOR}\nMSG: ${dep.name.replace('/msg/', '/')}\n${dep.text}\n`);
  }
  return parts.join('\n');
}

/**
 * Complete ros2msg definitions by type name. Audio names resolve to the ros-drivers layout for the
 * clashing names (`audio_common_msgs/msg/AudioData`, `AudioInfo`), to mgonzs13 for `AudioStamped`
 * and `Audio`, to audio_tools for `audio_tools/msg/*`.
 */
export const MSG_DEFINITIONS: Readonly<Record<string, string>> = Object.freeze({
  'sensor_msgs/msg/Image': fullText('sensor_msgs/msg/Image', rosDriversTable),
  'sensor_msgs/msg/CompressedImage': fullText('sensor_msgs/msg/CompressedImage', rosDriversTable),
  'sensor_msgs/msg/Imu': fullText('sensor_msgs/msg/Imu', rosDriversTable),
  'std_msgs/msg/String': fullText('std_msgs/msg/String', rosDriversTable),
  'std_msgs/msg/Header': fullText('std_msgs/msg/Header', rosDriversTable),
  'audio_common_msgs/msg/AudioData': fullText('audio_common_msgs/msg/AudioData', rosDriversTable),
  'audio_common_msgs/msg/AudioDataStamped': fullText('audio_common_msgs/msg/AudioDataStamped', rosDriversTable),
  'audio_common_msgs/msg/AudioInfo': fullText('audio_common_msgs/msg/AudioInfo', rosDriversTable),
  'audio_common_msgs/msg/Audio': fullText('audio_common_msgs/msg/Audio', mgonzs13Table),
  'audio_common_msgs/msg/AudioStamped': fullText('audio_common_msgs/msg/AudioStamped', mgonzs13Table),
  'audio_tools/msg/AudioData': fullText('audio_tools/msg/AudioData', audioToolsTable),
  'audio_tools/msg/AudioInfo': fullText('audio_tools/msg/AudioInfo', audioToolsTable),
  'audio_tools/msg/AudioDataStamped': fullText('audio_tools/msg/AudioDataStamped', audioToolsTable),
});

/** The complete definition of `type`, or undefined when sensebind does not ship it. */
export function messageDefinition(type: string): string | undefined {
  return MSG_DEFINITIONS[type];
}
