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
const hasScript = spawnSync('script', ['--version']).status === 0;
if (!hasScript) console.warn('test/cli/exits: util-linux `script` not found, skipping the terminal progress test');

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

  it('concepts --state that cannot be written fails with one line naming the user\'s path (not a temp or lock file)', async () => {
    await writeFile(join(dir, 'plain-file'), 'not a folder\n');
    for (const [state, why] of [['outdir', /concept memory outdir: is a directory/], ['plain-file/concepts.sbm', /plain-file\/concepts\.sbm: .*a part of the path is a file, not a folder/]] as const) {
      const r = cli(['concepts', 'add', 'kettle', '--prompt', 'a kettle whistling', '--state', state]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/unexpected error|\.tmp|\.lock:|\n\s+at /);
    }
  }, 60_000);

  it('dataset export --out and dataset eval --out that cannot be written fail at once with one line', async () => {
    const model = join(ROOT, 'models/bind-mini');
    const exp = cli(['dataset', 'export', '--model', model, '--seeds', '1', '--duration', '7', '--out', 'plain-file']);
    expect(exp.code).toBe(1);
    expect(exp.stderr).toMatch(/dataset folder plain-file: cannot write \(exists and is not a folder\)/);
    const ev = cli(['dataset', 'eval', '--model', model, '--seeds', '1', '--duration', '7', '--out', 'outdir']);
    expect(ev.code).toBe(1);
    expect(ev.stderr).toMatch(/--out outdir: cannot write \(is a directory\)/);
    for (const r of [exp, ev]) expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  }, 60_000);

  it.skipIf(!hasScript)('long jobs (replay, concepts teach, eval) show progress on a terminal and not in a pipe', async () => {
    // util-linux `script` gives the command a real pseudo-terminal, as a user's shell would.
    const onTty = (args: string[]) => {
      const line = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
      const r = spawnSync('script', ['-qec', line, '/dev/null'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      return { code: r.status, out: r.stdout };
    };
    const replay = onTty(['replay', bag]);
    expect(replay.code).toBe(0);
    expect(replay.out).toMatch(/\rreplay: \d+\.\d s of recording in \d+\.\d s, \d+ event messages/);
    const teach = onTty(['concepts', 'teach', 'glass_breaking', '--bag', bag, '--from', '1', '--to', '4', '--state', 'teach.sbm']);
    expect(teach.code).toBe(0);
    expect(teach.out).toMatch(/\rteach .*sim\.mcap: \d+\.\d s of recording/);
    const evaluated = onTty(['eval', bag]);
    expect(evaluated.out).toMatch(/\reval 1\/1 .*sim\.mcap: \d+\.\d s of recording/);
    // In a pipe (logs, CI) the same command prints no progress line.
    const piped = cli(['concepts', 'teach', 'glass_breaking', '--bag', bag, '--from', '1', '--to', '4', '--state', 'teach.sbm']);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/s of recording/);
  }, 180_000);

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
