/**
 * Several processes editing one concept memory, as users do: `sensebind concepts add` launched many times at
 * once on one state file, `concepts list` beside them, and the duplicate-id advice followed literally.
 * Every acknowledged (exit 0) edit must be in the file afterwards. Real child processes of the built CLI
 * with the tiny test model (`npm run build` first; `npm test` does it).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadState } from '../../src/memory/persist.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');

let dir: string;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/commands/concepts.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-concurrent-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd = ROOT): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

async function idsIn(state: string): Promise<string[]> {
  const loaded = await loadState(state);
  return loaded?.state.concepts.map((c) => c.id) ?? [];
}

describe('concept memory edited by several processes', () => {
  it('keeps every acknowledged edit of 8 concurrent `concepts add` processes, plus a remove racing them', async () => {
    const state = join(dir, 'many.sbm');
    const concepts = join(dir, 'seed.yaml');
    await writeFile(concepts, 'concepts:\n  - id: seed_a\n  - id: seed_b\n');
    // Seed the file first, so the racing processes all start from the same saved state (the case that lost edits).
    const seeded = await cli(['concepts', 'add', 'first', '--model', MODEL, '--state', state, '--concepts', concepts]);
    expect(seeded.code, seeded.stderr).toBe(0);
    const ids = Array.from({ length: 8 }, (_, i) => `racer_${i}`);
    const results = await Promise.all([
      ...ids.map((id) => cli(['concepts', 'add', id, '--prompt', `a ${id.replace('_', ' ')}`, '--model', MODEL, '--state', state, '--concepts', concepts])),
      cli(['concepts', 'remove', 'seed_a', '--model', MODEL, '--state', state, '--concepts', concepts]),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const after = await idsIn(state);
    expect(after.sort()).toEqual(['first', 'seed_b', ...ids].sort());
    // Every concept has its prototypes (nothing merged in without embedding).
    const loaded = await loadState(state);
    for (const c of loaded!.state.concepts) expect(loaded!.state.prototypes?.byConcept.has(c.id), c.id).toBe(true);
    expect(existsSync(`${state}.lock`)).toBe(false);
  }, 180_000);

  it('`concepts list` does not rewrite the state file', async () => {
    const state = join(dir, 'list.sbm');
    const added = await cli(['concepts', 'add', 'only', '--model', MODEL, '--state', state]);
    expect(added.code, added.stderr).toBe(0);
    const before = await stat(state, { bigint: true });
    const bytes = await readFile(state);
    const listed = await cli(['concepts', 'list', '--state', state]);
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { concepts: Array<{ id: string }> }).concepts.map((c) => c.id)).toContain('only');
    const after = await stat(state, { bigint: true });
    expect([after.ino, after.mtimeNs]).toEqual([before.ino, before.mtimeNs]);
    expect((await readFile(state)).equals(bytes)).toBe(true);
    expect(existsSync(`${state}.lock`)).toBe(false);
  }, 60_000);

  it('the duplicate-id advice names a command that exists, and following it works', async () => {
    const state = join(dir, 'dup.sbm');
    expect((await cli(['concepts', 'add', 'dup', '--model', MODEL, '--state', state])).code).toBe(0);
    const again = await cli(['concepts', 'add', 'dup', '--label', 'duplicate', '--model', MODEL, '--state', state]);
    expect(again.code).toBe(1);
    const advised = /`sensebind (concepts add dup --replace) \.\.\.`/.exec(again.stderr);
    expect(advised, again.stderr).not.toBeNull();
    const followed = await cli([...advised![1]!.split(' '), '--label', 'duplicate', '--model', MODEL, '--state', state]);
    expect(followed.code, followed.stderr).toBe(0);
    expect((await loadState(state))!.state.concepts.find((c) => c.id === 'dup')!.label).toBe('duplicate');
  }, 60_000);
});
