// One contract for every Outbox implementation (memory, file), plus what only the file outbox promises:
// reopening after a crash restores pending entries in order, a torn last line is skipped, one owner at a time.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../src/sinks/mqtt/file-outbox.js';
import { MemoryOutbox } from '../../src/sinks/mqtt/memory-outbox.js';
import type { Outbox, OutboxDropReason, OutboxOptions } from '../../src/sinks/mqtt/outbox.js';

const dirs: string[] = [];
/** Linux's boot id; where there is none the outbox checks the pid alone, and the boot test is skipped. */
const BOOT_ID = '/proc/sys/kernel/random/boot_id';
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sensebind-outbox-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const implementations: [string, (options: OutboxOptions) => Outbox][] = [
  ['MemoryOutbox', (options) => new MemoryOutbox(options)],
  ['FileOutbox', (options) => FileOutbox.open(tempDir(), options)],
];

describe.each(implementations)('%s (Outbox contract)', (_name, make) => {
  it('hands out pending entries in order and forgets acknowledged ones', async () => {
    const outbox = make({});
    const seqs = ['a', 'b', 'c', 'd'].map((p) => outbox.enqueue('t/x', p));
    expect(seqs.every((r) => r.kept)).toBe(true);
    expect(seqs.map((r) => r.seq)).toEqual([...seqs.map((r) => r.seq)].sort((x, y) => x - y));
    expect(outbox.after(0, 10).map((e) => e.payload)).toEqual(['a', 'b', 'c', 'd']);
    expect(outbox.ack(seqs[1]!.seq)).toBe(true); // out of order
    expect(outbox.ack(seqs[1]!.seq)).toBe(false); // twice
    expect(outbox.after(0, 10).map((e) => e.payload)).toEqual(['a', 'c', 'd']);
    expect(outbox.after(seqs[0]!.seq, 1).map((e) => e.payload)).toEqual(['c']);
    expect(outbox.ack(seqs[0]!.seq)).toBe(true);
    const stats = outbox.stats();
    expect(stats).toMatchObject({ pending: 2, enqueued: 4, acked: 2, droppedSize: 0, droppedAge: 0 });
    expect(stats.pendingBytes).toBe(2 * ('t/x'.length + 1));
    await outbox.close();
  });

  it('drops the oldest entries when the byte bound is reached, and says so', async () => {
    const drops: [OutboxDropReason, number][] = [];
    const outbox = make({ maxBytes: 30, onDrop: (reason, count) => drops.push([reason, count]) });
    for (let i = 0; i < 5; i++) outbox.enqueue('t', `payload-${i}`); // 10 bytes each
    expect(outbox.after(0, 10).map((e) => e.payload)).toEqual(['payload-2', 'payload-3', 'payload-4']);
    expect(drops).toEqual([
      ['size', 1],
      ['size', 1],
    ]);
    const big = outbox.enqueue('t', 'x'.repeat(40));
    expect(big.kept).toBe(false);
    expect(outbox.stats()).toMatchObject({ pending: 3, droppedSize: 2, droppedTooLarge: 1 });
    expect(drops.at(-1)).toEqual(['too-large', 1]);
    await outbox.close();
  });

  it('drops entries older than the age bound', async () => {
    let now = 1_000_000;
    const drops: [OutboxDropReason, number][] = [];
    const outbox = make({ maxAgeMs: 1000, now: () => now, onDrop: (reason, count) => drops.push([reason, count]) });
    outbox.enqueue('t', 'old-1');
    outbox.enqueue('t', 'old-2');
    now += 600;
    outbox.enqueue('t', 'new');
    now += 600;
    expect(outbox.expire()).toBe(2);
    expect(outbox.after(0, 10).map((e) => e.payload)).toEqual(['new']);
    expect(drops).toEqual([['age', 2]]);
    expect(outbox.stats().droppedAge).toBe(2);
    await outbox.close();
  });

  it('stays fast and ordered with many pending entries', async () => {
    const outbox = make({});
    const n = 20_000;
    for (let i = 0; i < n; i++) outbox.enqueue('t', String(i));
    let cursor = 0;
    let expected = 0;
    for (;;) {
      const batch = outbox.after(cursor, 500);
      if (batch.length === 0) break;
      for (const e of batch) {
        expect(e.payload).toBe(String(expected++));
        cursor = e.seq;
        if (Number(e.payload) % 2 === 0) outbox.ack(e.seq);
      }
    }
    expect(expected).toBe(n);
    expect(outbox.stats().pending).toBe(n / 2);
    await outbox.close();
  });
});

