/**
 * Run-time concept commands (MQTT, CLI): one zod schema validates them, `applyConceptCommand` applies one
 * atomically through `ConceptMemory.commit` and answers with a reply that names any problem. A command
 * never throws to its caller: a bad command yields `{ ok: false, error }` and changes nothing.
 */
import { z } from 'zod';
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import { errorMessage } from '../core/errors.js';
import { conceptIdSchema, conceptInputSchema, conceptProblem, patchConcept, resolveConcept, type ConceptDef } from './concept.js';
import { formatIssues } from '../config/zod-issues.js';
import { normalized } from '../core/vector.js';
import { exemplarsFromSnapshots } from './exemplar.js';
import type { ConceptMemory } from './memory.js';
import { NO_BACKGROUND_CONTROL, type BackgroundControl, type MemoryState, type ModalityVectorLists } from './state.js';

const requestId = z.string().max(128).optional();
const modality = z.enum(SENSOR_MODALITIES);

export const conceptCommandSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('add'),
    requestId,
    concept: conceptInputSchema,
    /** Replace a concept with the same id instead of refusing. @default false */
    replace: z.boolean().optional(),
  }),
  z.strictObject({ op: z.literal('update'), requestId, id: conceptIdSchema, patch: conceptInputSchema.omit({ id: true }) }),
  z.strictObject({ op: z.literal('remove'), requestId, id: conceptIdSchema }),
  z.strictObject({ op: z.literal('enable'), requestId, id: conceptIdSchema }),
  z.strictObject({ op: z.literal('disable'), requestId, id: conceptIdSchema }),
  z.strictObject({
    op: z.literal('teach'),
    requestId,
    id: conceptIdSchema,
    /** Modalities to learn from; all present ones when absent. */
    modalities: z.array(modality).min(1).optional(),
    /** Learn from the last `seconds` of live snapshots (mean per modality). @default 2 */
    seconds: z.number().positive().max(600).optional(),
    /** Explicit exemplar vectors per modality (e.g. from a bag range); used instead of live snapshots. */
    embeddings: z.partialRecord(modality, z.array(z.array(z.number()).min(1)).min(1)).optional(),
    /** Drop the concept's existing exemplars (of the named modalities, or all) first. @default false */
    clear: z.boolean().optional(),
  }),
  z.strictObject({ op: z.literal('list'), requestId }),
  /** The live background estimate: freeze it, let it learn again, forget it, or ask how it stands. */
  z.strictObject({ op: z.literal('background'), requestId, action: z.enum(['freeze', 'unfreeze', 'reset', 'status']) }),
]);
export type ConceptCommand = z.infer<typeof conceptCommandSchema>;

export interface ConceptSummary {
  id: string;
  label: string;
  enabled: boolean;
  background: boolean;
  prompts: string[];
  modalities: SensorModality[] | null;
  /** Only when set (concept.ts). */
  needsOneOf?: SensorModality[];
  bodyMotion?: true;
  thresholds: { on: number; off: number };
  exemplars: Partial<Record<SensorModality, number>>;
}

/**
 * How a command ended, for callers that branch on it (MQTT reply codes, ROS 2 logs, CLI exit codes):
 * INVALID = the command itself is malformed (schema); REFUSED = well-formed but not applicable now
 * (unknown id, duplicate id, nothing to learn from).
 */
export type ConceptReplyCode = 'OK' | 'INVALID' | 'REFUSED';

export interface ConceptCommandReply {
  ok: boolean;
  code: ConceptReplyCode;
  op: string;
  requestId?: string;
  id?: string;
  /** What was wrong, when ok is false. */
  error?: string;
  /** Memory version after the command. */
  version: number;
  concept?: ConceptSummary;
  concepts?: ConceptSummary[];
  /** For teach: exemplars added per modality. */
  taught?: Partial<Record<SensorModality, number>>;
  /** For background: the freeze/reset state after the command (the pipeline adds the live estimate's status). */
  background?: BackgroundControl & Record<string, unknown>;
}

