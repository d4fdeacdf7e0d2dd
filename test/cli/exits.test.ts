/**
 * Exits as a user meets them, through the built CLI in a child process: outputs that cannot be written,
 * inputs that are not what they claim, flags in either place. Each fails fast with one line naming the
 * user's path, and nothing reports success after losing events. Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
let dir: string;
let bag: string;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-exits-'));
  bag = join(dir, 'sim.mcap');
  const sim = cli(['simulate', '--seed', '5', '--duration', '6', '--width', '160', '--height', '120', '--out', bag, '--quiet']);
  expect(sim.code, sim.stderr).toBe(0);
  await writeFile(join(dir, 'sensebind.yaml'), `log: { level: warn }\nmodel: { providers: [cpu], cacheDir: ${join(dir, 'cache')} }\n`);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('CLI exits', () => {
  it('replay --events naming a directory fails at once with one line naming it', async () => {
    await mkdir(join(dir, 'outdir'));
    const r = cli(['replay', bag, '--events', 'outdir']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/events file outdir: cannot open for writing \(is a directory\)/);
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  }, 60_000);

  it('run with an unwritable JSONL sink fails before reading any sensor, instead of dropping every event', async () => {
    await writeFile(join(dir, 'bad-sink.yaml'), `log: { level: warn }\nmodel: { providers: [cpu], cacheDir: ${join(dir, 'cache')} }\nsinks: { jsonl: { path: ${join(dir, 'outdir')} } }\n`);
    const r = cli(['run', '--config', 'bad-sink.yaml', '--bag', bag, '--exit-at-end']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot open for writing/);
    expect(r.stdout).not.toMatch(/"clean":true/);
  }, 60_000);

  it('run --bag with a missing file exits 1 naming it', () => {
    const r = cli(['run', '--bag', join(dir, 'missing.mcap'), '--exit-at-end']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing\.mcap/);
  }, 60_000);

  it('eval --events on a file that is not an events file says so', async () => {
    await writeFile(join(dir, 'notes.txt'), 'shopping list\neggs\n');
    const r = cli(['eval', bag, '--events', 'notes.txt']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--events notes\.txt: line 1 is not JSON/);
  }, 60_000);

  it('global options are honoured after the command too (an invalid config is not silently replaced by defaults)', async () => {
    await writeFile(join(dir, 'invalid.yaml'), 'window: { hopSeconds: fast }\n');
    const after = cli(['config', 'print', '--config', 'invalid.yaml']);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/invalid\.yaml/);
    expect(after.stderr).toMatch(/window\.hopSeconds/);
    const twice = cli(['--config', 'sensebind.yaml', 'config', 'print', '--config', 'invalid.yaml']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/--config given twice/);
  }, 60_000);
});
