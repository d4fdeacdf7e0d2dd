/**
 * Schemas of the live channels. JSON channels carry a JSON Schema (what a Foxglove WebSocket server
 * advertises and what Foxglove's Plot, State Transitions and Raw Messages panels read); the camera uses
 * Foxglove's own foxglove.CompressedImage schema from @foxglove/schemas. Event clips are rosbag2 files
 * (CDR), so the score message also has a ros2msg definition with the same field names: one layout path
 * reads the live stream and a clip alike.
 */
import { CompressedImage } from '@foxglove/schemas/jsonschema.js';
import { GATE_REASONS, SENSOR_MODALITIES } from '../core/types.js';

type JsonSchema = Record<string, unknown>;

const time: JsonSchema = {
  type: 'object',
  properties: { sec: { type: 'integer', minimum: 0 }, nsec: { type: 'integer', minimum: 0, maximum: 999_999_999 } },
  required: ['sec', 'nsec'],
};
const nullableNumber: JsonSchema = { type: ['number', 'null'] };
const modalityName: JsonSchema = { type: 'string', enum: [...SENSOR_MODALITIES] };
const vector3: JsonSchema = {
  type: 'object',
  properties: { x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } },
  required: ['x', 'y', 'z'],
};

const SCORES_SCHEMA: JsonSchema = {
  title: 'sensebind.ConceptScores',
  description: "Every concept's fused and per-modality scores with its on/off thresholds, one message per snapshot",
  type: 'object',
  properties: {
    timestamp: time,
    seq: { type: 'integer' },
    total: { type: 'integer', description: 'concepts in memory (the list may be cut to the highest)' },
    concepts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          label: { type: 'string' },
          fused: { ...nullableNumber, description: "this snapshot's fused score; null without evidence" },
          smoothed: { type: 'number', description: 'smoothed fused score, compared with on/off' },
          on: { type: 'number' },
          off: { type: 'number' },
          active: { type: 'boolean' },
          ...Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, { ...nullableNumber, description: `calibrated ${m} score; null without ${m} evidence` }])),
        },
        required: ['id', 'label', 'fused', 'smoothed', 'on', 'off', 'active', ...SENSOR_MODALITIES],
      },
    },
  },
  required: ['timestamp', 'seq', 'total', 'concepts'],
};

const MODALITIES_SCHEMA: JsonSchema = {
  title: 'sensebind.Modalities',
  description: 'Which modalities are present, which gave evidence, what the embed gate did with each, and which an evidence gate held back',
  type: 'object',
  properties: {
    timestamp: time,
    seq: { type: 'integer' },
    present: { type: 'array', items: modalityName },
    missing: { type: 'array', items: modalityName },
    modalities: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: modalityName,
          present: { type: 'boolean' },
          evidence: { type: 'boolean' },
          state: { type: 'string', enum: ['embedded', 'reused', 'rate-cap', 'degraded', 'failed', 'unsupported', 'gated', 'absent'] },
          gate: { type: ['string', 'null'], enum: [...GATE_REASONS, null], description: 'why fresh data carried no evidence (evidence gate)' },
        },
        required: ['name', 'present', 'evidence', 'state', 'gate'],
      },
    },
  },
  required: ['timestamp', 'seq', 'present', 'missing', 'modalities'],
};

const EVENT_SCHEMA: JsonSchema = {
  title: 'sensebind.Event',
  description: 'An event as it leaves the agent (the JSONL/MQTT payload, docs/mqtt-schemas.json)',
  type: 'object',
  properties: {
    v: { const: 1 },
    id: { type: 'string' },
    type: { type: 'string', enum: ['start', 'update', 'end'] },
    robot: { type: 'string' },
    concept: { type: 'object', properties: { id: { type: 'string' }, label: { type: 'string' } }, required: ['id', 'label'] },
    score: { type: 'number' },
    peakScore: { type: 'number' },
    modalityScores: { type: 'object', additionalProperties: { type: 'number' } },
    present: { type: 'array', items: modalityName },
    missing: { type: 'array', items: modalityName },
    start: { type: 'string' },
    end: { type: ['string', 'null'] },
    startTime: { type: 'string' },
    endTime: { type: ['string', 'null'] },
    emittedAt: { type: 'string' },
    seq: { type: 'integer' },
    clip: { type: 'string' },
  },
  required: ['v', 'id', 'type', 'robot', 'concept', 'score', 'peakScore', 'modalityScores', 'present', 'missing', 'start', 'end', 'startTime', 'endTime', 'emittedAt', 'seq'],
};

