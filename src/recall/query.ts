/**
 * Turning what the user asks into query prototypes per modality:
 * - text: embedded like a concept's prompts (the memory's per-modality templates, mean of unit vectors),
 *   so "glass breaking" is scored exactly as a concept with that one prompt would be;
 * - an example file: its embedding in its own modality, used as the prototype in every modality (the
 *   space is shared; the file's own modality carries most of the evidence);
 * - `<bag>@<seconds>`: the pipeline replays the bag to that moment and the snapshot's embeddings become
 *   the prototypes of their modalities.
 */
import { SensebindError } from '../core/errors.js';
import { SENSOR_MODALITIES, type Modality, type SensorModality, type StampNs } from '../core/types.js';
import type { EmbeddingRuntime } from '../embed/runtime.js';
import type { Config } from '../config/schema.js';
import type { Pipeline } from '../pipeline/open.js';
import { runBag } from '../pipeline/run-bag.js';
import { expandPrompts, type ConceptDef } from '../memory/concept.js';
import { meanNormalized } from '../core/vector.js';
import type { MemoryState } from '../memory/state.js';
import { preprocessFile, type PreprocessFileOptions, type PreprocessParams } from '../preprocess/index.js';

export type QueryVectors = Partial<Record<SensorModality, Float32Array>>;

export async function textQuery(runtime: Pick<EmbeddingRuntime, 'embedText'>, state: MemoryState, text: string): Promise<QueryVectors> {
  const probe = { prompts: [text], templates: state.defaults.templates } as Pick<ConceptDef, 'prompts' | 'templates'>;
  const prompts = new Map<SensorModality, string[]>();
  for (const m of SENSOR_MODALITIES) prompts.set(m, expandPrompts(probe as ConceptDef, m));
  const unique = [...new Set([...prompts.values()].flat())];
  const embedded = await runtime.embedText(unique);
  const byPrompt = new Map(unique.map((p, i) => [p, embedded[i]?.vector as Float32Array]));
  const out: QueryVectors = {};
  for (const [m, list] of prompts) {
    const v = meanNormalized(list.map((p) => byPrompt.get(p) as Float32Array));
    if (v !== undefined) out[m] = v;
  }
  return out;
}

/** An example file of `modality` -> its embedding as the prototype of every sensor modality. */
export async function fileQuery(runtime: EmbeddingRuntime, modality: Modality, path: string, options: PreprocessFileOptions): Promise<QueryVectors> {
  const entry = runtime.manifest.modalities[modality];
  if (entry === undefined) throw new SensebindError('USAGE', `--like ${path}: model ${runtime.loaded.path} has no ${modality} modality (it has ${runtime.modalities().join(', ')})`);
  const tensor = await preprocessFile(modality, path, entry.preprocess as PreprocessParams[typeof modality], options);
  const [e] = await runtime.embedTensors(modality, [tensor]);
  if (e === undefined) throw new SensebindError('MODEL', `--like ${path}: the ${modality} graph returned no embedding`);
  return Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, e.vector])) as QueryVectors;
}

/** Parses `<bag>@<seconds>`; undefined when `spec` has no `@<number>` suffix. */
export function parseBagMoment(spec: string): { bag: string; seconds: number } | undefined {
  const m = /^(.*)@(\d+(?:\.\d+)?)$/.exec(spec);
  if (m === null || m[1] === '') return undefined;
  return { bag: m[1] as string, seconds: Number(m[2]) };
}

/**
 * Replays `bag` up to `seconds` after its first sensor sample and returns that snapshot's embeddings
 * (each modality's own vector as its prototype).
 */
export async function bagMomentQuery(pipeline: Pipeline, config: Config, bag: string, seconds: number, hopSeconds: number): Promise<QueryVectors> {
  const abort = new AbortController();
  let origin: StampNs | undefined;
  let found: QueryVectors | undefined;
  const hopNs = BigInt(Math.round(hopSeconds * 1e9));
  const target = BigInt(Math.round(seconds * 1e9));
  await runBag(pipeline, config, bag, {
    hopSeconds,
    signal: abort.signal,
    onTick: (r) => {
      origin ??= r.embeddings.stamp - hopNs;
      if (found !== undefined || r.embeddings.stamp - origin < target) return;
      found = {};
      for (const m of r.embeddings.present) {
        const e = r.embeddings.embeddings[m];
        if (e !== undefined) found[m] = e.vector;
      }
      abort.abort();
    },
  });
  if (found === undefined) throw new SensebindError('USAGE', `--like ${bag}@${seconds}: the bag ends before ${seconds} s`);
  if (Object.keys(found).length === 0) throw new SensebindError('INPUT', `--like ${bag}@${seconds}: no modality was embedded at that moment`);
  return found;
}