describe('FileOutbox persistence', () => {
  it('restores pending entries, in order and with their seqs, after a crash (no close)', async () => {
    const dir = tempDir();
    const first = FileOutbox.open(dir);
    const a = first.enqueue('t/1', '{"n":1}');
    const b = first.enqueue('t/2', '{"n":2}');
    const c = first.enqueue('t/3', 'with "quotes"\nand a newline');
    first.ack(a.seq);
    await new Promise((r) => setImmediate(r)); // removal records are written once per tick
    // No close(): the process "dies" here. Writes were synchronous, so the file has everything.
    const second = FileOutbox.open(dir);
    expect(second.after(0, 10).map((e) => [e.seq, e.topic, e.payload])).toEqual([
      [b.seq, 't/2', '{"n":2}'],
      [c.seq, 't/3', 'with "quotes"\nand a newline'],
    ]);
    expect(second.stats()).toMatchObject({ pending: 2, recovered: 2, corrupt: 0 });
    expect(second.enqueue('t', 'next').seq).toBeGreaterThan(c.seq);
    await second.close();
  });

  it('keeps seqs increasing after everything was acknowledged and compacted', async () => {
    const dir = tempDir();
    const first = FileOutbox.open(dir);
    const last = [1, 2, 3].map(() => first.enqueue('t', 'x')).at(-1)!;
    for (let s = 1; s <= last.seq; s++) first.ack(s);
    await first.close();
    const second = FileOutbox.open(dir);
    expect(second.stats().pending).toBe(0);
    expect(second.enqueue('t', 'y').seq).toBe(last.seq + 1);
    await second.close();
  });

  it('skips a torn last record (power loss mid-write) and keeps the rest', async () => {
    const dir = tempDir();
    const first = FileOutbox.open(dir);
    first.enqueue('t', 'kept');
    await first.close();
    appendFileSync(join(dir, 'outbox.log'), '{"s":99,"t":1,"q":"t","p":"tor');
    const second = FileOutbox.open(dir);
    expect(second.after(0, 10).map((e) => e.payload)).toEqual(['kept']);
    expect(second.stats().corrupt).toBe(1);
    second.enqueue('t', 'after');
    await second.close();
    const third = FileOutbox.open(dir);
    expect(third.after(0, 10).map((e) => e.payload)).toEqual(['kept', 'after']);
    expect(third.stats().corrupt).toBe(0); // the open rewrote a clean log
    await third.close();
  });

  it('compacts the log so it does not grow with acknowledged entries', async () => {
    const dir = tempDir();
    const outbox = FileOutbox.open(dir, { compactMinBytes: 10_000 });
    for (let i = 0; i < 2_000; i++) {
      const { seq } = outbox.enqueue('sensebind/r1/events', `{"i":${i},"pad":"${'x'.repeat(50)}"}`);
      outbox.ack(seq);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setImmediate(r));
    expect(statSync(join(dir, 'outbox.log')).size).toBeLessThan(30_000);
    await outbox.close();
  });

  it('refuses an outbox folder owned by another live process', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'outbox.lock'), String(process.ppid));
    expect(() => FileOutbox.open(dir)).toThrow(/in use by process/);
    const boot = existsSync(BOOT_ID) ? readFileSync(BOOT_ID, 'utf8').trim() : '';
    writeFileSync(join(dir, 'outbox.lock'), `${process.ppid} ${boot}`);
    expect(() => FileOutbox.open(dir)).toThrow(/in use by process/);
    // A lock left by a dead process (SIGKILL) is taken over.
    writeFileSync(join(dir, 'outbox.lock'), '999999999');
    const outbox = FileOutbox.open(dir);
    expect(readFileSync(join(dir, 'outbox.lock'), 'utf8')).toBe(`${process.pid} ${boot}`.trim());
    void outbox.close();
  });

  it.skipIf(!existsSync(BOOT_ID))('takes over a lock from an earlier boot even when its pid is alive now (pids are reused after a power loss)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'outbox.lock'), `${process.ppid} 00000000-0000-0000-0000-000000000000`);
    const outbox = FileOutbox.open(dir);
    expect(readFileSync(join(dir, 'outbox.lock'), 'utf8')).toBe(`${process.pid} ${readFileSync(BOOT_ID, 'utf8').trim()}`);
    await outbox.close();
  });
});
