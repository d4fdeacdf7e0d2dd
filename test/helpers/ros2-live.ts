// Live ROS 2 for tests: whether this machine can run them (ROS 2 sourced, rclnodejs installed and loading),
// the environment every DDS process of a test gets (loopback only, a domain id per test file so parallel
// files and other jobs do not see each other), and child processes: `sensebind` itself and
// test/helpers/ros2-peer.mjs publishers/subscribers.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ros2EnvironmentProblem } from '../../src/ros2/environment.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'bin/sensebind.js');
const PEER = join(ROOT, 'test/helpers/ros2-peer.mjs');

const LOOPBACK_URI = '<CycloneDDS><Domain><General><Interfaces><NetworkInterface address="127.0.0.1"/></Interfaces></General></Domain></CycloneDDS>';

let checked: { available: boolean; reason: string } | undefined;

/** Whether live ROS 2 tests can run here, and if not, why (printed by the skipping test file). */
export function liveRos2(): { available: boolean; reason: string } {
  if (checked) return checked;
  const problem = ros2EnvironmentProblem();
  if (problem !== undefined) return (checked = { available: false, reason: problem });
  if (!existsSync(join(ROOT, 'node_modules/rclnodejs/package.json'))) {
    return (checked = { available: false, reason: `rclnodejs is not installed: run \`npm ci\` with ROS 2 ${process.env['ROS_DISTRO']} sourced (docs/ros2.md)` });
  }
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) return (checked = { available: false, reason: 'dist/ is not built: run `npm run build` (npm test does)' });
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('rclnodejs')"], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: ros2TestEnv(0) });
  if (probe.status !== 0) return (checked = { available: false, reason: `rclnodejs does not load: ${(probe.stderr || String(probe.error)).split('\n').find((l) => l.trim() !== '') ?? 'no output'}` });
  return (checked = { available: true, reason: '' });
}

/** A ROS domain id for one test file in one test run (0..232 valid for Cyclone DDS; 1..201 used here). */
export function domainIdFor(file: string): number {
  const h = createHash('sha256').update(file).digest().readUInt32BE(0);
  return 1 + ((h + process.pid * 7) % 200);
}

/** The environment of every DDS process of a test: loopback only, its own domain. */
export function ros2TestEnv(domainId: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ROS_DOMAIN_ID: String(domainId),
    ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST',
    CYCLONEDDS_URI: LOOPBACK_URI,
    ...extra,
  };
}

const started = new Set<ChildProcess>();

/** Kills every process a test file started that is still running (a failed assertion skips its stop). */
export function killLeftovers(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  started.clear();
}

/** A child process whose stdout is JSON lines (peer) or log lines (sensebind), collected as they come. */
export class LiveProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT) {
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    started.add(this.child);
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts.filter((l) => l.trim() !== ''));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString('utf8')));
    this.exited = new Promise((r) => this.child.once('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
  }

  /** Parsed JSON lines of stdout (lines that are not JSON are left out). */
  json<T = Record<string, unknown>>(): T[] {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as T];
      } catch {
        return [];
      }
    });
  }

  async until<T>(what: string, fn: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) while waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/** A ros2-peer.mjs process (see that file for the spec); resolves once its endpoints exist. */
export async function startPeer(spec: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<LiveProcess> {
  const p = new LiveProcess(process.execPath, [PEER, JSON.stringify(spec)], env);
  await p.until('the ROS 2 peer to start', () => (p.json().some((l) => l['ready'] === true) ? true : undefined));
  return p;
}

/** `sensebind <args>` as a child process in the test's ROS 2 environment. */
export function startSensebind(args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): LiveProcess {
  return new LiveProcess(process.execPath, [CLI, ...args], env, cwd);
}

/** A TCP port free on 127.0.0.1 now (for --metrics-port). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

/** sensebind_source_detail{source="ros2"} as key -> value, from a running node's /metrics. */
export async function ros2SourceDetail(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^sensebind_source_detail\{source="ros2",key="([^"]+)"\} (\S+)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}