function summarise(memory: ConceptMemory, c: ConceptDef): ConceptSummary {
  const ex = memory.exemplars(c.id);
  const exemplars: Partial<Record<SensorModality, number>> = {};
  for (const m of SENSOR_MODALITIES) if (ex[m] !== undefined && (ex[m] as Float32Array[]).length > 0) exemplars[m] = (ex[m] as Float32Array[]).length;
  const out: ConceptSummary = {
    id: c.id,
    label: c.label,
    enabled: c.enabled,
    background: c.background,
    prompts: c.prompts,
    modalities: c.modalities ?? null,
    thresholds: c.thresholds,
    exemplars,
  };
  if (c.needsOneOf !== undefined) out.needsOneOf = c.needsOneOf;
  if (c.bodyMotion === true) out.bodyMotion = true;
  return out;
}

class CommandError extends Error {}

function indexOf(state: MemoryState, id: string): number {
  const i = state.concepts.findIndex((c) => c.id === id);
  if (i < 0) throw new CommandError(`no concept "${id}"`);
  return i;
}

function replaceAt(state: MemoryState, i: number, def: ConceptDef): MemoryState {
  const concepts = [...state.concepts];
  concepts[i] = def;
  return { ...state, concepts };
}

/** Exemplar vectors for a teach command: explicit ones, or the mean of recent live snapshots per modality. */
function teachVectors(memory: ConceptMemory, concept: ConceptDef, cmd: Extract<ConceptCommand, { op: 'teach' }>): Partial<Record<SensorModality, Float32Array[]>> {
  const dim = memory.state.prototypes?.dim;
  const out: Partial<Record<SensorModality, Float32Array[]>> = {};
  // A concept limited to some modalities never scores the others, so an exemplar of those would be dead weight.
  const own = concept.modalities;
  const refused = own === undefined ? [] : (cmd.modalities ?? []).filter((m) => !own.includes(m));
  if (refused.length > 0) throw new CommandError(`concept "${concept.id}" does not use ${refused.join(', ')} (its modalities: ${(own ?? []).join(', ')})`);
  const wanted = (m: SensorModality) => (cmd.modalities === undefined || cmd.modalities.includes(m)) && (own === undefined || own.includes(m));
  if (cmd.embeddings !== undefined) {
    for (const m of SENSOR_MODALITIES) {
      const list = cmd.embeddings[m];
      if (list === undefined || !wanted(m)) continue;
      out[m] = list.map((arr, k) => {
        if (dim !== undefined && dim > 0 && arr.length !== dim) throw new CommandError(`embeddings.${m}.${k}: ${arr.length} numbers, expected ${dim}`);
        const v = normalized(Float32Array.from(arr));
        if (v === undefined) throw new CommandError(`embeddings.${m}.${k}: zero or non-finite vector`);
        return v;
      });
    }
  } else {
    const snaps = memory.recent(cmd.seconds ?? 2);
    if (snaps.length === 0) throw new CommandError('no live snapshots to learn from (is the agent receiving data?)');
    const means = exemplarsFromSnapshots(snaps, SENSOR_MODALITIES.filter(wanted));
    for (const m of SENSOR_MODALITIES) {
      const mean = means[m];
      if (mean !== undefined) out[m] = [mean];
    }
  }
  if (Object.keys(out).length === 0) {
    throw new CommandError(`none of the requested modalities (${(cmd.modalities ?? ['any']).join(', ')}) is present to learn from`);
  }
  return out;
}

export interface ApplyOptions {
  /** Who sent the command, so advice names what that sender can do. @default 'message' (MQTT, ROS 2) */
  surface?: 'message' | 'cli';
}

/** What to do about an existing id, in the sender's own terms (commands that exist there). */
function existsAdvice(id: string, surface: 'message' | 'cli'): string {
  return surface === 'cli'
    ? `concept "${id}" exists (replace it with \`sensebind concepts add ${id} --replace ...\`, or \`sensebind concepts remove ${id}\` first)`
    : `concept "${id}" exists (send {"op":"update","id":"${id}","patch":{...}}, or "add" with "replace": true)`;
}

