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
  startTime: isoTime,
  endTime: isoTime.nullable(),
  emittedAt: isoTime,
  seq: z.number().int().min(0),
  clip: z.string().optional(),
})
  .meta({
    title: 'sensebind event v1',
    description:
      '<prefix>/<robot>/events: one message per event phase (QoS 1, not retained). Deduplicate by (id, seq).',
  });

/** `<prefix>/<robot>/status` (retained, plain text). */
export const statusPayloadSchema = z.enum(['online', 'offline', 'stopped'])
  .meta({
    title: 'sensebind status',
    description:
      '<prefix>/<robot>/status (retained, plain text): online on connect, offline as Last Will, stopped on a clean stop.',
  });

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
      // Added in v1 after its first release (optional, so earlier lists still validate).
      needsOneOf: z.array(modality).nullable().optional(),
      bodyMotion: z.boolean().optional(),
      stateTopic: z.string().min(1),
    }),
  ),
})
  .meta({
    title: 'sensebind concept list v1',
    description:
      '<prefix>/<robot>/concepts (retained).',
  });

/** `<prefix>/<robot>/state/<conceptId>` (retained; an empty retained message once the concept is removed). */
export const conceptStatePayloadSchema = z.strictObject({
  v: z.literal(1),
  concept: z.strictObject({ id: z.string().min(1), label: z.string() }),
  active: z.boolean(),
  eventId: z.string().nullable(),
  score: z.number(),
  since: isoTime,
})
  .meta({
    title: 'sensebind concept state v1',
    description:
      '<prefix>/<robot>/state/<conceptId> (retained, QoS 0).',
  });

/** `<prefix>/<robot>/ha/event`: Home Assistant's event entity (extra keys become attributes). */
export const haEventPayloadSchema = z.strictObject({
  event_type: z.string(),
  event_id: z.string(),
  concept_id: z.string(),
  score: z.number(),
  present: z.array(modality),
  missing: z.array(modality),
})
  .meta({
    title: 'Home Assistant event',
    description:
      "<prefix>/<robot>/ha/event: the event entity's payload on each event start (not retained).",
  });

/** What a command request looks like around the concept command itself (src/memory/commands.ts). */
const commandEnvelopeSchema = z.looseObject({
  op: z.string(),
  /** MQTT v3.1.1 clients: where the reply goes (v5 clients use the Response Topic property). */
  replyTo: z.string().optional(),
  /** MQTT v3.1.1 clients: echoed in the reply (v5 clients use Correlation Data). */
  correlationId: z.string().optional(),
})
  .meta({
    title: 'sensebind concept command request',
    description:
      '<prefix>/<robot>/cmd/concepts: the concept command (src/memory/commands.ts) plus replyTo / correlationId for MQTT v3.1.1 clients.',
  });

/** Replies to concept commands. */
export const commandReplyPayloadSchema = z.strictObject({
  v: z.literal(1),
  ok: z.boolean(),
  op: z.string().nullable(),
  correlationId: z.string().nullable(),
  result: z.unknown().optional(),
  error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
})
  .meta({
    title: 'sensebind command reply v1',
    description:
      "Reply to a concept command, on the request's response topic, replyTo, or <prefix>/<robot>/cmd/concepts/reply.",
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
