/**
 * Config sections owned by the core. Other stages own their sections in their own files
 * (mqtt.ts, ros2.ts, serial.ts, service.ts ...) and schema.ts composes them.
 * Every field has a default so an empty file (or no file) is a valid config.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { SENSOR_MODALITIES } from '../core/types.js';

const seconds = z.number().positive();

export const logSchema = z
  .strictObject({
    /** pino level. */
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** auto: pretty on a terminal, JSON otherwise. */
    format: z.enum(['auto', 'json', 'pretty']).default('auto'),
  })
  .prefault({});

export const modelSchema = z
  .strictObject({
    /** Folder with a manifest.json (bundled bind-mini by default; an ImageBind export for real perception). */
    dir: z.string().min(1).default('models/bind-mini'),
    /** Execution providers to try in order; the first that loads wins (onnxruntime-node does not fall back). */
    providers: z.array(z.enum(['tensorrt', 'cuda', 'webgpu', 'cpu'])).min(1).default(['tensorrt', 'cuda', 'webgpu', 'cpu']),
    /** ONNX Runtime intra-op threads; 0 = runtime default. */
    intraOpThreads: z.number().int().min(0).default(0),
    /** ONNX Runtime inter-op threads; 0 = runtime default. */
    interOpThreads: z.number().int().min(0).default(0),
    /** Where text embeddings of prompts are cached (keyed by model hash and prompt). */
    cacheDir: z.string().min(1).default('.sensebind/cache'),
  })
  .prefault({});

const maxAgeSchema = z
  .strictObject({
    vision: seconds.default(1.0),
    depth: seconds.default(1.0),
    thermal: seconds.default(1.0),
    audio: seconds.default(0.5),
    imu: seconds.default(0.5),
  })
  .prefault({});

const enabled = z.boolean().default(true);

/** Evidence gates (src/window/evidence-gates.ts; defaults there as GATE_DEFAULTS, repeated here for `config print`). */
const gatesSchema = z
  .strictObject({
    audio: z
      .strictObject({
        enabled,
        /** RMS level (dBFS) under which audio is silent. */
        floorDbfs: z.number().max(0).default(-60),
        /** Spectral flatness (0-1) at or above which steady audio is noise. */
        noiseFlatness: z.number().min(0).max(1).default(0.3),
        /** Steady: the loudest short frames (98th percentile) at most this many dB above the median frame. */
        noiseDynamicsDb: z.number().min(0).default(5),
      })
      .prefault({}),
    frame: z
      .strictObject({
        enabled,
        /** Vision mean luma (0-255) under which a frame is black. */
        blackLevel: z.number().min(0).max(255).default(10),
        /** Depth frames with a smaller fraction of valid ranges give no evidence. */
        minValidDepth: z.number().min(0).max(1).default(0.02),
        /** A frame stream unchanged for this many seconds is frozen. */
        frozenSeconds: seconds.default(2),
        /** Largest fraction of sampled pixels that may change between "unchanged" frames. */
        frozenChangedFraction: z.number().min(0).max(1).default(0.001),
      })
      .prefault({}),
    imu: z
      .strictObject({
        enabled,
        /** At rest: per-axis specific-force std over the window under this (m/s^2). */
        accStd: z.number().min(0).default(0.2),
        /** At rest: per-axis angular-rate RMS over the window under this (rad/s). */
        gyroRms: z.number().min(0).default(0.05),
      })
      .prefault({}),
  })
  .prefault({});

const AXIS_MAP = /^\s*[+-]?[xyz]\s*,\s*[+-]?[xyz]\s*,\s*[+-]?[xyz]\s*$/;

/** The IMU's orientation on the robot (src/window/imu-mounting.ts). */
const imuMountingSchema = z.union([
  z
    .string()
    .refine((s) => s.trim() === 'auto' || (AXIS_MAP.test(s) && new Set(s.replace(/[^xyz]/g, '')).size === 3), {
      message: 'three signed axes, each of x, y, z once, like "x,-y,-z" (robot x, y, z in sensor axes), or "auto"',
    }),
  z.strictObject({ roll: z.number().default(0), pitch: z.number().default(0), yaw: z.number().default(0) }),
]);

export const windowSchema = z
  .strictObject({
    /** Seconds between snapshots. */
    hopSeconds: seconds.default(0.5),
    /** A modality whose newest data is older than this (seconds) is absent from the snapshot. */
    maxAgeSeconds: maxAgeSchema,
    /** Modalities never used even when their sensors are present. */
    disabled: z.array(z.enum(SENSOR_MODALITIES)).default([]),
    /** Modalities without signal (silence, noise, black or frozen frames, IMU at rest) are absent evidence. */
    gates: gatesSchema,
    /** IMU orientation on the robot: "x,-y,-z" axis map, { roll, pitch, yaw } degrees, or "auto". */
    imuMounting: imuMountingSchema.default('x,y,z'),
    /**
     * The sensor each modality listens to when several publish it (a stereo pair, two IMUs): the topic
     * name for ROS 2 and bags, the port's sensor id for serial. Unset: the first one seen.
     */
    sensors: z
      .strictObject({
        vision: z.string().min(1).optional(),
        depth: z.string().min(1).optional(),
        thermal: z.string().min(1).optional(),
        audio: z.string().min(1).optional(),
        imu: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .prefault({});

export const jsonlSinkSchema = z
  .strictObject({
    /** File events are appended to, one JSON object per line; empty = off. */
    path: z.string().default(''),
    /** fsync after every event (survives power loss, costs a disk flush per event). */
    fsync: z.boolean().default(false),
  })
  .prefault({});

export const robotSchema = z
  .strictObject({
    /** Robot id in event payloads and MQTT topics. */
    id: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-" (it becomes an MQTT topic level)')
      .default(hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'robot'),
  })
  .prefault({});
