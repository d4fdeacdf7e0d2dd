/**
 * Search over MQTT: `{"op":"search","text":"glass breaking","top":5}` on the robot's command topic
 * (`<prefix>/<robot>/cmd/concepts`), answered on the reply topic like every concept command (MQTT v5
 * response topic and correlation data, or `replyTo`/`correlationId` in the body). Other ops go on to the
 * concept memory's handler, so one topic serves both and the MQTT sink knows nothing about recall.
 */
import { errorMessage, SensebindError } from '../core/errors.js';
import type { CommandOutcome, ConceptCommandHandler } from '../sinks/mqtt/commands.js';
import { executeSearch, searchRequestSchema, type SearchEnv } from './request.js';

export function withRecallSearch(next: ConceptCommandHandler, env: SearchEnv | undefined): ConceptCommandHandler {
  return async (command: unknown): Promise<CommandOutcome> => {
    const op = (command as { op?: unknown } | null)?.op;
    if (op !== 'search') return next(command);
    if (env === undefined) return { ok: false, code: 'REFUSED', message: 'search: this robot keeps no recall store (set recall.dir in its config)' };
    const parsed = searchRequestSchema.safeParse(command);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, code: 'INVALID', message: `invalid command: search: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
    }
    try {
      return { ok: true, result: await executeSearch(env, parsed.data), changed: false };
    } catch (err) {
      return { ok: false, code: err instanceof SensebindError && err.code === 'USAGE' ? 'INVALID' : 'FAILED', message: `search: ${errorMessage(err)}` };
    }
  };
}
