/**
 * Every JSON payload sensebind publishes on MQTT, as types plus builders. Each carries `v` (schema
 * version): a consumer checks it and a breaking change bumps it. Documented field by field in docs/mqtt.md;
 * test/sinks/mqtt.test.ts checks what arrives at a real broker against these shapes.
 * Status is plain text (`online` / `offline` / `stopped`), not JSON: Home Assistant availability and
 * Frigate-style tooling read it as is.
 */
import type { Concept, SenseEvent } from '../../core/types.js';


/** `<prefix>/<robot>/concepts` (retained). */
export interface ConceptsPayload {
  v: 1;
  robot: string;
  /** Wall-clock ISO time of this list. */
  updatedAt: string;
  concepts: {
    id: string;
    label: string;
    prompts: string[];
    enabled: boolean;
    background: boolean;
    modalities: string[] | null;
    /** Modalities of which one must give evidence of its own; null when any allowed modality may. */
    needsOneOf: string[] | null;
    /** A motion of the robot's own body (an IMU at rest rules it out). */
    bodyMotion: boolean;
    /** The concept's state topic. */
    stateTopic: string;
  }[];
}

/** `<prefix>/<robot>/state/<conceptId>` (retained): whether the concept is happening now. */
export interface ConceptStatePayload {
  v: 1;
  concept: { id: string; label: string };
  active: boolean;
  /** Event that started (active) or last ended (inactive) the state; null before any event. */
  eventId: string | null;
  score: number;
  /** Wall-clock ISO time of the change. */
  since: string;
}

/** `<prefix>/<robot>/ha/event`: Home Assistant's event entity payload (extra keys become attributes). */
export interface HaEventPayload {
  event_type: string;
  event_id: string;
  concept_id: string;
  score: number;
  present: string[];
  missing: string[];
}

/** A reply on the command reply topic. */
export interface CommandReplyPayload {
  v: 1;
  ok: boolean;
  /** The command's `op` when it had one. */
  op: string | null;
  /** Echo of the request's `correlationId` (MQTT v3.1.1 clients; v5 clients get correlation data back). */
  correlationId: string | null;
  /** What the command returned (ok only). */
  result?: unknown;
  /** What was wrong (not ok only); nothing was changed. */
  error?: { code: string; message: string };
}

export function eventPayload(event: SenseEvent): string {
  return JSON.stringify(event);
}

/** A concept as the list shows it: the concept memory's definitions carry the two evidence keys. */
type ListedConcept = Concept & { needsOneOf?: readonly string[]; bodyMotion?: boolean };

export function conceptsPayload(robot: string, concepts: readonly ListedConcept[], stateTopic: (id: string) => string, now = new Date()): ConceptsPayload {
  return {
    v: 1,
    robot,
    updatedAt: now.toISOString(),
    concepts: concepts.map((c) => ({
      id: c.id,
      label: c.label,
      prompts: [...c.prompts],
      enabled: c.enabled,
      background: c.background === true,
      modalities: c.modalities ? [...c.modalities] : null,
      needsOneOf: c.needsOneOf ? [...c.needsOneOf] : null,
      bodyMotion: c.bodyMotion === true,
      stateTopic: stateTopic(c.id),
    })),
  };
}

/** The state a concept is in after `event`. */
export function conceptState(event: SenseEvent, now = new Date()): ConceptStatePayload {
  return {
    v: 1,
    concept: { id: event.concept.id, label: event.concept.label },
    active: event.type !== 'end',
    eventId: event.id,
    score: event.score,
    since: now.toISOString(),
  };
}

/** The state of a concept that has had no event since this agent started. */
export function initialConceptState(concept: Pick<Concept, 'id' | 'label'>, now = new Date()): ConceptStatePayload {
  return { v: 1, concept: { id: concept.id, label: concept.label }, active: false, eventId: null, score: 0, since: now.toISOString() };
}

export function haEventPayload(event: SenseEvent): HaEventPayload {
  return {
    event_type: event.concept.label,
    event_id: event.id,
    concept_id: event.concept.id,
    score: event.score,
    present: [...event.present],
    missing: [...event.missing],
  };
}
