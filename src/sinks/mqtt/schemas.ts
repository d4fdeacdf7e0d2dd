/**
 * The published payloads as zod schemas: the machine-checkable form of docs/mqtt.md. Consumers written in
 * TypeScript can import them; `sensebindMqttJsonSchemas()` gives JSON Schema for everyone else, and the
 * integration tests parse every payload that arrives at the broker with them. Version 1 (`v: 1`).
 */
import { z } from 'zod';
import { SENSOR_MODALITIES } from '../../core/types.js';

const modality = z.enum(SENSOR_MODALITIES);
const isoTime = z.iso.datetime();

/** `<prefix>/<robot>/events`: one message per event phase. Deduplicate by (`id`, `seq`). */
export const eventPayloadSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().min(1),
  type: z.enum(['start', 'update', 'end']),
  robot: z.string().min(1),
  concept: z.strictObject({ id: z.string().min(1), label: z.string() }),
  score: z.number(),
  peakScore: z.number(),
  modalityScores: z.partialRecord(modality, z.number()),
  present: z.array(modality),
  missing: z.array(modality),
  start: z.string().regex(/^\d+$/),
  end: z.string().regex(/^\d+$/).nullable(),
  emittedAt: isoTime,
  seq: z.number().int().min(0),
  clip: z.string().optional(),
});

/** `<prefix>/<robot>/status` (retained, plain text). */
export const statusPayloadSchema = z.enum(['online', 'offline', 'stopped']);

/** `<prefix>/<robot>/concepts` (retained). */
export const conceptsPayloadSchema = z.strictObject({
  v: z.literal(1),
  robot: z.string().min(1),
  updatedAt: isoTime,
  concepts: z.array(
    z.strictObject({
      id: z.string().min(1),
      label: z.string(),
      prompts: z.array(z.string()),
      enabled: z.boolean(),
      background: z.boolean(),
      modalities: z.array(modality).nullable(),
      stateTopic: z.string().min(1),
    }),
  ),
});

/** `<prefix>/<robot>/state/<conceptId>` (retained; an empty retained message once the concept is removed). */
export const conceptStatePayloadSchema = z.strictObject({
  v: z.literal(1),
  concept: z.strictObject({ id: z.string().min(1), label: z.string() }),
  active: z.boolean(),
  eventId: z.string().nullable(),
  score: z.number(),
  since: isoTime,
});

/** `<prefix>/<robot>/ha/event`: Home Assistant's event entity (extra keys become attributes). */
export const haEventPayloadSchema = z.strictObject({
  event_type: z.string(),
  event_id: z.string(),
  concept_id: z.string(),
  score: z.number(),
  present: z.array(modality),
  missing: z.array(modality),
});

/** What a command request looks like around the concept command itself (src/memory/commands.ts). */
export const commandEnvelopeSchema = z.looseObject({
  op: z.string(),
  /** MQTT v3.1.1 clients: where the reply goes (v5 clients use the Response Topic property). */
  replyTo: z.string().optional(),
  /** MQTT v3.1.1 clients: echoed in the reply (v5 clients use Correlation Data). */
  correlationId: z.string().optional(),
});

/** Replies to concept commands. */
export const commandReplyPayloadSchema = z.strictObject({
  v: z.literal(1),
  ok: z.boolean(),
  op: z.string().nullable(),
  correlationId: z.string().nullable(),
  result: z.unknown().optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
});

/** JSON Schema (draft 2020-12) of every payload, by name. */
export function sensebindMqttJsonSchemas(): Record<string, unknown> {
  const schemas = {
    event: eventPayloadSchema,
    status: statusPayloadSchema,
    concepts: conceptsPayloadSchema,
    conceptState: conceptStatePayloadSchema,
    haEvent: haEventPayloadSchema,
    commandRequest: commandEnvelopeSchema,
    commandReply: commandReplyPayloadSchema,
  };
  return Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, z.toJSONSchema(schema, { io: 'input' })]));
}
