/**
 * The persistent outbox: an append-only log in `<dir>/outbox.log`, one JSON record per line.
 *   {"s":seq,"t":atMs,"q":topic,"p":payload}   an accepted entry (written with a synchronous write
 *                                              BEFORE the entry is published: a SIGKILL right after
 *                                              enqueue() returns still finds it in the page cache)
 *   {"x":[seq,...]}                           entries removed (acknowledged or dropped)
 *   {"h":1,"next":seq}                        header of a compacted log (keeps seq increasing)
 * Removals are batched (one write per tick): losing one to a crash means a re-delivery, which
 * subscribers deduplicate, never a loss. The log is rewritten (temp file + rename, so a crash during
 * the rewrite leaves the old log) at open and whenever dead records outweigh live ones.
 * `<dir>/outbox.lock` holds the owner's pid and boot id: two processes appending to one log would corrupt
 * it. A lock from an earlier boot is stale whatever its pid: after a power loss the pid it names may
 * belong to any process of the new boot, and the agent would refuse to start.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { SensebindError, errorMessage } from '../../core/errors.js';
import { pidAlive } from '../../core/pid-alive.js';
import { entryBytes, PendingQueue } from './pending-queue.js';
import { OUTBOX_DEFAULTS, type EnqueueResult, type Outbox, type OutboxEntry, type OutboxOptions, type OutboxStats } from './outbox.js';

export interface FileOutboxOptions extends OutboxOptions {
  /** fsync after each accepted entry (power-loss safe; a disk flush per event). @default false */
  fsync?: boolean;
  /** The log is compacted when it exceeds this many bytes and holds more dead than live data. @default 4 MiB */
  compactMinBytes?: number;
}

const LOG = 'outbox.log';
const LOCK = 'outbox.lock';

/** The kernel's id of this boot (Linux); '' where there is none, and then only the pid is checked. */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

export class FileOutbox implements Outbox {
  readonly #dir: string;
  readonly #queue: PendingQueue;
  readonly #fsync: boolean;
  readonly #compactMinBytes: number;
  readonly #now: () => number;
  #fd: number | undefined;
  #fileBytes = 0;
  #nextSeq = 1;
  #removals: number[] = [];
  #flushScheduled = false;
  #recovered = 0;
  #corrupt = 0;
  /** Failed background writes (removal records, compaction); enqueue() failures throw instead. */
  writeErrors = 0;
  lastWriteError = '';

  /** Opens (creating if needed) the outbox in `dir`; pending entries of an earlier run are kept, in order. */
  static open(dir: string, options: FileOutboxOptions = {}): FileOutbox {
    return new FileOutbox(dir, options);
  }