/** Validates and applies one command. Never throws; the reply says what happened. */
export async function applyConceptCommand(memory: ConceptMemory, command: unknown, options: ApplyOptions = {}): Promise<ConceptCommandReply> {
  const parsed = conceptCommandSchema.safeParse(command);
  const rawOp = typeof command === 'object' && command !== null && 'op' in command ? String((command as { op: unknown }).op) : '?';
  if (!parsed.success) return { ok: false, code: 'INVALID', op: rawOp, error: `invalid command: ${formatIssues(parsed.error.issues, command, 5).join('; ')}`, version: memory.version };
  const cmd = parsed.data;
  const base: ConceptCommandReply = { ok: true, code: 'OK', op: cmd.op, version: memory.version };
  if (cmd.requestId !== undefined) base.requestId = cmd.requestId;
  if (cmd.op !== 'list' && cmd.op !== 'add' && cmd.op !== 'background') base.id = cmd.id;
  if (cmd.op === 'add') base.id = cmd.concept.id;
  try {
    let taught: Partial<Record<SensorModality, number>> | undefined;
    switch (cmd.op) {
      case 'list':
        return { ...base, concepts: memory.concepts().map((c) => summarise(memory, c)) };
      case 'background': {
        const action = cmd.action;
        if (action !== 'status') {
          await memory.commit((s) => {
            const now = s.background ?? NO_BACKGROUND_CONTROL;
            if (action === 'reset') return { ...s, background: { ...now, resets: now.resets + 1 } };
            const frozen = action === 'freeze';
            return now.frozen === frozen ? s : { ...s, background: { ...now, frozen } };
          });
        }
        return { ...base, version: memory.version, background: { ...(memory.state.background ?? NO_BACKGROUND_CONTROL) } };
      }
      case 'add': {
        const def = resolveConcept(cmd.concept, memory.defaults);
        const problem = conceptProblem(def);
        if (problem !== undefined) throw new CommandError(problem);
        await memory.commit((s) => {
          const i = s.concepts.findIndex((c) => c.id === def.id);
          if (i >= 0 && cmd.replace !== true) throw new CommandError(existsAdvice(def.id, options.surface ?? 'message'));
          return i >= 0 ? replaceAt(s, i, def) : { ...s, concepts: [...s.concepts, def] };
        });
        break;
      }
      case 'update': {
        const patch = cmd.patch;
        await memory.commit((s) => {
          const i = indexOf(s, cmd.id);
          const next = patchConcept(s.concepts[i] as ConceptDef, patch);
          if (next.thresholds.off >= next.thresholds.on) throw new CommandError('thresholds.off must be below thresholds.on');
          const problem = conceptProblem(next);
          if (problem !== undefined) throw new CommandError(problem);
          return replaceAt(s, i, next);
        });
        break;
      }
      case 'remove':
        await memory.commit((s) => {
          const i = indexOf(s, cmd.id);
          const exemplars = new Map(s.exemplars);
          exemplars.delete(cmd.id);
          return { ...s, concepts: s.concepts.filter((_, k) => k !== i), exemplars };
        });
        return { ...base, version: memory.version };
      case 'enable':
      case 'disable':
        await memory.commit((s) => {
          const i = indexOf(s, cmd.id);
          return replaceAt(s, i, { ...(s.concepts[i] as ConceptDef), enabled: cmd.op === 'enable' });
        });
        break;
      case 'teach': {
        const concept = memory.get(cmd.id);
        if (concept === undefined) throw new CommandError(`no concept "${cmd.id}"`);
        const vectors = teachVectors(memory, concept, cmd);
        taught = {};
        const counts = taught;
        await memory.commit((s) => {
          indexOf(s, cmd.id);
          const lists: ModalityVectorLists = { ...(s.exemplars.get(cmd.id) ?? {}) };
          if (cmd.clear === true) for (const m of cmd.modalities ?? SENSOR_MODALITIES) delete lists[m];
          for (const m of SENSOR_MODALITIES) {
            const add = vectors[m];
            if (add === undefined) continue;
            lists[m] = [...(lists[m] ?? []), ...add].slice(-memory.maxExemplars);
            counts[m] = add.length;
          }
          const exemplars = new Map(s.exemplars);
          exemplars.set(cmd.id, lists);
          return { ...s, exemplars };
        });
        break;
      }
    }
    const def = memory.get(base.id as string);
    const reply: ConceptCommandReply = { ...base, version: memory.version };
    if (def !== undefined) reply.concept = summarise(memory, def);
    if (taught !== undefined) reply.taught = taught;
    return reply;
  } catch (err) {
    return { ...base, ok: false, code: 'REFUSED', error: errorMessage(err), version: memory.version };
  }
}
