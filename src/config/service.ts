/**
 * The `service` section: how `sensebind run` behaves as a long-lived process (metrics/health HTTP, graceful
 * stop, event clips, resource caps). Everything is off or conservative by default so a bare `sensebind run`
 * opens no port and writes nothing besides the configured sinks.
 */
import { z } from 'zod';

const rateHz = z.number().min(0);

const embedRateSchema = z
  .strictObject({
    /** Most camera embeddings per second; 0 = no cap (one per snapshot). */
    vision: rateHz.default(2),
    /** Most depth embeddings per second; 0 = no cap. */
    depth: rateHz.default(2),
    /** Most thermal embeddings per second; 0 = no cap. */
    thermal: rateHz.default(2),
    /** Most audio embeddings per second; 0 = no cap. */
    audio: rateHz.default(0),
    /** Most IMU embeddings per second; 0 = no cap. */
    imu: rateHz.default(0),
  })
  .prefault({});

export const serviceSchema = z
  .strictObject({
    metrics: z
      .strictObject({
        /** TCP port for /metrics, /healthz and /readyz; 0 = no HTTP server at all. */
        port: z.number().int().min(0).max(65535).default(0),
        /** Address the server binds to; keep loopback unless a scraper elsewhere must reach it. */
        host: z.string().min(1).default('127.0.0.1'),
      })
      .prefault({}),
    /** Seconds a SIGTERM/SIGINT stop may take (finish snapshots, flush sinks) before the process exits 1. */
    stopDeadlineSeconds: z.number().positive().default(10),
    clips: z
      .strictObject({
        /** Folder event clips (MCAP) are written to; empty = no clips. */
        dir: z.string().default(''),
        /** Seconds of every sensor topic kept before an event starts. */
        preRollSeconds: z.number().min(0).default(5),
        /** Seconds recorded after an event ends. */
        postRollSeconds: z.number().min(0).default(2),
        /** A clip is closed this many seconds after it opened even if its event is still running. */
        maxSeconds: z.number().positive().default(60),
        /** Oldest clips are deleted while the folder holds more than this many MiB. */
        retentionMiB: z.number().positive().default(2048),
        /** Clips older than this many hours are deleted. */
        retentionHours: z.number().positive().default(24 * 7),
      })
      .prefault({}),
    limits: z
      .strictObject({
        /** Embedding rate caps per modality (Hz). */
        embedRateHz: embedRateSchema,
        /** Memory (MiB) all pre-roll buffers together may hold; oldest samples go first. */
        bufferMiB: z.number().positive().default(256),
        /**
         * When one snapshot's processing takes longer than this fraction of the hop, frame modalities are
         * embedded less often (continuous streams keep their rate; they degrade last).
         */
        loadThreshold: z.number().positive().max(1).default(0.8),
        /**
         * Worker threads that preprocess windows (resampling, fbank) off the main thread, so the event
         * loop stays responsive; 0 = preprocess on the main thread.
         */
        preprocessWorkers: z.number().int().min(0).max(16).default(1),
      })
      .prefault({}),
  })
  .prefault({});

