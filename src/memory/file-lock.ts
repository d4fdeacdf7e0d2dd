/**
 * A lock file that serialises writers of one file across processes (CLI edits, the running agent, MQTT and
 * ROS 2 commands all end in the same state file).
 *
 * `<file>.lock` is created with O_EXCL and holds `{ pid, host, token, at }`. While held, its mtime is
 * refreshed every `staleMs / 4`, so a lock is stale when its holder is gone: on this host, a pid that no
 * longer exists; anywhere, an mtime older than `staleMs` (a holder on another host that died, or a pid
 * reused after a crash). Breaking a stale lock takes a second, short-lived `<file>.lock.break` (O_EXCL) and
 * re-reads the lock under it, so two waiters that both saw the same stale lock cannot each delete it and
 * one of them delete the other's fresh lock. A `.break` file left by a process killed in those few
 * milliseconds is itself broken after `breakStaleMs`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { hostname } from 'node:os';
import { SensebindError, writeFailureReason } from '../core/errors.js';
import { pidAlive } from '../core/pid-alive.js';

export interface FileLockOptions {
  /** A lock whose mtime is older than this is stale (its holder refreshes it 4 times per period). @default 30000 */
  staleMs?: number;
  /** Give up waiting after this long, with an error naming the holder. @default 120000 */
  timeoutMs?: number;
  /** Wait between attempts (doubled up to 8x, with jitter). @default 25 */
  retryMs?: number;
  /** A `.break` file older than this is left over from a killed breaker. @default 5000 */
  breakStaleMs?: number;
  /** Whether a pid is alive on this host (injected in tests). @default signal 0 */
  isAlive?: (pid: number) => boolean;
}

interface Holder {
  pid: number;
  host: string;
  token: string;
  at: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

async function readHolder(path: string): Promise<{ holder: Holder | undefined; raw: string; mtimeMs: number } | undefined> {
  try {
    const [raw, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(raw) as Holder;
    } catch {
      holder = undefined; // half-written by a holder killed between open and write: stale once old enough
    }
    return { holder, raw, mtimeMs: st.mtimeMs };
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function createExclusive(path: string, content: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'wx', 0o644);
  } catch (err) {
    if (code(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    await fh.writeFile(content);
  } finally {
    await fh.close();
  }
  return true;
}

export class FileLock {
  readonly path: string;
  readonly #token: string;
  #timer: NodeJS.Timeout | undefined;

  private constructor(path: string, token: string, refreshMs: number) {
    this.path = path;
    this.#token = token;
    this.#timer = setInterval(() => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    }, refreshMs);
    this.#timer.unref();
  }

  /** Waits for and takes the lock `<target>.lock`; throws SensebindError('IO') naming the holder on timeout. */
  static async acquire(target: string, options: FileLockOptions = {}): Promise<FileLock> {
    // Blocking: it returns a lock or throws.
    return (await FileLock.#take(target, options, true)) as FileLock;
  }

  /** Takes `<target>.lock` if no live holder has it (a stale one is broken first), else undefined at once. */
  static async tryAcquire(target: string, options: Omit<FileLockOptions, 'timeoutMs'> = {}): Promise<FileLock | undefined> {
    return FileLock.#take(target, options, false);
  }

  static async #take(target: string, options: FileLockOptions, blocking: boolean): Promise<FileLock | undefined> {
    const { staleMs = 30_000, timeoutMs = 120_000, retryMs = 25, breakStaleMs = 5_000, isAlive = pidAlive } = options;
    const path = `${target}.lock`;
    const host = hostname();
    const token = randomBytes(8).toString('hex');
    const content = JSON.stringify({ pid: process.pid, host, token, at: new Date().toISOString() } satisfies Holder);
    await mkdir(dirname(path), { recursive: true }).catch(() => undefined); // a real problem shows in the create below
    const deadline = Date.now() + timeoutMs;
    let wait = retryMs;
    for (;;) {
      try {
        if (await createExclusive(path, content)) return new FileLock(path, token, Math.max(10, staleMs / 4));
      } catch (err) {
        // Name the file the user chose; the lock beside it is ours.
        throw new SensebindError('IO', `${target}: cannot write (${writeFailureReason(err)}; its lock file ${basename(path)} cannot be created beside it)`, { cause: err });
      }
      const seen = await readHolder(path);
      if (seen !== undefined && isStale(seen, host, staleMs, isAlive)) {
        await breakStale(path, seen.raw, breakStaleMs);
        continue;
      }
      // A lock gone between the create and the read was released: try again at once.
      if (!blocking) {
        if (seen === undefined) continue;
        return undefined;
      }
      if (Date.now() > deadline) {
        const who = seen?.holder !== undefined ? `process ${seen.holder.pid} on ${seen.holder.host} since ${seen.holder.at}` : 'another process';
        throw new SensebindError('IO', `${path}: held by ${who}; gave up after ${(timeoutMs / 1000).toFixed(0)} s (delete the file if that process is gone)`);
      }
      await sleep(wait * (0.5 + Math.random()));
      wait = Math.min(wait * 2, retryMs * 8);
    }
  }

  /** Releases the lock, unless it was broken and taken by someone else meanwhile (then leaves theirs). */
  async release(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const seen = await readHolder(this.path).catch(() => undefined);
    if (seen?.holder?.token === this.#token) await unlink(this.path).catch(() => undefined);
  }
}

function isStale(seen: { holder: Holder | undefined; mtimeMs: number }, host: string, staleMs: number, isAlive: (pid: number) => boolean): boolean {
  if (Date.now() - seen.mtimeMs > staleMs) return true;
  const h = seen.holder;
  return h !== undefined && h.host === host && h.pid !== process.pid && !isAlive(h.pid);
}

/** Deletes the lock if it still holds `raw` (the stale content seen), under the `.break` lock. */
async function breakStale(path: string, raw: string, breakStaleMs: number): Promise<void> {
  const breaker = `${path}.break`;
  if (!(await createExclusive(breaker, String(process.pid)))) {
    const st = await stat(breaker).catch(() => undefined);
    if (st !== undefined && Date.now() - st.mtimeMs > breakStaleMs) await unlink(breaker).catch(() => undefined);
    await sleep(5);
    return;
  }
  try {
    const again = await readHolder(path);
    if (again !== undefined && again.raw === raw) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

/** Runs `fn` holding `<target>.lock`. */
export async function withFileLock<T>(target: string, fn: () => Promise<T>, options?: FileLockOptions): Promise<T> {
  const lock = await FileLock.acquire(target, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
