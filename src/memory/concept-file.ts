/**
 * Reads a concept file (YAML): a `defaults:` block and a list of `concepts:`. Errors name the file and the
 * path of the offending key, so a typo in entry 37 says "concepts.37.thresholds.on", not "invalid input".
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SensebindError, errorMessage } from '../core/errors.js';
import { formatIssues } from '../config/zod-issues.js';
import {
  BUILTIN_DEFAULTS,
  conceptInputSchema,
  conceptProblem,
  resolveConcept,
  templatesSchema,
  thresholdsSchema,
  type ConceptDef,
  type ConceptDefaults,
} from './concept.js';

const conceptFileSchema = z.strictObject({
  version: z.literal(1).default(1),
  defaults: z
    .strictObject({
      templates: templatesSchema.optional(),
      thresholds: thresholdsSchema.optional(),
      cooldownSeconds: z.number().min(0).optional(),
      minDurationSeconds: z.number().min(0).optional(),
      maxDurationSeconds: z.number().positive().optional(),
    })
    .default({}),
  concepts: z.array(conceptInputSchema).max(1_000_000),
});

export interface ConceptFile {
  defaults: ConceptDefaults;
  concepts: ConceptDef[];
}

/** Parses concept-file text; `where` names the source in errors. */
export function parseConceptFile(text: string, where: string): ConceptFile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new SensebindError('CONFIG', `${where}: not valid YAML: ${errorMessage(err)}`);
  }
  const parsed = conceptFileSchema.safeParse(raw);
  if (!parsed.success) throw new SensebindError('CONFIG', `${where}: ${formatIssues(parsed.error.issues, raw, 5).join('; ')}`);
  const d = parsed.data.defaults;
  const defaults: ConceptDefaults = {
    templates: d.templates ?? BUILTIN_DEFAULTS.templates,
    thresholds: d.thresholds ?? BUILTIN_DEFAULTS.thresholds,
    cooldownSeconds: d.cooldownSeconds ?? BUILTIN_DEFAULTS.cooldownSeconds,
    minDurationSeconds: d.minDurationSeconds ?? BUILTIN_DEFAULTS.minDurationSeconds,
    maxDurationSeconds: d.maxDurationSeconds ?? BUILTIN_DEFAULTS.maxDurationSeconds,
  };
  const seen = new Set<string>();
  const concepts: ConceptDef[] = [];
  parsed.data.concepts.forEach((input, i) => {
    if (seen.has(input.id)) throw new SensebindError('CONFIG', `${where}: concepts[${i}].id: duplicate concept id "${input.id}"`);
    seen.add(input.id);
    const def = resolveConcept(input, defaults);
    const problem = conceptProblem(def);
    if (problem !== undefined) throw new SensebindError('CONFIG', `${where}: concepts[${i}].${problem}`);
    concepts.push(def);
  });
  return { defaults, concepts };
}

export async function loadConceptFile(path: string): Promise<ConceptFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SensebindError('CONFIG', `concept file ${path}: cannot read: ${errorMessage(err)}`);
  }
  return parseConceptFile(text, `concept file ${path}`);
}