  private constructor(dir: string, options: FileOutboxOptions) {
    const {
      maxBytes = OUTBOX_DEFAULTS.maxBytes,
      maxAgeMs = OUTBOX_DEFAULTS.maxAgeMs,
      onDrop,
      now = Date.now,
      fsync = false,
      compactMinBytes = 4 * 1024 * 1024,
    } = options;
    this.#dir = dir;
    this.#fsync = fsync;
    this.#compactMinBytes = compactMinBytes;
    this.#now = now;
    this.#queue = new PendingQueue({ maxBytes, maxAgeMs, onDrop, now, onRemoved: (seqs) => this.#logRemovals(seqs) });
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new SensebindError('IO', `mqtt outbox: cannot create folder ${dir}: ${errorMessage(err)}`);
    }
    this.#lock();
    this.#load();
    this.#rewrite();
  }

  enqueue(topic: string, payload: string): EnqueueResult {
    const fd = this.#openFd();
    const seq = this.#nextSeq++;
    const bytes = entryBytes(topic, payload);
    if (!this.#queue.fits(bytes)) {
      this.#queue.refuseTooLarge(seq);
      return { kept: false, seq };
    }
    const at = this.#now();
    const line = `{"s":${seq},"t":${at},"q":${JSON.stringify(topic)},"p":${JSON.stringify(payload)}}\n`;
    this.#append(fd, line);
    if (this.#fsync) fsyncSync(fd);
    this.#queue.push({ seq, topic, payload, at, bytes });
    return { kept: true, seq };
  }

  ack(seq: number): boolean {
    if (!this.#queue.ack(seq)) return false;
    this.#logRemovals([seq]);
    return true;
  }

  after(afterSeq: number, max: number): OutboxEntry[] {
    return this.#queue.after(afterSeq, max);
  }

  expire(): number {
    return this.#queue.expire();
  }

  stats(): OutboxStats {
    return { ...this.#queue.stats(), recovered: this.#recovered, corrupt: this.#corrupt };
  }

  async close(): Promise<void> {
    if (this.#fd === undefined) return;
    this.#flushRemovals();
    closeSync(this.#fd);
    this.#fd = undefined;
    rmSync(join(this.#dir, LOCK), { force: true });
  }

  #openFd(): number {
    if (this.#fd === undefined) throw new Error('mqtt outbox used after close()');
    return this.#fd;
  }

  #append(fd: number, line: string): void {
    const buf = Buffer.from(line);
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off);
    this.#fileBytes += buf.length;
  }

  #logRemovals(seqs: number[]): void {
    for (const seq of seqs) this.#removals.push(seq);
    if (this.#flushScheduled || this.#fd === undefined) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flushRemovals());
  }

  #flushRemovals(): void {
    this.#flushScheduled = false;
    if (this.#fd === undefined || this.#removals.length === 0) return;
    try {
      this.#append(this.#fd, `{"x":[${this.#removals.join(',')}]}\n`);
      this.#removals = [];
      const live = this.#queue.bytes + this.#queue.size * 48;
      if (this.#fileBytes > this.#compactMinBytes && this.#fileBytes > 2 * live) this.#rewrite();
    } catch (err) {
      // Disk full or gone: the removals stay buffered and are retried on the next ack. Worst case after a
      // crash: entries already delivered are delivered again (deduplicated by subscribers), never lost.
      this.writeErrors++;
      this.lastWriteError = errorMessage(err);
    }
  }

  #lock(): void {
    const path = join(this.#dir, LOCK);
    const boot = bootId();
    const mine = `${process.pid} ${boot}`.trim();
    try {
      writeFileSync(path, mine, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SensebindError('IO', `mqtt outbox: cannot create ${path}: ${errorMessage(err)}`);
      }
    }
    // "<pid> <boot id>"; a lock written before the boot id was added holds the pid alone.
    const [pidText = '', ownerBoot = ''] = readFileSync(path, 'utf8').trim().split(/\s+/);
    const owner = Number.parseInt(pidText, 10);
    const sameBoot = ownerBoot === '' || boot === '' || ownerBoot === boot;
    if (Number.isInteger(owner) && owner !== process.pid && sameBoot && pidAlive(owner)) {
      throw new SensebindError('IO', `mqtt outbox ${this.#dir} is in use by process ${owner} (${path}); give each sensebind its own outbox.dir`);
    }
    // The owner died (crash, SIGKILL, power loss): its lock is stale and its log is ours now.
    writeFileSync(path, mine);
  }

  #load(): void {
    const path = join(this.#dir, LOG);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new SensebindError('IO', `mqtt outbox: cannot read ${path}: ${errorMessage(err)}`);
    }
    const lines = text.split('\n');
    // A log that does not end in "\n" was cut mid-write (power loss): its last record is torn.
    const torn = lines.pop();
    if (torn !== undefined && torn !== '') this.#corrupt++;
    const removed = new Set<number>();
    const added: OutboxEntry[] = [];
    for (const line of lines) {
      if (line === '') continue;
      let rec: { s?: unknown; t?: unknown; q?: unknown; p?: unknown; x?: unknown; next?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        this.#corrupt++;
        continue;
      }
      if (typeof rec.s === 'number' && typeof rec.t === 'number' && typeof rec.q === 'string' && typeof rec.p === 'string') {
        added.push({ seq: rec.s, at: rec.t, topic: rec.q, payload: rec.p, bytes: entryBytes(rec.q, rec.p) });
        this.#nextSeq = Math.max(this.#nextSeq, rec.s + 1);
      } else if (Array.isArray(rec.x)) {
        for (const seq of rec.x) if (typeof seq === 'number') removed.add(seq);
      } else if (typeof rec.next === 'number') {
        this.#nextSeq = Math.max(this.#nextSeq, rec.next);
      } else {
        this.#corrupt++;
      }
    }
    added.sort((a, b) => a.seq - b.seq);
    for (const entry of added) {
      if (removed.has(entry.seq)) continue;
      this.#queue.push(entry, false);
      this.#recovered++;
    }
    this.#queue.expire();
    this.#removals = []; // drops during load are settled by the rewrite that follows
  }

  /**
   * Writes header + pending entries to a temp file, then atomically replaces the log. A failure leaves
   * the old log and its descriptor in place (it only grows until the next try).
   */
  #rewrite(): void {
    const path = join(this.#dir, LOG);
    const tmp = `${path}.tmp`;
    const parts = [`{"h":1,"next":${this.#nextSeq}}\n`];
    for (const e of this.#queue.entries()) {
      parts.push(`{"s":${e.seq},"t":${e.at},"q":${JSON.stringify(e.topic)},"p":${JSON.stringify(e.payload)}}\n`);
    }
    const body = parts.join('');
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    } catch (err) {
      throw new SensebindError('IO', `mqtt outbox: cannot write ${tmp}: ${errorMessage(err)}`);
    }
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = openSync(path, 'a');
    this.#fileBytes = Buffer.byteLength(body);
    this.#removals = [];
  }
}
