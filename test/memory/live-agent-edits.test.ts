/**
 * A running agent and the CLI editing one state file: `sensebind run` (child process, a simulated bag in
 * real time, match.stateFile set, a real Mosquitto for concept commands), `sensebind concepts add` from
 * another process while it runs, an MQTT `add` applied by the agent, then SIGHUP (which commits the
 * concept file's definitions) and SIGTERM. Every acknowledged edit must survive all of it, and the running
 * agent must take up the CLI's. Needs `npm run build` first (`npm test` does it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadState } from '../../src/memory/persist.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'bin/sensebind.js');
const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const CONCEPTS = join(ROOT, 'test/service/fixtures/concepts-eager.yaml');

let dir: string;
let bag: string;
let broker: LocalBroker;
beforeAll(async () => {
  broker = await LocalBroker.start();
  if (!existsSync(join(ROOT, 'dist/cli/commands/run.js'))) throw new Error('run `npm run build` first (npm test does)');
  dir = await mkdtemp(join(tmpdir(), 'sensebind-live-edits-'));
  bag = join(dir, 'sim.mcap');
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', '5', '--duration', '40', '--width', '96', '--height', '72', '--out', bag, '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  expect(sim.status, sim.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await broker?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(what: string, fn: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => done({ code, stderr }));
  });
}

describe('a live agent and the CLI on one state file', () => {
  it('an edit made with `concepts add` while `run` is live survives SIGHUP and shutdown, and reaches the agent', async () => {
    const state = join(dir, 'memory.sbm');
    const concepts = join(dir, 'concepts.yaml');
    await copyFile(CONCEPTS, concepts);
    const config = join(dir, 'sensebind.yaml');
    await writeFile(
      config,
      [
        'robot: { id: live }',
        'log: { level: info, format: json }',
        `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
        `match: { stateFile: ${JSON.stringify(state)} }`,
        `sinks: { jsonl: { path: ${JSON.stringify(join(dir, 'events.jsonl'))} } }`,
        `mqtt: { url: ${JSON.stringify(broker.url)}, outbox: { dir: ${JSON.stringify(join(dir, 'outbox'))} } }`,
        '',
      ].join('\n'),
    );
    const child: ChildProcess = spawn(process.execPath, [CLI, 'run', '--config', config, '--bag', bag, '--speed', '1', '--concepts', concepts], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until('the agent to start', () => log.includes('"msg":"agent built"'));
      expect(existsSync(state)).toBe(true);

      const added = await runCli(['--config', config, 'concepts', 'add', 'added_live', '--prompt', 'a door opening', '--concepts', concepts]);
      expect(added.code, added.stderr).toBe(0);
      // The agent polls the file (2 s) and applies the other process's save.
      await until('the agent to take up the CLI edit', () => log.includes('another process saved the state file'), 15_000);

      // An edit the agent itself makes (an MQTT command) lands on top of the CLI's, not over it.
      const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
      await client.subscribeAsync('sensebind/live/cmd/concepts/reply', { qos: 1 });
      const reply = new Promise<string>((r) => client.once('message', (_t, p) => r(p.toString())));
      await client.publishAsync('sensebind/live/cmd/concepts', JSON.stringify({ op: 'add', concept: { id: 'added_mqtt', prompts: ['a window breaking'] } }), { qos: 1 });
      expect(JSON.parse(await reply)).toMatchObject({ ok: true, op: 'add' });
      await client.endAsync();
      expect((await loadState(state))!.state.concepts.map((c) => c.id)).toEqual(expect.arrayContaining(['added_live', 'added_mqtt']));

      child.kill('SIGHUP');
      await until('the reload', () => /SIGHUP: reloaded|SIGHUP: reload failed/.test(log), 30_000);
      expect(log).toMatch(/3 concepts from [^"]*concepts\.yaml, 2 added at run time kept/);
      expect((await loadState(state))!.state.concepts.map((c) => c.id)).toEqual(expect.arrayContaining(['added_live', 'added_mqtt']));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, log.slice(-2000)).toBe(0);
    const final = (await loadState(state))!.state;
    expect(final.concepts.map((c) => c.id).sort()).toEqual(['added_live', 'added_mqtt', 'dog_barking', 'nothing_happening', 'person_approaching']);
    expect(final.prototypes?.byConcept.has('added_live')).toBe(true);
    expect(final.prototypes?.byConcept.has('added_mqtt')).toBe(true);
  }, 180_000);
});
