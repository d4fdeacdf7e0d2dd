/**
 * Disk cache of text embeddings, so a restart with 1,000 concepts does not re-run the text graph 1,000
 * times. One file per model: its name and header carry a key derived from the text graph's sha256 and
 * the text preprocessing parameters, so a different model (or tokenizer setting) can never read another
 * model's vectors. Entries are keyed by the exact prompt string.
 *
 * Format: JSON lines; a header line, then one `{"p": prompt, "v": base64 float32 LE}` per prompt. New
 * prompts are appended (cheap, and a crash tears at most the last line). Loading never fails the caller:
 * a torn or corrupt line is skipped and counted, a wrong header or unreadable file means an empty cache;
 * either way the file is rewritten whole (temp file + rename) at the next store.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';

const FORMAT = 'sensebind-text-cache';
const VERSION = 1;

export interface TextCacheOptions {
  /** Folder of cache files (config model.cacheDir); created on first store. */
  dir: string;
  /** Hex key of the model + preprocessing (see textCacheKey). */
  key: string;
  /** Embedding length; entries of another length are corrupt. */
  dim: number;
  logger: Logger;
}

export interface TextCacheStats {
  file: string;
  entries: number;
  hits: number;
  misses: number;
  /** Lines skipped at load (torn write, corruption) plus whole-file resets. */
  corrupt: number;
}

function encode(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decode(s: string, dim: number): Float32Array | undefined {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length !== dim * 4) return undefined;
  const v = new Float32Array(dim);
  new Uint8Array(v.buffer).set(bytes);
  for (const x of v) if (!Number.isFinite(x)) return undefined;
  return v;
}

export class TextEmbeddingCache {
  readonly #options: TextCacheOptions;
  readonly #file: string;
  readonly #map = new Map<string, Float32Array>();
  #needsRewrite = false;
  #hits = 0;
  #misses = 0;
  #corrupt = 0;
  #writing: Promise<void> = Promise.resolve();

  private constructor(options: TextCacheOptions) {
    this.#options = options;
    this.#file = join(options.dir, `text-${options.key.slice(0, 32)}.jsonl`);
  }

  /** Opens (reads) the cache for one model; never throws for a missing or corrupt file. */
  static async open(options: TextCacheOptions): Promise<TextEmbeddingCache> {
    const cache = new TextEmbeddingCache(options);
    await cache.#load();
    return cache;
  }

  get file(): string {
    return this.#file;
  }

  get(prompt: string): Float32Array | undefined {
    const v = this.#map.get(prompt);
    if (v === undefined) this.#misses++;
    else this.#hits++;
    return v;
  }

  /** Adds entries in memory and on disk. A write failure is logged, not thrown: the cache is an optimisation. */
  async put(entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    const fresh = entries.filter(([p, v]) => !this.#map.has(p) && v.length === this.#options.dim);
    if (fresh.length === 0) return;
    for (const [p, v] of fresh) this.#map.set(p, v);
    const task = this.#writing.then(() => this.#write(fresh));
    this.#writing = task;
    await task;
  }

  stats(): TextCacheStats {
    return { file: this.#file, entries: this.#map.size, hits: this.#hits, misses: this.#misses, corrupt: this.#corrupt };
  }

  async #load(): Promise<void> {
    const { logger, key, dim } = this.#options;
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#corrupt++;
        this.#needsRewrite = true;
        logger.warn({ file: this.#file, err: errorMessage(err) }, 'text embedding cache unreadable; starting empty');
      } else {
        this.#needsRewrite = true; // no file yet: the first store writes the header
      }
      return;
    }
    const lines = text.split('\n');
    let header: { format?: unknown; v?: unknown; key?: unknown; dim?: unknown } | undefined;
    try {
      header = JSON.parse(lines[0] ?? '') as typeof header;
    } catch {
      header = undefined;
    }
    if (header?.format !== FORMAT || header.v !== VERSION || header.key !== key || header.dim !== dim) {
      this.#corrupt++;
      this.#needsRewrite = true;
      logger.warn({ file: this.#file }, 'text embedding cache has a wrong or damaged header; starting empty');
      return;
    }
    let bad = 0;
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      try {
        const entry = JSON.parse(line) as { p?: unknown; v?: unknown };
        const v = typeof entry.p === 'string' && typeof entry.v === 'string' ? decode(entry.v, dim) : undefined;
        if (v === undefined) bad++;
        else this.#map.set(entry.p as string, v);
      } catch {
        bad++;
      }
    }
    // A file not ending in a newline was torn mid-append: appending to it would glue two lines together.
    if (bad > 0 || !text.endsWith('\n')) {
      this.#corrupt += bad;
      this.#needsRewrite = true;
      if (bad > 0) logger.warn({ file: this.#file, skipped: bad, kept: this.#map.size }, 'text embedding cache: skipped corrupt lines');
    }
  }

  async #write(fresh: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    const { dir, key, dim, logger } = this.#options;
    const line = (p: string, v: Float32Array) => `${JSON.stringify({ p, v: encode(v) })}\n`;
    try {
      await mkdir(dir, { recursive: true });
      if (this.#needsRewrite) {
        const all = [`${JSON.stringify({ format: FORMAT, v: VERSION, key, dim })}\n`];
        for (const [p, v] of this.#map) all.push(line(p, v));
        const tmp = `${this.#file}.${process.pid}.tmp`;
        await writeFile(tmp, all.join(''));
        await rename(tmp, this.#file);
        this.#needsRewrite = false;
      } else {
        await appendFile(this.#file, fresh.map(([p, v]) => line(p, v)).join(''));
      }
    } catch (err) {
      logger.warn({ file: this.#file, err: errorMessage(err) }, 'text embedding cache: cannot write; embeddings stay in memory only');
    }
  }
}
