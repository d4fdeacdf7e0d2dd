/**
 * The whole sensebind.yaml, composed from per-stage sections. Unknown keys anywhere are errors.
 * The reference with every default: docs/config.md (kept in sync by test/config/schema.test.ts).
 */
import { z } from 'zod';
import { jsonlSinkSchema, logSchema, modelSchema, robotSchema, windowSchema } from './sections.js';
import { serviceSchema } from './service.js';
import { mqttSchema } from './mqtt.js';
import { serialSchema } from './serial.js';
import { ros2Schema } from './ros2.js';
import { matchSchema } from './match.js';
import { recallSchema } from './recall.js';
import { liveSchema } from './live.js';

export const configSchema = z.strictObject({
  robot: robotSchema,
  log: logSchema,
  model: modelSchema,
  window: windowSchema,
  service: serviceSchema,
  mqtt: mqttSchema,
  serial: serialSchema,
  ros2: ros2Schema,
  match: matchSchema,
  recall: recallSchema,
  live: liveSchema,
  sinks: z
    .strictObject({
      jsonl: jsonlSinkSchema,
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
/** What a user may write: every field optional. */
export type ConfigInput = z.input<typeof configSchema>;
