/**
 * Reads an indexed MCAP's chunks for McapIndexedReader already decompressed and CRC-checked (zlib's native
 * CRC-32 instead of the library's JavaScript one), rewritten as uncompressed chunks.
 *
 * On a machine with cores to spare, a worker thread (chunk-worker.ts) does this a few chunks ahead of the
 * reader, which asks for chunks in message-time order, and hands each back with its buffer transferred:
 * zstd (WebAssembly) and the CRC were a third of a replay's CPU, on the main thread that also decodes,
 * windows and matches. Measured on the 2-core VM (120 s simulated bag): the main thread's CPU fell from
 * 3.6 to 2.4 s, but the process's rose by 0.4 s and its peak RSS by about 75 MiB, and at load 6 the replay
 * was no faster: the preprocessing worker and ONNX Runtime already fill the second core. So the worker is
 * used only with more than two cores (`workerWhen`); elsewhere, and wherever the worker cannot run or has
 * died, the same rewrite runs in-thread, so chunks are checked exactly once and errors read the same.
 */
import { existsSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { McapTypes } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { readChunk } from './chunk-record.js';

export interface ChunkRequest {
  offset: number;
  length: number;
}

export type ChunkReply = { offset: number; chunk: Uint8Array } | { offset: number; error: string };

/** Chunks requested ahead of the one being read: enough to keep the worker busy, a few MiB of memory. */
const AHEAD = 4;
/** Below this much chunk data a worker's start (tens of ms) costs more than it saves: rewrite in-thread. */
const MIN_WORKER_BYTES = 4 * 1024 * 1024;

/** When a prefetching worker runs: 'spare-cores' (the default) means more than two cores. */
export type WorkerPolicy = 'spare-cores' | 'always' | 'never';

function workerWhen(policy: WorkerPolicy): boolean {
  return policy === 'always' || (policy === 'spare-cores' && availableParallelism() > 2);
}

interface Fetch {
  request: ChunkRequest;
  promise: Promise<Uint8Array>;
  resolve: (chunk: Uint8Array) => void;
  reject: (err: Error) => void;
  settled: boolean;
  taken: boolean;
}

function workerScript(): string | undefined {
  // Compiled: a sibling in dist/bag. From the TypeScript sources (tests), the built copy.
  for (const candidate of ['./chunk-worker.js', '../../dist/bag/chunk-worker.js']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * An McapIndexedReader readable over an open file whose chunk reads come from the worker, rewritten
 * uncompressed; other reads (summary, message indexes) are plain reads. Call `setChunks` once the reader has its chunk index.
 */
export class PrefetchingReadable implements McapTypes.IReadable {
  #worker: Worker | undefined;
  #chunks = new Map<number, { index: number; length: number }>();
  #order: ChunkRequest[] = [];
  /** Fetches sent to the worker, until both answered and taken by the reader. */
  #fetches = new Map<number, Fetch>();
  /** Offsets ever fetched: McapIndexedReader keeps the chunks it has read, so none is fetched twice. */
  #fetched = new Set<number>();
  /** Chunks decompressed and checked, by where. */
  readonly stats = { fromWorker: 0, inThread: 0 };

  readonly #base: FileHandleReadable;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
    private readonly handlers: McapTypes.DecompressHandlers,
    private readonly workerPolicy: WorkerPolicy = 'spare-cores',
  ) {
    this.#base = new FileHandleReadable(handle);
  }

  size(): Promise<bigint> {
    return this.#base.size();
  }

  /** Chunks in the order the reader takes them (message start time). Starts the worker where one is used. */
  setChunks(chunkIndexes: readonly McapTypes.ChunkIndex[]): void {
    this.#order = [...chunkIndexes]
      .sort((a, b) => (a.messageStartTime < b.messageStartTime ? -1 : a.messageStartTime > b.messageStartTime ? 1 : 0))
      .map((c) => ({ offset: Number(c.chunkStartOffset), length: Number(c.chunkLength) }));
    this.#order.forEach((c, index) => this.#chunks.set(c.offset, { index, length: c.length }));
    const bytes = chunkIndexes.reduce((sum, c) => sum + Number(c.uncompressedSize), 0);
    if (!workerWhen(this.workerPolicy) || this.#order.length < 2 || bytes < MIN_WORKER_BYTES) return;
    const script = workerScript();
    if (script === undefined) return;
    const worker = new Worker(script, { workerData: { path: this.path } });
    worker.unref(); // an abandoned reader must not keep the process alive
    worker.on('message', (reply: ChunkReply) => this.#settle(reply));
    worker.on('error', (err) => this.#workerGone(err));
    worker.on('exit', (code) => this.#workerGone(new Error(`exit ${code}`)));
    this.#worker = worker;
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    const chunk = this.#chunks.get(Number(offset));
    if (chunk === undefined || chunk.length !== Number(size)) return this.#base.read(offset, size);
    const fetch = this.#fetch(this.#order[chunk.index]!);
    const end = Math.min(this.#order.length, chunk.index + 1 + AHEAD);
    for (let i = chunk.index + 1; i < end; i++) this.#fetch(this.#order[i]!);
    if (fetch === undefined) return this.#inThread(this.#order[chunk.index]!);
    fetch.taken = true;
    if (fetch.settled) this.#fetches.delete(fetch.request.offset);
    return fetch.promise;
  }

  close(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    this.#fetches.clear();
    void worker?.terminate();
  }

  /** The chunk's fetch; undefined without a worker or when it was fetched and taken before. */
  #fetch(request: ChunkRequest): Fetch | undefined {
    const existing = this.#fetches.get(request.offset);
    if (existing !== undefined) return existing;
    if (this.#worker === undefined || this.#fetched.has(request.offset)) return undefined;
    let resolve!: (chunk: Uint8Array) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<Uint8Array>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined); // a chunk fetched ahead and never taken must not be an unhandled rejection
    const fetch: Fetch = { request, promise, resolve, reject, settled: false, taken: false };
    this.#fetches.set(request.offset, fetch);
    this.#fetched.add(request.offset);
    this.#worker.postMessage(request);
    return fetch;
  }

  #settle(reply: ChunkReply): void {
    const fetch = this.#fetches.get(reply.offset);
    if (fetch === undefined || fetch.settled) return;
    fetch.settled = true;
    if (fetch.taken) this.#fetches.delete(reply.offset);
    if ('chunk' in reply) {
      this.stats.fromWorker++;
      fetch.resolve(reply.chunk);
    } else fetch.reject(new Error(reply.error));
  }

  #inThread(request: ChunkRequest): Promise<Uint8Array> {
    this.stats.inThread++;
    return readChunk(this.handle, request.offset, request.length, this.handlers);
  }

  /** The worker died (not a bag problem): what it had not answered is read in-thread. */
  #workerGone(_reason: Error): void {
    if (this.#worker === undefined) return;
    this.#worker = undefined;
    for (const fetch of this.#fetches.values()) {
      if (fetch.settled) continue;
      fetch.settled = true;
      this.#inThread(fetch.request).then(fetch.resolve, fetch.reject);
    }
  }
}
