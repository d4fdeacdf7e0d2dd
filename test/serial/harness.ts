/** Test plumbing: the host-built simulator, a socat pseudo-terminal pair, waiting for conditions. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIRMWARE_DIR = fileURLToPath(new URL('../../firmware-bridge/firmware', import.meta.url));

/** Builds sensebind-sim into `buildDir` and returns its path. */
export function buildSimulator(buildDir: string): string {
  execFileSync('make', ['-C', FIRMWARE_DIR, 'simulator', `BUILD=${buildDir}`], { stdio: 'pipe' });
  return join(buildDir, 'sensebind-sim');
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A socat pty pair with stable link names: the "cable" between device and host. */
export async function startPtyPair(deviceLink: string, hostLink: string): Promise<ChildProcess> {
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${deviceLink}`, `pty,raw,echo=0,link=${hostLink}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  socat.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  socat.on('error', (e) => (err += String(e)));
  await waitFor(`socat links (${err})`, () => existsSync(deviceLink) && existsSync(hostLink), 5000);
  return socat;
}

export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await Promise.race([exited, sleep(3000).then(() => child.kill('SIGKILL'))]);
  await exited;
}

export interface TruthRow {
  index: number;
  deviceUs: number;
  realNs: bigint;
}

/** The simulator's --truth CSV, per kind, in index order. */
export function readTruth(path: string): Record<'imu' | 'audio' | 'depth', TruthRow[]> {
  const out: Record<'imu' | 'audio' | 'depth', TruthRow[]> = { imu: [], audio: [], depth: [] };
  for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
    const [kind, index, dev, real] = line.split(',');
    if (kind !== 'imu' && kind !== 'audio' && kind !== 'depth') continue;
    out[kind].push({ index: Number(index), deviceUs: Number(dev), realNs: BigInt(real!) });
  }
  return out;
}
