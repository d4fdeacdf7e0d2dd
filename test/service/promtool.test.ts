/**
 * A running agent's /metrics as Prometheus itself reads it: `sensebind run` (child process, a simulated
 * bag in real time, metrics on a free port) is scraped while events flow, and `promtool check metrics`
 * (Debian's prometheus package; .ci/run installs it) must accept the exposition. Skipped, saying why,
 * where promtool is not installed. Needs `npm run build` first (`npm test` does it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const HAVE_PROMTOOL = promtool.status === 0;
if (!HAVE_PROMTOOL) console.warn('test/service/promtool.test.ts skipped: promtool not found (apt-get install prometheus)');

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });
}

let dir: string;
beforeAll(async () => {
  if (!HAVE_PROMTOOL) return;
  if (!existsSync(join(ROOT, 'dist/cli/commands/run.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-promtool-'));
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '3', '--duration', '30', '--width', '96', '--height', '72', '--out', join(dir, 'sim.mcap'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!HAVE_PROMTOOL)('/metrics of a running agent', () => {
  it('passes `promtool check metrics` (exit 0, no lint findings)', async () => {
    const port = await freePort();
    const concepts = join(dir, 'concepts.yaml');
    await copyFile(CONCEPTS, concepts);
    const config = join(dir, 'sensebind.yaml');
    await writeFile(
      config,
      [
        'robot: { id: prom }',
        'log: { level: warn, format: json }',
        `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
        `sinks: { jsonl: { path: ${JSON.stringify(join(dir, 'events.jsonl'))} } }`,
        `service: { metrics: { port: ${port} } }`,
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(process.execPath, [CLI, 'run', '--config', config, '--bag', join(dir, 'sim.mcap'), '--speed', '1', '--concepts', concepts], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      // Scrape until events have flowed (labelled series exist), then lint that exposition.
      let text = '';
      const deadline = Date.now() + 60_000;
      while (!/sensebind_events_total\{/.test(text) || !/sensebind_inference_seconds_count\{/.test(text)) {
        if (Date.now() > deadline) throw new Error(`no events in /metrics after 60 s: ${stderr.slice(-1000)}`);
        await new Promise((r) => setTimeout(r, 500));
        text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
      }
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${check.stdout}${check.stderr}`).toBe('');
      expect(check.status).toBe(0);
      expect(text).toContain('# TYPE sensebind_event_loop_lag_seconds summary');
      expect(text).toMatch(/sensebind_event_loop_lag_seconds_count [1-9]/);
      expect(text).not.toMatch(/^nodejs_active_\w+_total/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 120_000);
});
