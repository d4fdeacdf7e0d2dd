/**
 * Matching latency per snapshot for 100 / 10,000 / 100,000 concepts at dim 1024 (4 modalities present,
 * one shared prototype matrix, as with concepts without per-modality templates), split into the brute-force
 * similarity scan and the rest (calibration, fusion, lifecycles). Prints JSON.
 *
 * Why no ANN index (usearch / hnswlib-node): calibration needs every concept's score, not the top k (the
 * softmax normaliser, running statistics per concept, lifecycles of running events), so an index can only
 * replace the scan when the scan no longer fits the hop. The figures below say where that is.
 */
import { BUILTIN_DEFAULTS, resolveConcept } from '../memory/concept.js';
import type { MemoryState } from '../memory/state.js';
import { ConceptMatcher } from '../match/matcher.js';
import { dotRows } from '../match/matrix.js';
import type { Embedding, SensorModality, SnapshotEmbeddings } from '../core/types.js';
import { normalized } from '../core/vector.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

function unit(dim: number, r: () => number): Float32Array {
  return normalized(Float32Array.from({ length: dim }, r))!;
}

const MODALITIES: SensorModality[] = ['vision', 'audio', 'depth', 'imu'];

export async function main(argv: string[] = []): Promise<unknown> {
  const dim = Number(argv.find((a) => a.startsWith('--dim='))?.slice(6) ?? 1024);
  const sizes = (argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '100,10000,100000').split(',').map(Number);
  const r = rng(42);
  const results: unknown[] = [];
  for (const n of sizes) {
    const concepts = Array.from({ length: n }, (_, i) => resolveConcept({ id: `c${i}`, background: i < 3 }, BUILTIN_DEFAULTS));
    const byConcept = new Map(
      concepts.map((c) => {
        const v = unit(dim, r);
        return [c.id, { vision: v, audio: v, depth: v, imu: v }] as const;
      }),
    );
    const state: MemoryState = { defaults: BUILTIN_DEFAULTS, concepts, exemplars: new Map(), prototypes: { modelId: 'bench', dim, byConcept } };
    const t0 = performance.now();
    const matcher = new ConceptMatcher(state, { runId: 'bench', calibration: { warmupSnapshots: 1 } });
    const buildMs = performance.now() - t0;
    const iterations = n <= 100 ? 200 : n <= 10_000 ? 30 : 8;
    let stamp = 1_000_000_000n;
    const snapshot = (): SnapshotEmbeddings => {
      stamp += 500_000_000n;
      const embeddings: Partial<Record<SensorModality, Embedding>> = {};
      for (const m of MODALITIES) embeddings[m] = { modality: m, vector: unit(dim, r), scale: 1, stamp, modelId: 'bench' };
      return { seq: 0, stamp, present: MODALITIES, missing: ['thermal'], embeddings };
    };
    const inputs = Array.from({ length: iterations + 3 }, snapshot);
    for (const s of inputs.slice(0, 3)) matcher.process(s);
    const t1 = performance.now();
    for (const s of inputs.slice(3)) matcher.process(s);
    const processMs = (performance.now() - t1) / iterations;
    // The scan alone: one modality's brute-force similarities.
    const matrix = new Float32Array(n * dim);
    concepts.forEach((c, i) => matrix.set(byConcept.get(c.id)!.vision, i * dim));
    const out = new Float32Array(n);
    const v = unit(dim, r);
    dotRows(matrix, dim, v, out);
    const t2 = performance.now();
    for (let k = 0; k < iterations; k++) dotRows(matrix, dim, v, out);
    const scanMs = (performance.now() - t2) / iterations;
    results.push({
      concepts: n,
      dim,
      modalitiesPresent: MODALITIES.length,
      buildMatcherMs: round(buildMs),
      processMsPerSnapshot: round(processMs),
      scanMsPerModality: round(scanMs),
      scanShareOfProcess: round((scanMs * MODALITIES.length) / processMs),
      fitsHalfSecondHop: processMs < 500,
    });
    process.stderr.write(`match bench: ${n} concepts: ${round(processMs)} ms per snapshot\n`);
  }
  const report = {
    bench: 'match',
    node: process.version,
    note: 'brute force over a contiguous Float32Array; an ANN index gives only the top k, and calibration needs every score',
    results,
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
