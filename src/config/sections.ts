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

export const windowSchema = z
  .strictObject({
    /** Seconds between snapshots. */
    hopSeconds: seconds.default(0.5),
    /** A modality whose newest data is older than this (seconds) is absent from the snapshot. */
    maxAgeSeconds: maxAgeSchema,
    /** Modalities never used even when their sensors are present. */
    disabled: z.array(z.enum(SENSOR_MODALITIES)).default([]),
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
