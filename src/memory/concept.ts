/**
 * A concept as the memory stores it: the core `Concept` plus the lifecycle knobs the matcher needs.
 * One zod schema serves the YAML file, run-time commands (MQTT, CLI) and the persisted state, so a concept
 * that passes one door passes them all. Defaults live in the file's `defaults:` block (concept-file.ts), not
 * here, so a command that omits a field gets the same value as a YAML entry that omits it.
 */
import { z } from 'zod';
import { SENSOR_MODALITIES, type Concept, type SensorModality } from '../core/types.js';

export const conceptIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits, "_", ".", ":" or "-" (it appears in topics and file names)');

const modalitySchema = z.enum(SENSOR_MODALITIES);
const templateSchema = z
  .string()
  .min(1)
  .refine((t) => t.includes('{}'), 'a template must contain "{}" where the prompt goes');

export const templatesSchema = z.partialRecord(modalitySchema, z.array(templateSchema).min(1));

export const thresholdsSchema = z
  .strictObject({
    /** Smoothed fused score at which an event starts. */
    on: z.number().gt(0).lt(1),
    /** Smoothed fused score below which a running event ends (off < on). */
    off: z.number().gte(0).lt(1),
  })
  .refine((t) => t.off < t.on, { message: 'thresholds.off must be below thresholds.on (hysteresis)' });

/** Every field a user may set on a concept; all but `id` optional (filled from defaults). */
export const conceptInputSchema = z.strictObject({
  id: conceptIdSchema,
  /** Human label; defaults to the id with "_" as spaces. */
  label: z.string().min(1).max(256).optional(),
  /** Text prompts; defaults to [label]. */
  prompts: z.array(z.string().min(1).max(512)).min(1).max(64).optional(),
  /** Per-modality prompt templates ("the sound of {}"); missing modalities use the file defaults. */
  templates: templatesSchema.optional(),
  /** Modalities allowed to give evidence for this concept; all when absent. */
  modalities: z.array(modalitySchema).min(1).optional(),
  /**
   * The concept has a score only while at least one of these modalities gives evidence from its own
   * embedding; the other allowed modalities support it but never fire it alone (the sound of a fall is
   * not a fall). Absent: any allowed modality may.
   */
  needsOneOf: z.array(modalitySchema).min(1).optional(),
  /** A motion of the robot's own body: an IMU that the evidence gates find at rest rules it out (score 0). */
  bodyMotion: z.boolean().optional(),
  thresholds: thresholdsSchema.optional(),
  cooldownSeconds: z.number().min(0).optional(),
  minDurationSeconds: z.number().min(0).optional(),
  maxDurationSeconds: z.number().positive().optional(),
  enabled: z.boolean().optional(),
  /** Background concepts compete in the softmax but never emit events. */
  background: z.boolean().optional(),
});
export type ConceptInput = z.infer<typeof conceptInputSchema>;

/** A fully resolved concept (no optional lifecycle fields). */
export interface ConceptDef extends Concept {
  prompts: string[];
  /** See conceptInputSchema; absent = any allowed modality may fire the concept. */
  needsOneOf?: SensorModality[];
  /** See conceptInputSchema; absent = false. */
  bodyMotion?: boolean;
  templates: Partial<Record<SensorModality, string[]>>;
  thresholds: { on: number; off: number };
  cooldownSeconds: number;
  minDurationSeconds: number;
  maxDurationSeconds: number;
  enabled: boolean;
  background: boolean;
}

/** File-wide defaults a concept inherits. */
export interface ConceptDefaults {
  templates: Partial<Record<SensorModality, string[]>>;
  thresholds: { on: number; off: number };
  cooldownSeconds: number;
  minDurationSeconds: number;
  maxDurationSeconds: number;
}

export const BUILTIN_DEFAULTS: ConceptDefaults = {
  templates: {},
  thresholds: { on: 0.3, off: 0.1 },
  cooldownSeconds: 1,
  minDurationSeconds: 0.5,
  maxDurationSeconds: 60,
};

export function defaultLabel(id: string): string {
  return id.replace(/[_-]+/g, ' ').trim() || id;
}

/** Fills a concept input from defaults. Per-modality templates merge: the concept's win per modality. */
export function resolveConcept(input: ConceptInput, defaults: ConceptDefaults): ConceptDef {
  const label = input.label ?? defaultLabel(input.id);
  const def: ConceptDef = {
    id: input.id,
    label,
    prompts: input.prompts ?? [label],
    templates: { ...defaults.templates, ...(input.templates ?? {}) },
    thresholds: input.thresholds ?? { ...defaults.thresholds },
    cooldownSeconds: input.cooldownSeconds ?? defaults.cooldownSeconds,
    minDurationSeconds: input.minDurationSeconds ?? defaults.minDurationSeconds,
    maxDurationSeconds: input.maxDurationSeconds ?? defaults.maxDurationSeconds,
    enabled: input.enabled ?? true,
    background: input.background ?? false,
  };
  if (input.modalities !== undefined) def.modalities = [...new Set(input.modalities)];
  if (input.needsOneOf !== undefined) def.needsOneOf = [...new Set(input.needsOneOf)];
  if (input.bodyMotion === true) def.bodyMotion = true;
  return def;
}

/** What makes a resolved concept unusable (a message naming the key), or undefined. */
export function conceptProblem(def: ConceptDef): string | undefined {
  const allowed = def.modalities;
  const outside = allowed === undefined ? [] : (def.needsOneOf ?? []).filter((m) => !allowed.includes(m));
  if (outside.length > 0) return `needsOneOf: ${outside.join(', ')} not in modalities [${(allowed ?? []).join(', ')}] (such a modality never gives the concept evidence)`;
  return undefined;
}

/** Applies a partial update to a resolved concept (fields present in `patch` replace; id never changes). */
export function patchConcept(def: ConceptDef, patch: Omit<ConceptInput, 'id'>): ConceptDef {
  const next: ConceptDef = { ...def, templates: { ...def.templates }, thresholds: { ...def.thresholds } };
  if (patch.label !== undefined) next.label = patch.label;
  if (patch.prompts !== undefined) next.prompts = [...patch.prompts];
  if (patch.templates !== undefined) next.templates = { ...next.templates, ...patch.templates };
  if (patch.modalities !== undefined) next.modalities = [...new Set(patch.modalities)];
  if (patch.needsOneOf !== undefined) next.needsOneOf = [...new Set(patch.needsOneOf)];
  if (patch.bodyMotion === true) next.bodyMotion = true;
  else if (patch.bodyMotion === false) delete next.bodyMotion;
  if (patch.thresholds !== undefined) next.thresholds = { ...patch.thresholds };
  if (patch.cooldownSeconds !== undefined) next.cooldownSeconds = patch.cooldownSeconds;
  if (patch.minDurationSeconds !== undefined) next.minDurationSeconds = patch.minDurationSeconds;
  if (patch.maxDurationSeconds !== undefined) next.maxDurationSeconds = patch.maxDurationSeconds;
  if (patch.enabled !== undefined) next.enabled = patch.enabled;
  if (patch.background !== undefined) next.background = patch.background;
  return next;
}

/** The prompts a modality's prototype is built from: every prompt through every template (or bare). */
export function expandPrompts(def: ConceptDef, modality: SensorModality): string[] {
  const templates = def.templates[modality];
  if (templates === undefined || templates.length === 0) return [...def.prompts];
  const out: string[] = [];
  for (const t of templates) for (const p of def.prompts) out.push(t.split('{}').join(p));
  return out;
}
