/**
 * The embedding runtime: the one place that owns a model's ONNX sessions (STYLE.md #10). The agent and the
 * matcher call it; it reads the manifest, keeps one lazily created session per modality, runs the
 * preprocessing the manifest describes, and hands out unit-length vectors with the model's scale beside
 * them (the matcher needs both).
 *
 * Failure is per modality: a missing, tampered or corrupt graph makes that modality unavailable with a
 * message naming the file, and every other modality keeps working. Text embeddings of prompts are cached
 * on disk per model, so restarting with a large concept set costs no text inference.
 */
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { SensebindError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { MODALITIES, type Embedding, type Modality, type SensorModality, type StampNs, type TaggedWindow } from '../core/types.js';
import { preprocessText, preprocessWindow, type WindowParams } from '../preprocess/index.js';
import type { Tensor } from '../preprocess/tensor.js';
import { sha256File } from './hash.js';
import { loadManifest, type LoadedManifest, type Manifest } from './manifest.js';
import { DEFAULT_PROVIDERS, type ProviderAttempt, type ProviderName, type ThreadOptions } from './providers.js';
import { ModalitySession, type ModalityStats } from './session.js';
import { TextEmbeddingCache, type TextCacheStats } from './text-cache.js';
import type { PreprocessPool } from './preprocess-pool.js';
import { warmUpWindows } from './warm-up.js';

const DEFAULT_CACHE_DIR = '.sensebind/cache';
/** Spare window tensors kept per modality (two default batches). */
const MAX_SPARE = 32;

export interface EmbeddingRuntimeOptions extends ThreadOptions {
  /** Execution providers tried in order for every graph. @default ['tensorrt','cuda','webgpu','cpu'] */
  providers?: readonly ProviderName[];
  /** Folder of the text embedding cache and of remembered graph hashes; null = neither. @default '.sensebind/cache' */
  cacheDir?: string | null;
  /** Check every graph's sha256 against the manifest before loading it. @default true */
  verifyHashes?: boolean;
  /** Most items per graph call on a dynamic batch axis. @default 16 */
  maxBatch?: number;
  /** Run a zero input through each graph once after loading it. @default true */
  warmup?: boolean;
  /** @default a silent logger */
  logger?: Logger;
  /** Preprocessing worker threads; the main thread when absent. */
  pool?: PreprocessPool | undefined;
  /** Receives preprocessing and inference timings per call. @default none */
  hooks?: EmbedTimingHooks | undefined;
}

/** The timing part of the agent's stage hooks (src/agent/hooks.ts satisfies it). */
export interface EmbedTimingHooks {
  preprocessed(modality: SensorModality, seconds: number): void;
  inferred(modality: SensorModality, provider: string, seconds: number): void;
}

export interface RuntimeStats {
  modelId: string;
  modalities: Partial<Record<Modality, ModalityStats>>;
  textCache: TextCacheStats | undefined;
}

export class EmbeddingRuntime {
  readonly manifest: Manifest;
  readonly modelId: string;
  readonly loaded: LoadedManifest;
  readonly #sessions = new Map<Modality, ModalitySession>();
  readonly #logger: Logger;
  readonly #cacheDir: string | null;
  #cache: Promise<TextEmbeddingCache | undefined> | undefined;
  #cacheRef: TextEmbeddingCache | undefined;
  #closed = false;
  /**
   * Float32 tensors of finished windows, per modality, handed back to preprocessing as its `into`: a fresh
   * 600 KB array per camera frame costs more in page faults and GC than the SIMD resize that fills it.
   * A modality's tensor size never changes for one manifest, so any buffer of the list fits.
   */
  readonly #spare = new Map<SensorModality, Float32Array[]>();
  readonly #windowParams: WindowParams;
  readonly #pool: PreprocessPool | undefined;
  #hooks: EmbedTimingHooks | undefined;

  private constructor(loaded: LoadedManifest, options: EmbeddingRuntimeOptions) {
    const { providers = DEFAULT_PROVIDERS, cacheDir = DEFAULT_CACHE_DIR, logger = silentLogger(), maxBatch, warmup, intraOpThreads, interOpThreads } = options;
    this.loaded = loaded;
    this.manifest = loaded.manifest;
    this.modelId = loaded.modelId;
    this.#logger = logger;
    this.#cacheDir = cacheDir;
    this.#pool = options.pool;
    this.#hooks = options.hooks;
    this.#windowParams = windowParams(loaded.manifest);
    for (const modality of MODALITIES) {
      const l = loaded.modalities[modality];
      if (l === undefined || l.path === undefined) continue;
      if (l.error) logger.error({ modality, err: l.error.message }, `${modality} unavailable`);
      else if (!l.verified) {
        const why = l.entry.sha256 === null ? 'no sha256 in the manifest' : 'hash check turned off';
        logger.warn({ modality, file: l.path }, `${modality} graph not verified (${why})`);
      }
      this.#sessions.set(
        modality,
        new ModalitySession(l, {
          providers,
          embeddingDim: loaded.manifest.embeddingDim,
          logger,
          ...(maxBatch !== undefined ? { maxBatch } : {}),
          ...(warmup !== undefined ? { warmup } : {}),
          ...(intraOpThreads !== undefined ? { intraOpThreads } : {}),
          ...(interOpThreads !== undefined ? { interOpThreads } : {}),
        }),
      );
    }
  }

  /**
   * Reads and checks the manifest in `modelDir` (throws SensebindError('MODEL') if it is invalid). Graphs
   * load on first use; call `load()` to load them now.
   */
  static async open(modelDir: string, options: EmbeddingRuntimeOptions = {}): Promise<EmbeddingRuntime> {
    const { verifyHashes = true, cacheDir = DEFAULT_CACHE_DIR } = options;
    // Verified hashes are remembered beside the text cache, so a restart does not re-read gigabytes of graphs.
    const loaded = await loadManifest(modelDir, cacheDir === null ? { verifyHashes } : { verifyHashes, hashMemo: join(cacheDir, 'verified-hashes.json') });
    return new EmbeddingRuntime(loaded, options);
  }

  /** Where preprocessing and inference timings go from now on (the agent being built owns the metrics). */
  setTimingHooks(hooks: EmbedTimingHooks | undefined): void {
    this.#hooks = hooks;
  }

  /** Modalities with a graph that has not failed, in canonical order. */
  modalities(): Modality[] {
    return MODALITIES.filter((m) => {
      const s = this.#sessions.get(m);
      return s !== undefined && s.error === undefined;
    });
  }

  /** Why each unavailable modality is unavailable (missing file, hash mismatch, corrupt graph, no provider). */
  failures(): Partial<Record<Modality, string>> {
    const out: Partial<Record<Modality, string>> = {};
    for (const [m, s] of this.#sessions) if (s.error) out[m] = s.error.message;
    return out;
  }

  /**
   * Loads and warms the graphs of `modalities` (default: all) now rather than on first use. Never throws
   * for a modality: returns the failures, which also show in failures() and stats().
   */
  async load(modalities: readonly Modality[] = [...this.#sessions.keys()]): Promise<Partial<Record<Modality, string>>> {
    const out: Partial<Record<Modality, string>> = {};
    for (const m of modalities) {
      const s = this.#sessions.get(m);
      if (s === undefined) {
        out[m] = this.#missing(m).message;
        continue;
      }
      try {
        await s.open();
      } catch (err) {
        out[m] = errorMessage(err);
      }
    }
    return out;
  }

  /**
   * Runs a zero window of every loaded sensor modality through preprocessing (once on each worker) and
   * its graph, so that the first real tick does not pay for compilation and first-run allocations
   * (warm-up.ts). Not counted in the timing hooks; a failure is logged and left for the real tick to meet.
   */
  async warmUp(): Promise<void> {
    const workers = Math.max(1, this.#pool?.stats().alive ?? 1);
    const t0 = performance.now();
    await Promise.all(
      warmUpWindows(this.#windowParams).map(async (w) => {
        const session = this.#sessions.get(w.modality);
        if (session === undefined || session.error !== undefined) return;
        try {
          // Concurrent jobs go to the least busy worker, so each worker gets one.
          const tensors = await Promise.all(Array.from({ length: workers }, () => this.#pool?.run(w, this.#windowParams) ?? preprocessWindow(w, this.#windowParams)));
          await session.embed(tensors.slice(0, 1));
        } catch (err) {
          this.#logger.debug({ modality: w.modality, err: errorMessage(err) }, 'warm-up failed');
        }
      }),
    );
    this.#logger.debug({ ms: Math.round(performance.now() - t0) }, 'preprocessing and graphs warmed up');
  }

  /** The execution provider the modality's graph runs on; undefined until loaded (or if it failed). */
  provider(modality: Modality): ProviderName | undefined {
    return this.#sessions.get(modality)?.provider;
  }

  /** Every provider tried for the modality, with the reasons of the failures. */
  providerAttempts(modality: Modality): ProviderAttempt[] {
    return this.#sessions.get(modality)?.stats().attempts ?? [];
  }

  /** The model's output scale for a modality (1 when it has none). */
  scale(modality: Modality): number {
    return this.manifest.modalities[modality]?.outputScale ?? 1;
  }

  /** Embeds already preprocessed tensors (dims without the batch axis), one embedding per tensor. */
  async embedTensors(modality: Modality, tensors: readonly Tensor[], stamp: StampNs | readonly StampNs[] = 0n): Promise<Embedding[]> {
    if (tensors.length === 0) return [];
    const vectors = await this.#session(modality).embed(tensors);
    return vectors.map((vector, i) => this.#embedding(modality, vector, stampAt(stamp, i)));
  }

  /**
   * Preprocesses windows of one modality as the manifest says (on the preprocessing workers when there
   * are any), then embeds them in as few graph calls as the graph allows. This is the one path from a
   * window to an embedding: the agent, the benches and the dataset tools all come through here.
   */
  async embedWindows(windows: readonly TaggedWindow[], stamp: StampNs | readonly StampNs[]): Promise<Embedding[]> {
    const first = windows[0];
    if (first === undefined) return [];
    const modality = first.modality;
    const session = this.#session(modality);
    let spare = this.#spare.get(modality);
    if (spare === undefined) this.#spare.set(modality, (spare = []));
    const t0 = performance.now();
    const tensors = await Promise.all(
      windows.map(async (w, i) => {
        if (w.modality !== modality) throw new SensebindError('USAGE', `embedWindows: window ${i} is ${w.modality}, the batch is ${modality}`);
        // A worker fills its own array (transferred back); the main thread reuses finished tensors.
        const into = this.#pool === undefined ? spare.pop() : undefined;
        try {
          return await (this.#pool?.run(w, this.#windowParams) ?? preprocessWindow(w, this.#windowParams, into === undefined ? {} : { into }));
        } catch (err) {
          if (into !== undefined) spare.push(into);
          throw new SensebindError('INPUT', `${modality} window ${i}: preprocessing failed: ${errorMessage(err)}`, { cause: err });
        }
      }),
    );
    const t1 = performance.now();
    this.#hooks?.preprocessed(modality, (t1 - t0) / 1000);
    const vectors = await session.embed(tensors);
    this.#hooks?.inferred(modality, session.provider ?? 'unknown', (performance.now() - t1) / 1000);
    // Only after a successful run: a rejected request may still sit in the session's queue.
    for (const t of tensors) {
      const whole = t.data instanceof Float32Array && t.data.byteOffset === 0 && t.data.length === t.data.buffer.byteLength / 4;
      if (whole && spare.length < MAX_SPARE) spare.push(t.data as Float32Array);
    }
    return vectors.map((vector, i) => this.#embedding(modality, vector, stampAt(stamp, i)));
  }

  /** Text embeddings of prompts (concepts), from the disk cache where possible; stamp 0. */
  async embedText(prompts: readonly string[]): Promise<Embedding[]> {
    const session = this.#session('text');
    const entry = this.manifest.modalities.text!;
    const cache = await this.#textCache();
    const found = new Map<string, Float32Array>();
    const missing: string[] = [];
    for (const p of new Set(prompts)) {
      const hit = cache?.get(p);
      if (hit) found.set(p, hit);
      else missing.push(p);
    }
    if (missing.length > 0) {
      const t0 = performance.now();
      const tensors = missing.map((p) => preprocessText(p, entry.preprocess, this.loaded.dir));
      const vectors = await session.embed(tensors);
      missing.forEach((p, i) => found.set(p, vectors[i]!));
      await cache?.put(missing.map((p, i) => [p, vectors[i]!] as const));
      this.#logger.debug({ prompts: missing.length, cached: prompts.length - missing.length, ms: Math.round(performance.now() - t0) }, 'embedded text prompts');
    }
    return prompts.map((p) => this.#embedding('text', found.get(p)!, 0n));
  }

  stats(): RuntimeStats {
    const modalities: Partial<Record<Modality, ModalityStats>> = {};
    for (const [m, s] of this.#sessions) modalities[m] = s.stats();
    return { modelId: this.modelId, modalities, textCache: this.#cacheRef?.stats() };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#sessions.values()].map((s) => s.close()));
  }

  #session(modality: Modality): ModalitySession {
    if (this.#closed) throw new SensebindError('UNAVAILABLE', `embedding runtime for ${this.modelId} is closed`);
    const s = this.#sessions.get(modality);
    if (s === undefined) throw this.#missing(modality);
    return s;
  }

  #missing(modality: Modality): SensebindError {
    const declared = this.manifest.modalities[modality] !== undefined;
    return new SensebindError(
      'UNAVAILABLE',
      declared
        ? `model ${this.modelId} has no ${modality} graph installed (modalities.${modality}.file is null in ${this.loaded.path})`
        : `model ${this.modelId} has no ${modality} modality (${this.loaded.path}); it has: ${this.modalities().join(', ') || 'none'}`,
    );
  }

  #embedding(modality: Modality, vector: Float32Array, stamp: StampNs): Embedding {
    return { modality, vector, scale: this.scale(modality), stamp, modelId: this.modelId };
  }

  /** The cache key: the text graph's sha256 (hashed now if the manifest has none) + preprocessing + I/O names. */
  #textCache(): Promise<TextEmbeddingCache | undefined> {
    this.#cache ??= (async () => {
      const l = this.loaded.modalities.text;
      if (this.#cacheDir === null || l === undefined || l.path === undefined) return undefined;
      try {
        const graphSha = l.entry.sha256 ?? (await sha256File(l.path));
        const key = createHash('sha256')
          .update(JSON.stringify([graphSha.toLowerCase(), l.entry.input, l.entry.output, l.entry.preprocess, this.manifest.embeddingDim]))
          .digest('hex');
        const cache = await TextEmbeddingCache.open({ dir: this.#cacheDir, key, dim: this.manifest.embeddingDim, logger: this.#logger });
        this.#cacheRef = cache;
        return cache;
      } catch (err) {
        this.#logger.warn({ err: errorMessage(err) }, 'text embedding cache unavailable; embedding without it');
        return undefined;
      }
    })();
    return this.#cache;
  }

}

function stampAt(stamp: StampNs | readonly StampNs[], i: number): StampNs {
  if (typeof stamp === 'bigint') return stamp;
  const s = stamp[i];
  if (s === undefined) throw new SensebindError('USAGE', `embedding stamps: ${stamp.length} given for more inputs (index ${i})`);
  return s;
}

/** Each sensor modality's preprocessing parameters from the manifest (typed per modality by its schema). */
function windowParams(manifest: Manifest): WindowParams {
  const m = manifest.modalities;
  const out: WindowParams = {};
  if (m.vision) out.vision = m.vision.preprocess;
  if (m.audio) out.audio = m.audio.preprocess;
  if (m.depth) out.depth = m.depth.preprocess;
  if (m.thermal) out.thermal = m.thermal.preprocess;
  if (m.imu) out.imu = m.imu.preprocess;
  return out;
}
