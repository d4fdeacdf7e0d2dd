/**
 * The cross-process lock of the concept memory: mutual exclusion between real processes, recovery from a
 * lock left by a killed process (dead pid) or by a holder that stopped refreshing it (age), and a timeout
 * that names the holder.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLock, withFileLock } from '../../src/memory/file-lock.js';

let dir: string;
beforeAll(async () => {
  if (!existsSync(resolve('dist/memory/file-lock.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that existed and is gone: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('FileLock', () => {
  it('serialises read-modify-write of a counter across 6 processes (no lost increment)', async () => {
    const target = join(dir, 'counter');
    await writeFile(target, '0');
    // Each child increments the counter 10 times under the lock with a pause between read and write.
    const script = `
      const { withFileLock } = await import(${JSON.stringify(resolve('dist/memory/file-lock.js'))});
      const { readFile, writeFile } = await import('node:fs/promises');
      for (let i = 0; i < 10; i++) {
        await withFileLock(${JSON.stringify(target)}, async () => {
          const n = Number(await readFile(${JSON.stringify(target)}, 'utf8'));
          await new Promise((r) => setTimeout(r, 3));
          await writeFile(${JSON.stringify(target)}, String(n + 1));
        }, { retryMs: 2 });
      }`;
    const runs = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<string>((r) => child.once('exit', (code) => r(`${code}:${err}`)));
    });
    expect(await Promise.all(runs)).toEqual(Array(6).fill('0:'));
    expect(await readFile(target, 'utf8')).toBe('60');
    expect(existsSync(`${target}.lock`)).toBe(false);
  }, 60_000);

  it('takes over a lock whose holder (on this host) has died', async () => {
    const target = join(dir, 'dead');
    const pid = await deadPid();
    await writeFile(`${target}.lock`, JSON.stringify({ pid, host: hostname(), token: 'x', at: new Date().toISOString() }));
    const t0 = Date.now();
    const lock = await FileLock.acquire(target, { timeoutMs: 2000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(JSON.parse(await readFile(`${target}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('takes over a lock not refreshed for staleMs (a holder on another host), not a fresh one', async () => {
    const target = join(dir, 'old');
    await writeFile(`${target}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere', token: 'x', at: '2020-01-01T00:00:00Z' }));
    // Fresh: waits, then gives up naming the holder.
    await expect(FileLock.acquire(target, { timeoutMs: 300, staleMs: 60_000 })).rejects.toThrow(/held by process 1 on elsewhere since 2020-01-01T00:00:00Z; gave up after 0 s/);
    const old = new Date(Date.now() - 120_000);
    await utimes(`${target}.lock`, old, old);
    const lock = await FileLock.acquire(target, { timeoutMs: 2000, staleMs: 60_000 });
    await lock.release();
  });

  it('tryAcquire answers at once: undefined while a live holder has the lock, the lock once it is free or stale', async () => {
    const target = join(dir, 'try');
    const held = await FileLock.acquire(target);
    const t0 = Date.now();
    expect(await FileLock.tryAcquire(target)).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(1000);
    await held.release();
    const mine = await FileLock.tryAcquire(target);
    expect(mine).toBeDefined();
    await mine?.release();
    await writeFile(`${target}.lock`, JSON.stringify({ pid: await deadPid(), host: hostname(), token: 'x', at: new Date().toISOString() }));
    const after = await FileLock.tryAcquire(target);
    expect(JSON.parse(await readFile(`${target}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await after?.release();
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('a live holder keeps its lock fresh past staleMs', async () => {
    const target = join(dir, 'live');
    // Margins for a loaded machine: the holder refreshes every 500 ms, a waiter calls 2 s without refresh stale.
    const result = await withFileLock(
      target,
      async () => {
        await new Promise((r) => setTimeout(r, 3000));
        // Another waiter with the same staleMs must not break it (isAlive: a holder on this host is never dead here).
        return FileLock.acquire(target, { staleMs: 2000, timeoutMs: 2500, isAlive: () => true }).then(
          () => 'broken',
          (err: Error) => err.message,
        );
      },
      { staleMs: 2000 },
    );
    expect(result).toMatch(/held by process/);
  }, 15_000);

  it('names the user\'s file, with the reason, when its lock cannot be created beside it', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    await expect(FileLock.acquire(join(file, 'x'), { timeoutMs: 100 })).rejects.toThrow(/a-file\/x: cannot write \(a part of the path is a file, not a folder; its lock file x\.lock cannot be created beside it\)/);
  });
});