const IMU_SCHEMA: JsonSchema = {
  title: 'sensebind.Imu',
  description: 'IMU as the model saw it (the window resampled onto its grid): specific force m/s^2, angular rate rad/s',
  type: 'object',
  properties: { timestamp: time, acc: vector3, gyro: vector3 },
  required: ['timestamp', 'acc', 'gyro'],
};

const AUDIO_LEVEL_SCHEMA: JsonSchema = {
  title: 'sensebind.AudioLevel',
  description: 'Level of the newest hop of audio (full scale = 1)',
  type: 'object',
  properties: { timestamp: time, rms: { type: 'number' }, peak: { type: 'number' }, dbfs: { type: 'number' }, seconds: { type: 'number' } },
  required: ['timestamp', 'rms', 'peak', 'dbfs', 'seconds'],
};

const COMPRESSED_IMAGE_SCHEMA: JsonSchema = CompressedImage as JsonSchema;

/** One advertised channel. */
export interface LiveChannel {
  topic: string;
  schemaName: string;
  schema: JsonSchema;
}

export const LIVE_TOPICS = {
  scores: '/sensebind/scores',
  modalities: '/sensebind/modalities',
  events: '/sensebind/events',
  camera: '/sensebind/camera',
  imu: '/sensebind/imu',
  audioLevel: '/sensebind/audio_level',
} as const;

export type LiveTopic = keyof typeof LIVE_TOPICS;

export const LIVE_CHANNELS: Record<LiveTopic, LiveChannel> = {
  scores: { topic: LIVE_TOPICS.scores, schemaName: 'sensebind.ConceptScores', schema: SCORES_SCHEMA },
  modalities: { topic: LIVE_TOPICS.modalities, schemaName: 'sensebind.Modalities', schema: MODALITIES_SCHEMA },
  events: { topic: LIVE_TOPICS.events, schemaName: 'sensebind.Event', schema: EVENT_SCHEMA },
  camera: { topic: LIVE_TOPICS.camera, schemaName: 'foxglove.CompressedImage', schema: COMPRESSED_IMAGE_SCHEMA },
  imu: { topic: LIVE_TOPICS.imu, schemaName: 'sensebind.Imu', schema: IMU_SCHEMA },
  audioLevel: { topic: LIVE_TOPICS.audioLevel, schemaName: 'sensebind.AudioLevel', schema: AUDIO_LEVEL_SCHEMA },
};

/**
 * The score message as a ROS 2 type for event clips. The type exists only inside the files (its
 * definition travels in the MCAP schema record): Foxglove decodes it without any ROS package installed.
 * Absent scores are NaN (CDR has no null).
 */
export const SCORES_ROS_TYPE = 'sensebind_msgs/msg/ConceptScores';
export const SCORES_ROS_DEFINITIONS: Record<string, string> = {
  [SCORES_ROS_TYPE]: [
    'builtin_interfaces/Time timestamp',
    'int64 seq',
    'int64 total',
    'sensebind_msgs/ConceptScore[] concepts',
    '================================================================================',
    'MSG: sensebind_msgs/ConceptScore',
    'string id',
    'string label',
    'float64 fused',
    'float64 smoothed',
    'float64 on',
    'float64 off',
    'bool active',
    ...SENSOR_MODALITIES.map((m) => `float64 ${m}`),
    '================================================================================',
    'MSG: builtin_interfaces/Time',
    'int32 sec',
    'uint32 nanosec',
  ].join('\n'),
};
