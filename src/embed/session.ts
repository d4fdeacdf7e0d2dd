/**
 * One modality's ONNX Runtime session: the single owner of that graph (STYLE.md #10). It is created on first
 * use, checked against the manifest (names, dtype, fixed axes), warmed up once, then reused.
 *
 * Requests queue while a run is in flight and are then taken together: callers that arrive while the graph
 * is busy (snapshots waiting for the same modality) share the next call when the batch axis is dynamic; a
 * graph with a fixed batch runs its items in groups of that size. A failed run rejects the requests of that
 * run only; a graph that fails to load fails this modality only, with the reason kept for stats and doctor.
 */
import { performance } from 'node:perf_hooks';
import type { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Modality } from '../core/types.js';
import { formatPath } from '../config/zod-issues.js';
import type { Tensor } from '../preprocess/tensor.js';
import { float32ToHalf, halfToFloat32 } from './float16.js';
import { planItems, shapeText, splitOutput, stackItems, type GraphItem } from './layout.js';
import type { LoadedModality } from './manifest.js';
import { describeAttempts, loadOrt, openSession, type OpenedSession, type ProviderAttempt, type ProviderName, type ThreadOptions } from './providers.js';
import { meanNormalized } from '../core/vector.js';

export interface ModalitySessionOptions extends ThreadOptions {
  /** Execution providers, tried in order. */
  providers: readonly ProviderName[];
  /** Length every output must have (manifest embeddingDim). */
  embeddingDim: number;
  /** Most items per graph call when the batch axis is dynamic. @default 16 */
  maxBatch?: number;
  /** Run one zero input after loading so the first real request does not pay for lazy initialisation. @default true */
  warmup?: boolean;
  logger: Logger;
}

export type SessionState = 'idle' | 'loading' | 'ready' | 'failed';

export interface ModalityStats {
  state: SessionState;
  provider: ProviderName | undefined;
  /** Providers tried when loading, with reasons for the failures. */
  attempts: ProviderAttempt[];
  error: string | undefined;
  loadMs: number | undefined;
  warmupMs: number | undefined;
  /** Embeddings returned. */
  embeddings: number;
  /** Graph calls (one per batch). */
  runs: number;
  /** Items fed to the graph (>= embeddings when clips or fixed batches are involved). */
  items: number;
  /** Requests rejected (bad input or a failed run). */
  failures: number;
  /** Exponential moving average (alpha 0.1) of one graph call, ms. */
  runMsAvg: number;
  lastRunMs: number;
  /** Largest batch one call carried. */
  maxBatchSeen: number;
  /** ONNX Runtime thread settings the session was created with (0 = the runtime's default). */
  threads: { intraOp: number; interOp: number };
}

interface Job {
  items: GraphItem[];
  resolve: (v: Float32Array) => void;
  reject: (e: unknown) => void;
}

