/**
 * sha256 of model files, streamed: an ImageBind vision graph is 2.5 GB and must not be read into memory.
 *
 * Hashing 4.8 GB of ImageBind on every start would cost a robot tens of seconds, so a verified hash can be
 * remembered in a small JSON file keyed by path, size, mtime and inode: an unchanged file is not re-read,
 * any rewrite (export, copy, truncation) changes one of them and forces a fresh hash. This guards against
 * corruption and wrong files, not against someone forging timestamps (who could edit the manifest anyway).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

/** Remembered hashes of files, in one JSON file; a missing or damaged file is simply empty. */
export class HashMemo {
  readonly #file: string;
  #entries: Record<string, Stamp> | undefined;
  #dirty = false;
  hits = 0;
  misses = 0;

  constructor(file: string) {
    this.#file = file;
  }

  async #load(): Promise<Record<string, Stamp>> {
    if (this.#entries) return this.#entries;
    try {
      const parsed = JSON.parse(await readFile(this.#file, 'utf8')) as unknown;
      this.#entries = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, Stamp>) : {};
    } catch {
      this.#entries = {};
    }
    return this.#entries;
  }

  /** The file's sha256, from memory when size, mtime and inode are unchanged. */
  async sha256(path: string): Promise<string> {
    const entries = await this.#load();
    const s = await stat(path);
    const known = entries[path];
    if (known && known.size === s.size && known.mtimeMs === s.mtimeMs && known.ino === s.ino && /^[0-9a-f]{64}$/.test(String(known.sha256))) {
      this.hits++;
      return known.sha256;
    }
    this.misses++;
    const sha256 = await sha256File(path);
    entries[path] = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, sha256 };
    this.#dirty = true;
    return sha256;
  }

  /** Writes new entries (temp file + rename); failures are ignored: the memo is only an optimisation. */
  async save(): Promise<void> {
    if (!this.#dirty || !this.#entries) return;
    try {
      await mkdir(dirname(this.#file), { recursive: true });
      const tmp = `${this.#file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(this.#entries, null, 1)}\n`);
      await rename(tmp, this.#file);
      this.#dirty = false;
    } catch {
      // read-only disk or no cache folder: hash again next time
    }
  }
}
