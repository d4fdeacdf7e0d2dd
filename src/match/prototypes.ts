/**
 * Concept prototypes: the normalised mean of a concept's prompt embeddings, per modality (a modality with
 * its own templates gets its own prompt ensemble). Modalities whose expanded prompts are identical share one
 * vector, so the common case (no templates) costs one row per concept.
 */
import { SENSOR_MODALITIES, type Embedding } from '../core/types.js';
import { SensebindError } from '../core/errors.js';
import { meanNormalized } from '../core/vector.js';
import { expandPrompts, type ConceptDef } from '../memory/concept.js';
import type { PrototypeBuilder } from '../memory/memory.js';
import type { ModalityVectors } from '../memory/state.js';

/** What the builder needs from the embedding runtime (src/embed/runtime.ts satisfies it). */
export interface TextEmbedder {
  modelId: string;
  embedText(prompts: string[]): Promise<Embedding[]>;
}

export interface TextPrototypeOptions {
  /** Prompts embedded per call (the runtime caches each on disk). @default 64 */
  batchSize?: number;
  /** Called after each batch, for progress output on long jobs. */
  onProgress?: (done: number, total: number) => void;
}

export function textPrototypeBuilder(embedder: TextEmbedder, options: TextPrototypeOptions = {}): PrototypeBuilder {
  const { batchSize = 64, onProgress } = options;
  return {
    modelId: embedder.modelId,
    async build(concepts: readonly ConceptDef[]): Promise<Map<string, ModalityVectors>> {
      const unique = new Map<string, number>();
      const order: string[] = [];
      const plan = concepts.map((c) => {
        const lists = new Map<string, string[]>();
        for (const m of SENSOR_MODALITIES) {
          const prompts = expandPrompts(c, m);
          lists.set(m, prompts);
          for (const p of prompts) {
            if (!unique.has(p)) {
              unique.set(p, order.length);
              order.push(p);
            }
          }
        }
        return lists;
      });
      const vectors: Float32Array[] = new Array(order.length);
      for (let i = 0; i < order.length; i += batchSize) {
        const batch = order.slice(i, i + batchSize);
        const out = await embedder.embedText(batch);
        if (out.length !== batch.length) throw new SensebindError('MODEL', `text encoder returned ${out.length} embeddings for ${batch.length} prompts`);
        out.forEach((e, k) => (vectors[i + k] = e.vector));
        onProgress?.(Math.min(i + batchSize, order.length), order.length);
      }
      const result = new Map<string, ModalityVectors>();
      concepts.forEach((c, ci) => {
        const lists = plan[ci] as Map<string, string[]>;
        const byKey = new Map<string, Float32Array>();
        const protos: ModalityVectors = {};
        for (const m of SENSOR_MODALITIES) {
          const prompts = lists.get(m) as string[];
          const key = JSON.stringify(prompts);
          let v = byKey.get(key);
          if (v === undefined) {
            v = meanNormalized(prompts.map((p) => vectors[unique.get(p) as number] as Float32Array));
            if (v === undefined) throw new SensebindError('MODEL', `concept "${c.id}": prompt embeddings average to zero`);
            byKey.set(key, v);
          }
          protos[m] = v;
        }
        result.set(c.id, protos);
      });
      return result;
    },
  };
}
