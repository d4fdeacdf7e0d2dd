/**
 * Preprocessing on worker threads. Preprocessing is synchronous JS (ImageBind-exact resampling, Kaldi
 * fbank): 5-30 ms per window on a Jetson-class CPU, which on the main thread shows up directly as
 * event-loop lag. The pool hands windows to `size` workers (round robin over the least busy) and gets the
 * tensors back by transfer, not copy.
 *
 * The worker script is the compiled dist/embed/preprocess-worker.js (next to this file when running
 * from dist; from the package's dist/ when running the TypeScript sources under vitest). Without it, or
 * when a worker dies, `create()` returns undefined / jobs fail over to the main thread, logged once.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { PACKAGE_ROOT } from '../config/paths.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { TaggedWindow } from '../core/types.js';
import { preprocessWindow, type WindowParams } from '../preprocess/index.js';
import type { Tensor } from '../preprocess/tensor.js';

/** What the main thread posts to a worker (preprocess-worker.ts). */
export interface PreprocessJob {
  id: number;
  tagged: TaggedWindow;
  params: WindowParams;
}

interface Pending {
  resolve: (t: Tensor) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: number;
  alive: boolean;
}

function workerScript(): string | undefined {
  const sibling = fileURLToPath(new URL('./preprocess-worker.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const dist = join(PACKAGE_ROOT, 'dist/embed/preprocess-worker.js');
  return existsSync(dist) ? dist : undefined;
}

export interface PreprocessPoolStats {
  workers: number;
  alive: number;
  jobs: number;
  inFlight: number;
  /** Jobs run on the main thread because no worker was alive. */
  mainThread: number;
  /** Jobs lost: their worker died or the pool closed while they ran (the snapshot goes without that modality). */
  dropped: number;
}

export class PreprocessPool {
  readonly #slots: Slot[];
  readonly #pending = new Map<number, Pending & { slot: Slot }>();
  readonly #logger: Logger;
  #next = 1;
  #jobs = 0;
  #mainThread = 0;
  #dropped = 0;
  #warned = false;

  private constructor(slots: Slot[], logger: Logger) {
    this.#slots = slots;
    this.#logger = logger;
    for (const slot of slots) {
      slot.worker.on('message', (msg: { id: number; tensor?: Tensor; error?: string }) => {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        p.slot.busy--;
        if (msg.tensor) p.resolve(msg.tensor);
        else p.reject(new Error(msg.error ?? 'preprocessing failed in a worker'));
      });
      const die = (why: string) => {
        if (!slot.alive) return;
        slot.alive = false;
        this.#logger.error({ reason: why }, 'preprocessing worker died; its jobs go to the main thread');
        for (const [id, p] of this.#pending) {
          if (p.slot !== slot) continue;
          this.#pending.delete(id);
          this.#dropped++;
          p.reject(new Error(`preprocessing worker died: ${why}`));
        }
      };
      slot.worker.on('error', (err) => die(errorMessage(err)));
      slot.worker.on('exit', (code) => die(`exit ${code}`));
    }
  }

  /** Starts `size` workers; undefined (main-thread preprocessing) when size is 0 or no worker script is built. */
  static create(size: number, logger: Logger): PreprocessPool | undefined {
    if (size <= 0) return undefined;
    const script = workerScript();
    if (!script) {
      logger.warn('preprocessing workers unavailable (dist/embed/preprocess-worker.js not built); preprocessing on the main thread');
      return undefined;
    }
    const slots = Array.from({ length: size }, () => ({ worker: new Worker(script), busy: 0, alive: true }));
    // Idle workers must not keep a finished process alive.
    for (const s of slots) s.worker.unref();
    return new PreprocessPool(slots, logger);
  }

  async run(tagged: TaggedWindow, params: WindowParams): Promise<Tensor> {
    this.#jobs++;
    const slot = this.#slots.filter((s) => s.alive).sort((a, b) => a.busy - b.busy)[0];
    if (!slot) {
      this.#mainThread++;
      if (!this.#warned) {
        this.#warned = true;
        this.#logger.warn('no preprocessing worker alive; preprocessing on the main thread');
      }
      return preprocessWindow(tagged, params);
    }
    const id = this.#next++;
    slot.busy++;
    return new Promise<Tensor>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, slot });
      const job: PreprocessJob = { id, tagged, params };
      slot.worker.postMessage(job);
    });
  }

  stats(): PreprocessPoolStats {
    return {
      workers: this.#slots.length,
      alive: this.#slots.filter((s) => s.alive).length,
      jobs: this.#jobs,
      inFlight: this.#pending.size,
      mainThread: this.#mainThread,
      dropped: this.#dropped,
    };
  }

  /** Stops the workers; jobs still running are rejected (and counted as dropped) rather than left hanging. */
  async close(): Promise<void> {
    for (const s of this.#slots) s.alive = false;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      this.#dropped++;
      p.reject(new Error('preprocessing pool closed'));
    }
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}
