/**
 * The `ros2` config section (issue 7). ROS 2 is off until `enabled` is true, so sensebind runs (serial,
 * bag replay) on machines without ROS 2. Sensor subscriptions default to best effort (as SensorDataQoS)
 * with a keep-last depth sized for the type (src/ros2/qos-depth.ts): a best-effort subscriber matches both reliable and best-effort publishers (REP-2003).
 * Reference: docs/config.md ("ros2"); how to run on a robot: docs/ros2.md.
 */
import { z } from 'zod';
import { SENSOR_MODALITIES } from '../core/types.js';

const topicName = z.string().min(1).regex(/^[~/A-Za-z_][A-Za-z0-9_/{}~]*$/, 'a ROS 2 topic name (letters, digits, "_", "/", "~")');

const ros2QosSchema = z
  .strictObject({
    /** best_effort matches every publisher; reliable only reliable ones. */
    reliability: z.enum(['best_effort', 'reliable']).default('best_effort'),
    /** transient_local also receives the last message published before sensebind started (latched). */
    durability: z.enum(['volatile', 'transient_local']).default('volatile'),
    /**
     * keep-last queue depth; absent = sized for the message type (docs/ros2.md): 400 for IMU (2 s at
     * 200 Hz), 100 for audio chunks, 5 for images (only the newest frame is used), 10 otherwise. The
     * queue must hold what arrives while the event loop is busy, or DDS discards the oldest unseen.
     */
    depth: z.number().int().positive().optional(),
  })
  .prefault({});

export const ros2TopicSchema = z.strictObject({
  /** Topic to subscribe, relative names resolve in the node's namespace; remap in the launch file. */
  name: topicName,
  /** Modality the topic feeds; empty = from the message type (Image by encoding: 16UC1/32FC1 = depth). */
  modality: z.enum([...SENSOR_MODALITIES, 'ignore']).optional(),
  /** ROS 2 message type, e.g. sensor_msgs/msg/Image; empty = asked from the ROS graph at start. */
  type: z.string().default(''),
  /** Subscription QoS; SensorDataQoS by default. */
  qos: ros2QosSchema,
  /** For ros-drivers audio_common: its AudioInfo topic; empty = the sibling `audio_info`. */
  audioInfoTopic: z.string().default(''),
});

const ros2AudioFormatSchema = z
  .strictObject({
    /** Use this format for ros-drivers audio until an AudioInfo message arrives (off = wait for AudioInfo). */
    enabled: z.boolean().default(false),
    channels: z.number().int().positive().default(1),
    sampleRate: z.number().int().positive().default(16000),
    /** S16LE, S32LE, F32LE, U8 ... */
    sampleFormat: z.string().default('S16LE'),
  })
  .prefault({});

/** Header stamps against the receive/log time, per topic (src/core/topic-clocks.ts, docs/ros2.md). */
const ros2ClockSchema = z
  .strictObject({
    /** A topic on another clock: `map` its stamps onto the receive clock by a fixed offset, or `refuse` its messages. */
    policy: z.enum(['map', 'refuse']).default('map'),
    /** Largest |header stamp - receive time| taken as latency on one clock, seconds. */
    toleranceSeconds: z.number().positive().default(5),
  })
  .prefault({});

export const ros2Schema = z
  .strictObject({
    /** Start the ROS 2 node (needs ROS 2 sourced before `npm ci`; see docs/ros2.md). */
    enabled: z.boolean().default(false),
    /** Node name. */
    node: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a ROS node name').default('sensebind'),
    /** Node namespace, e.g. /robot1; empty = root (the launch file may set it instead). */
    namespace: z.string().default(''),
    /** Sensor topics to subscribe. */
    topics: z.array(ros2TopicSchema).default([]),
    /** Format assumed for ros-drivers audio before its AudioInfo arrives. */
    audioFormat: ros2AudioFormatSchema,
    /** Topics whose header stamps run on another clock (bags: the log time; live: the receive time). */
    clock: ros2ClockSchema,
    /** Events as std_msgs/String (event JSON); `~` = the node's private namespace. Empty = off. */
    eventsTopic: z.string().default('~/events'),
    /** Events as vision_msgs/msg/Classification where vision_msgs is installed; empty = off. */
    classificationTopic: z.string().default('~/classification'),
    /** Every snapshot's concept scores and thresholds as std_msgs/String (JSON, docs/live.md); empty = off. */
    scoresTopic: z.string().default('~/scores'),
    /** Concept commands in (std_msgs/String with a JSON command, see docs/ros2.md); empty = off. */
    conceptsTopic: z.string().default('~/concepts'),
    /** Recall search requests in (std_msgs/String JSON, docs/recall.md); empty = off. */
    searchTopic: z.string().default('~/search'),
    /** Recall search replies out (std_msgs/String JSON). */
    searchReplyTopic: z.string().default('~/search/reply'),
    /**
     * Node time from /clock (as `ros2 bag play --clock` or a simulator publishes it) instead of the wall
     * clock; the ROS parameter `--ros-args -p use_sim_time:=true` turns it on too.
     */
    useSimTime: z.boolean().default(false),
    /**
     * A topic whose header stamps are further than `stampToleranceSeconds` from the node's clock (a device
     * boot clock, a recording's stamps without use_sim_time): map = shift that topic's stamps onto the node
     * clock by one fixed offset, keeping their spacing (default); refuse = skip its messages (counted);
     * keep = use them as they are (the windows then stay empty). Said once per topic with the offset
     * (the rule of src/core/topic-clocks.ts, as for bags).
     */
    stampPolicy: z.enum(['map', 'refuse', 'keep']).default('map'),
    stampToleranceSeconds: z.number().positive().default(5),
  })
  .prefault({});

export type Ros2Config = z.infer<typeof ros2Schema>;
export type Ros2TopicConfig = z.infer<typeof ros2TopicSchema>;
