import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { TextEmbeddingCache } from '../../src/embed/text-cache.js';

const KEY = 'ab'.repeat(32);
const vec = (x: number) => new Float32Array([x, -x, 0.5]);

async function open(dir: string, key = KEY) {
  return TextEmbeddingCache.open({ dir, key, dim: 3, logger: silentLogger() });
}

describe('TextEmbeddingCache', () => {
  it('persists entries across reopen and counts hits and misses', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sensebind-cache-'));
    const a = await open(dir);
    expect(a.get('dog')).toBeUndefined();
    await a.put([['dog', vec(1)], ['cat', vec(2)]]);
    await a.put([['bird', vec(3)]]);
    const b = await open(dir);
    expect(Array.from(b.get('cat')!)).toEqual([2, -2, 0.5]);
    expect(b.get('bird')).toBeDefined();
    expect(b.get('fish')).toBeUndefined();
    expect(b.stats()).toMatchObject({ entries: 3, hits: 2, misses: 1, corrupt: 0 });
  });

  it('keeps models apart by key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sensebind-cache-'));
    await (await open(dir)).put([['dog', vec(1)]]);
    const other = await open(dir, 'cd'.repeat(32));
    expect(other.get('dog')).toBeUndefined();
    expect(await readdir(dir)).toHaveLength(1);
  });

  it('skips a torn last line and garbage, keeps the rest and repairs the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sensebind-cache-'));
    const a = await open(dir);
    await a.put([['dog', vec(1)], ['cat', vec(2)]]);
    const file = a.file;
    const text = await readFile(file, 'utf8');
    await writeFile(file, `${text}not json\n{"p":"short","v":"AAAA"}\n{"p":"torn","v":"AAA`);
    const b = await open(dir);
    expect(b.stats()).toMatchObject({ entries: 2, corrupt: 3 });
    await b.put([['bird', vec(3)]]);
    const c = await open(dir);
    expect(c.stats()).toMatchObject({ entries: 3, corrupt: 0 });
  });

  it('starts empty on a damaged header and rewrites the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sensebind-cache-'));
    const a = await open(dir);
    await a.put([['dog', vec(1)]]);
    await writeFile(a.file, '\u0000\u0001binary junk');
    const b = await open(dir);
    expect(b.stats()).toMatchObject({ entries: 0, corrupt: 1 });
    await b.put([['cat', vec(2)]]);
    expect((await open(dir)).stats()).toMatchObject({ entries: 1, corrupt: 0 });
  });
});
