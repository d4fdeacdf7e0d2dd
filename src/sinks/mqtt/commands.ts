/**
 * Request/response plumbing for concept commands on `<prefix>/<robot>/cmd/concepts`. The sink knows
 * nothing about concepts: it decodes the envelope (JSON, reply topic, correlation), hands the body to an
 * injected handler (the concept memory's), and encodes the reply. Where the reply goes, first match wins:
 *   1. MQTT v5 Response Topic property (correlation data is echoed as a property);
 *   2. a `replyTo` field in the body (MQTT v3.1.1 clients; `correlationId` is echoed in the reply body);
 *   3. `<prefix>/<robot>/cmd/concepts/reply`.
 * A request that fails here (not JSON, bad reply topic) never reaches the handler, so it changes nothing.
 */
import { errorMessage } from '../../core/errors.js';
import type { CommandReplyPayload } from './payloads.js';
import { isPublishableTopic } from './topics.js';

/** What a command handler returns. `changed` tells the sink to republish the concept list. */
export type CommandOutcome =
  | { ok: true; result?: unknown; changed: boolean }
  | { ok: false; code: string; message: string };

/** Applies one command body (already JSON-parsed, envelope fields removed). Must not throw for bad input. */
export type ConceptCommandHandler = (command: unknown) => Promise<CommandOutcome>;

export interface DecodedCommand {
  replyTopic: string;
  correlationData: Buffer | undefined;
  correlationId: string | null;
  op: string | null;
  /** The body for the handler, or the reason it cannot be handled. */
  body: { ok: true; value: unknown } | { ok: false; code: string; message: string };
}

export interface CommandEnvelopeProps {
  responseTopic?: string | undefined;
  correlationData?: Buffer | undefined;
}

export function decodeCommand(payload: Buffer, props: CommandEnvelopeProps, defaultReplyTopic: string): DecodedCommand {
  const decoded: DecodedCommand = {
    replyTopic: defaultReplyTopic,
    correlationData: props.correlationData,
    correlationId: null,
    op: null,
    body: { ok: true, value: undefined },
  };
  const fail = (message: string): DecodedCommand => ({ ...decoded, body: { ok: false, code: 'BAD_REQUEST', message } });
  if (props.responseTopic !== undefined) {
    if (!isPublishableTopic(props.responseTopic)) return fail(`response topic "${props.responseTopic}" is not a topic one can publish to`);
    decoded.replyTopic = props.responseTopic;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return fail(`payload is not JSON: ${errorMessage(err)}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return fail(`payload must be a JSON object like {"op":"list"}, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
  }
  const { replyTo, correlationId, ...body } = parsed as Record<string, unknown>;
  if (correlationId !== undefined) {
    if (typeof correlationId !== 'string') return fail(`correlationId must be a string, got ${JSON.stringify(correlationId)}`);
    decoded.correlationId = correlationId;
  }
  if (typeof body.op === 'string') decoded.op = body.op;
  if (replyTo !== undefined && props.responseTopic === undefined) {
    if (typeof replyTo !== 'string' || !isPublishableTopic(replyTo)) {
      return fail(`replyTo must be a topic without wildcards, got ${JSON.stringify(replyTo)}`);
    }
    decoded.replyTopic = replyTo;
  }
  decoded.body = { ok: true, value: body };
  return decoded;
}

export function replyPayload(command: DecodedCommand, outcome: CommandOutcome): CommandReplyPayload {
  const base = { v: 1 as const, op: command.op, correlationId: command.correlationId };
  return outcome.ok
    ? { ...base, ok: true, result: outcome.result ?? null }
    : { ...base, ok: false, error: { code: outcome.code, message: outcome.message } };
}