export class ModalitySession {
  readonly modality: Modality;
  readonly #loaded: LoadedModality;
  readonly #options: Required<Omit<ModalitySessionOptions, keyof ThreadOptions>> & ThreadOptions;
  readonly #where: string;
  #session: InferenceSession | undefined;
  #opening: Promise<InferenceSession> | undefined;
  #error: SensebindError | undefined;
  #queue: Job[] = [];
  #draining = false;
  #closed = false;
  readonly #stats: Omit<ModalityStats, 'threads'> = {
    state: 'idle', provider: undefined, attempts: [], error: undefined, loadMs: undefined, warmupMs: undefined,
    embeddings: 0, runs: 0, items: 0, failures: 0, runMsAvg: 0, lastRunMs: 0, maxBatchSeen: 0,
  };

  constructor(loaded: LoadedModality, options: ModalitySessionOptions) {
    const { maxBatch = 16, warmup = true, ...rest } = options;
    this.modality = loaded.modality;
    this.#loaded = loaded;
    this.#options = { maxBatch: Math.max(1, maxBatch), warmup, ...rest };
    this.#where = `model ${loaded.modality} graph ${loaded.path ?? '(none)'}`;
    if (loaded.path === undefined) this.#fail(new SensebindError('UNAVAILABLE', `the model has no ${loaded.modality} graph (modalities.${loaded.modality}.file is null)`));
    else if (loaded.error !== undefined) this.#fail(loaded.error);
  }

  get state(): SessionState {
    return this.#stats.state;
  }

  /** Why this modality cannot be used; undefined while it can (or has not been tried). */
  get error(): SensebindError | undefined {
    return this.#error;
  }

  get provider(): ProviderName | undefined {
    return this.#stats.provider;
  }

  stats(): ModalityStats {
    const threads = { intraOp: this.#options.intraOpThreads ?? 0, interOp: this.#options.interOpThreads ?? 0 };
    return { ...this.#stats, attempts: [...this.#stats.attempts], threads };
  }

  /** Loads, checks and warms the session (once; concurrent callers share the work). */
  async open(): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.#closed) throw new SensebindError('UNAVAILABLE', `${this.#where}: the runtime is closed`);
    this.#opening ??= this.#load();
    await this.#opening;
  }

  /** Unit-length embeddings, one per tensor, in order. */
  async embed(tensors: readonly Tensor[]): Promise<Float32Array[]> {
    await this.open();
    const itemShape = this.#loaded.entry.input.shape.slice(1);
    const plans = tensors.map((t, i) => {
      try {
        return planItems(t, itemShape, this.#loaded.entry.input.dtype, tensors.length > 1 ? `${this.modality} input ${i}` : `${this.modality} input`);
      } catch (err) {
        this.#stats.failures++;
        throw err;
      }
    });
    const results = plans.map(
      (items) =>
        new Promise<Float32Array>((resolve, reject) => {
          this.#queue.push({ items, resolve, reject });
        }),
    );
    void this.#drain();
    return Promise.all(results);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session ?? (this.#opening ? await this.#opening.catch(() => undefined) : undefined);
    this.#session = undefined;
    if (session) await session.release();
  }

  #fail(err: SensebindError): void {
    this.#error = err;
    this.#stats.state = 'failed';
    this.#stats.error = err.message;
  }

  async #load(): Promise<InferenceSession> {
    const { logger, providers } = this.#options;
    const path = this.#loaded.path!;
    this.#stats.state = 'loading';
    const t0 = performance.now();
    let opened: OpenedSession | undefined;
    try {
      opened = await openSession(path, providers, this.#options);
      this.#stats.attempts = opened.attempts;
      this.#stats.provider = opened.provider;
      this.#checkSignature(opened.session);
      this.#stats.loadMs = performance.now() - t0;
      this.#session = opened.session;
      const failed = opened.attempts.filter((a) => !a.ok);
      logger.info(
        { modality: this.modality, provider: opened.provider, fallbacks: failed.map((a) => ({ provider: a.provider, reason: a.reason })), ms: Math.round(this.#stats.loadMs) },
        failed.length ? `${this.modality} graph loaded on ${describeAttempts(opened)}` : `${this.modality} graph loaded on ${opened.provider}`,
      );
      if (this.#options.warmup) {
        const w0 = performance.now();
        const itemDims = this.#loaded.entry.input.shape.slice(1).map((d) => (d === -1 ? 1 : d));
        const n = itemDims.reduce((a, b) => a * b, 1);
        const data = this.#loaded.entry.input.dtype === 'int64' ? new BigInt64Array(n) : new Float32Array(n);
        await this.#runBatch([{ dims: itemDims, data }], { warmup: true });
        this.#stats.warmupMs = performance.now() - w0;
      }
      this.#stats.state = 'ready';
      return opened.session;
    } catch (err) {
      // A graph that loaded but does not match its manifest (or fails its warm-up) is released, not kept.
      this.#session = undefined;
      await opened?.session.release().catch(() => undefined);
      const e = err instanceof SensebindError ? err : new SensebindError('MODEL', `${this.#where}: ${errorMessage(err)}`, { cause: err });
      this.#fail(e);
      logger.error({ modality: this.modality, err: e.message }, `${this.modality} graph unavailable`);
      throw e;
    }
  }

  /** The manifest must describe the graph it names: a wrong name or dtype would otherwise fail every run. */
  #checkSignature(session: InferenceSession): void {
    const { input, output } = this.#loaded.entry;
    const key = (k: string) => formatPath(['modalities', this.modality, ...k.split('.')]);
    const meta = session.inputMetadata.find((m) => m.name === input.name);
    if (meta === undefined) {
      throw new SensebindError('MODEL', `${this.#where}: no input "${input.name}" (${key('input.name')}); the graph's inputs: ${session.inputNames.join(', ')}`);
    }
    if (session.inputNames.length !== 1) {
      throw new SensebindError('MODEL', `${this.#where}: the graph has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); sensebind feeds exactly one`);
    }
    if (!session.outputNames.includes(output.name)) {
      throw new SensebindError('MODEL', `${this.#where}: no output "${output.name}" (${key('output.name')}); the graph's outputs: ${session.outputNames.join(', ')}`);
    }
    if (meta.isTensor) {
      if (meta.type !== input.dtype) {
        throw new SensebindError('MODEL', `${this.#where}: input "${input.name}" is ${meta.type} in the graph, ${input.dtype} in the manifest (${key('input.dtype')})`);
      }
      const graphShape = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
      const agrees = graphShape.length === input.shape.length && graphShape.every((d, i) => d === -1 || d === input.shape[i]);
      if (!agrees) {
        throw new SensebindError('MODEL', `${this.#where}: input "${input.name}" has shape ${shapeText(graphShape)} in the graph, ${shapeText(input.shape)} in the manifest (${key('input.shape')})`);
      }
    }
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      while (this.#queue.length > 0) {
        const jobs = this.#queue.splice(0);
        await this.#runJobs(jobs);
      }
    } finally {
      this.#draining = false;
    }
  }

  async #runJobs(jobs: Job[]): Promise<void> {
    // Items of equal dims can share a call; a dynamic clip axis may give items of different dims.
    const groups = new Map<string, { item: GraphItem; job: number }[]>();
    jobs.forEach((job, j) => {
      for (const item of job.items) {
        const k = item.dims.join('x');
        let g = groups.get(k);
        if (g === undefined) groups.set(k, (g = []));
        g.push({ item, job: j });
      }
    });
    const raw: Float32Array[][] = jobs.map(() => []);
    const failed = new Map<number, unknown>();
    const fixed = this.#loaded.entry.input.shape[0]!;
    const chunk = fixed > 0 ? fixed : this.#options.maxBatch;
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += chunk) {
        const part = group.slice(i, i + chunk);
        try {
          const vectors = await this.#runBatch(part.map((p) => p.item));
          part.forEach((p, k) => raw[p.job]!.push(vectors[k]!));
        } catch (err) {
          for (const p of part) failed.set(p.job, err);
        }
      }
    }
    jobs.forEach((job, j) => {
      const err = failed.get(j);
      if (err !== undefined) {
        this.#stats.failures++;
        job.reject(err instanceof SensebindError ? err : new SensebindError('MODEL', `${this.#where}: run failed: ${errorMessage(err)}`, { cause: err }));
        return;
      }
      let vector: Float32Array | undefined;
      try {
        vector = meanNormalized(raw[j]!);
      } catch (e) {
        this.#stats.failures++;
        job.reject(new SensebindError('MODEL', `${this.#where}: ${errorMessage(e)}`));
        return;
      }
      if (vector === undefined) {
        this.#stats.failures++;
        job.reject(new SensebindError('MODEL', `${this.#where}: the graph's output has norm 0 or is not finite: no direction to embed`));
        return;
      }
      job.resolve(vector);
      this.#stats.embeddings++;
    });
  }

  /** One graph call for items of identical dims; returns their raw (unnormalised) output vectors. */
  async #runBatch(items: GraphItem[], { warmup = false }: { warmup?: boolean } = {}): Promise<Float32Array[]> {
    const session = this.#session ?? (await this.#opening!);
    const ort = await loadOrt();
    const { input, output } = this.#loaded.entry;
    const fixed = input.shape[0]!;
    const batch = fixed > 0 ? fixed : items.length;
    const stacked = stackItems(items, batch);
    const dims = [batch, ...items[0]!.dims];
    let feed: OrtTensor;
    if (input.dtype === 'int64') feed = new ort.Tensor('int64', stacked as BigInt64Array, dims);
    else if (input.dtype === 'float16') feed = new ort.Tensor('float16', float32ToHalf(stacked as Float32Array), dims);
    else feed = new ort.Tensor('float32', stacked as Float32Array, dims);
    const t0 = performance.now();
    const result = await session.run({ [input.name]: feed }, [output.name]);
    const ms = performance.now() - t0;
    const out = result[output.name]!;
    let data: Float32Array;
    if (out.type === 'float16') data = halfToFloat32(out.data as Uint16Array);
    else if (out.type === 'float32') data = out.data as Float32Array;
    else throw new SensebindError('MODEL', `${this.#where}: output "${output.name}" is ${out.type}, expected float32 or float16`);
    const vectors = splitOutput(data, out.dims, items.length, this.#options.embeddingDim, this.#where);
    for (const t of Object.values(result)) t.dispose();
    if (warmup) return vectors; // the warm-up is reported as warmupMs, not as traffic
    this.#stats.runs++;
    this.#stats.items += items.length;
    this.#stats.lastRunMs = ms;
    this.#stats.runMsAvg = this.#stats.runs === 1 ? ms : this.#stats.runMsAvg * 0.9 + ms * 0.1;
    this.#stats.maxBatchSeen = Math.max(this.#stats.maxBatchSeen, items.length);
    return vectors;
  }
}
