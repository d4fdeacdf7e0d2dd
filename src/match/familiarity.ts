/**
 * The familiarity gate: a modality's vote for a concept is evidence only where the modality's own
 * embedding is close to a real example of that concept.
 *
 * Why: text-to-sensor similarity only says which caption a reading is nearest, not whether it is near any
 * of them. An unfamiliar sound (a cat, snoring) lands on the nearest event caption with a confident
 * probability; in the modality's own space it is far from every real bark or footstep. So for each
 * concept and modality the table holds embeddings of true instances of the event (exemplars) and the
 * nearest-exemplar cosines of held-in true events (leave-one-scene-out, src/eval/familiarity-build.ts);
 * the floor is a low percentile of those. A concept whose checked modalities are all unfamiliar has no
 * score (like `needsOneOf`), which can never raise a score: a vote against a concept still counts.
 * Concepts and modalities without exemplars are not checked, so a model without a table (an ImageBind
 * export with text-only concepts) matches as before. Measured: docs/concepts.md ("Familiarity gate").
 */
import { z } from 'zod';
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import { SensebindError } from '../core/errors.js';
import { dotRows } from './matrix.js';

/** One concept in one modality: exemplar rows and the held-in cosines its floor is taken from. */
export interface FamiliarityEntry {
  /** Unit vectors, row-major (count x dim). */
  exemplars: Float32Array;
  count: number;
  /** Nearest-exemplar cosines of held-in true events (leave-one-scene-out), ascending. */
  heldIn: number[];
}

export interface FamiliarityTable {
  /** The model whose embeddings the exemplars are. */
  modelId: string;
  dim: number;
  /** How it was built (scenes, exemplars per modality, ...), for people. */
  built: Record<string, unknown>;
  concepts: Map<string, Partial<Record<SensorModality, FamiliarityEntry>>>;
}

/** The q-th percentile (0-100) of ascending `sorted` (the value at index floor(q/100 * n), clamped). */
export function percentileOf(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.floor((q / 100) * sorted.length)));
  return sorted[i] as number;
}

/** A table entry with its floor, ready to check a vector. */
export interface FamiliarityCheck {
  exemplars: Float32Array;
  floor: number;
  scratch: Float32Array;
}

export class FamiliarityGate {
  readonly modelId: string;
  readonly dim: number;
  readonly #checks = new Map<string, Partial<Record<SensorModality, FamiliarityCheck>>>();

  /** `percentile`: the floor per entry (0-100 of its held-in cosines); `modalities`: which are checked. */
  constructor(table: FamiliarityTable, options: { percentile: number; modalities: readonly SensorModality[] }) {
    this.modelId = table.modelId;
    this.dim = table.dim;
    for (const [id, byModality] of table.concepts) {
      const checks: Partial<Record<SensorModality, FamiliarityCheck>> = {};
      for (const m of options.modalities) {
        const e = byModality[m];
        if (e === undefined || e.count === 0 || e.heldIn.length === 0) continue;
        checks[m] = { exemplars: e.exemplars, floor: percentileOf(e.heldIn, options.percentile), scratch: new Float32Array(e.count) };
      }
      if (Object.keys(checks).length > 0) this.#checks.set(id, checks);
    }
  }

  /** The check for a concept in a modality; undefined = not checked (no exemplars there). */
  check(conceptId: string, m: SensorModality): FamiliarityCheck | undefined {
    return this.#checks.get(conceptId)?.[m];
  }

  /** Concepts with at least one checked modality. */
  get concepts(): number {
    return this.#checks.size;
  }
}

/** Whether `vector` (unit length) is at least the check's floor from its nearest exemplar. */
export function isFamiliar(check: FamiliarityCheck, vector: Float32Array): boolean {
  dotRows(check.exemplars, vector.length, vector, check.scratch);
  for (const c of check.scratch) if (c >= check.floor) return true;
  return false;
}

const entrySchema = z.strictObject({
  /** Float32 little-endian rows, base64. */
  exemplars: z.string(),
  heldIn: z.array(z.number().min(-1.001).max(1.001)),
});

const fileSchema = z.strictObject({
  format: z.literal('sensebind-familiarity'),
  version: z.literal(1),
  modelId: z.string().min(1),
  dim: z.number().int().positive(),
  built: z.record(z.string(), z.unknown()),
  concepts: z.record(z.string(), z.partialRecord(z.enum(SENSOR_MODALITIES), entrySchema)),
});

/** Parses a familiarity file's text; errors name the file and the field. */
export function parseFamiliarityTable(text: string, where: string): FamiliarityTable {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SensebindError('CONFIG', `${where}: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SensebindError('CONFIG', `${where}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  const f = r.data;
  const concepts = new Map<string, Partial<Record<SensorModality, FamiliarityEntry>>>();
  for (const [id, byModality] of Object.entries(f.concepts)) {
    const out: Partial<Record<SensorModality, FamiliarityEntry>> = {};
    for (const m of SENSOR_MODALITIES) {
      const e = byModality[m];
      if (e === undefined) continue;
      const bytes = Buffer.from(e.exemplars, 'base64');
      if (bytes.length % (4 * f.dim) !== 0) throw new SensebindError('CONFIG', `${where}: concepts.${id}.${m}.exemplars: ${bytes.length} bytes is not a whole number of ${f.dim}-d float32 rows`);
      const exemplars = new Float32Array(bytes.length / 4);
      for (let i = 0; i < exemplars.length; i++) exemplars[i] = bytes.readFloatLE(i * 4);
      const heldIn = [...e.heldIn].sort((a, b) => a - b);
      out[m] = { exemplars, count: exemplars.length / f.dim, heldIn };
    }
    concepts.set(id, out);
  }
  return { modelId: f.modelId, dim: f.dim, built: f.built, concepts };
}

/** The file text of a table (inverse of parseFamiliarityTable). */
export function serializeFamiliarityTable(t: FamiliarityTable): string {
  const concepts: Record<string, Record<string, { exemplars: string; heldIn: number[] }>> = {};
  for (const [id, byModality] of t.concepts) {
    const out: Record<string, { exemplars: string; heldIn: number[] }> = {};
    for (const m of SENSOR_MODALITIES) {
      const e = byModality[m];
      if (e === undefined) continue;
      const bytes = Buffer.alloc(e.exemplars.length * 4);
      e.exemplars.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
      out[m] = { exemplars: bytes.toString('base64'), heldIn: e.heldIn.map((x) => Math.round(x * 1e4) / 1e4) };
    }
    concepts[id] = out;
  }
  return `${JSON.stringify({ format: 'sensebind-familiarity', version: 1, modelId: t.modelId, dim: t.dim, built: t.built, concepts })}\n`;
}
