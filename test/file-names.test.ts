/**
 * One file-naming convention: TypeScript and JavaScript files are kebab-case (`file-outbox.ts`), like the
 * rest of src/. Python helpers keep Python's snake_case; data fixtures keep the names of their sources.
 */
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+)*\.(?:ts|mts|js|mjs|cjs)$/;

function scriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'golden' || e.name === 'out' ? [] : scriptFiles(path);
    return /\.(?:ts|mts|js|mjs|cjs)$/.test(e.name) ? [relative(ROOT, path)] : [];
  });
}

it('names every script file in kebab-case', () => {
  const files = ['src', 'test', 'bench', 'scripts', 'bin'].flatMap((d) => scriptFiles(join(ROOT, d)));
  expect(files.length).toBeGreaterThan(200);
  expect(files.filter((f) => !KEBAB.test(f.split(/[\\/]/).pop()!))).toEqual([]);
});
