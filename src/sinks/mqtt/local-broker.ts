/**
 * Starts a private Mosquitto broker on a free loopback port, for the integration tests and `bench mqtt`.
 * Not used by the agent itself. Persistence is on (in the broker's own temp folder) so a stop/start keeps
 * persistent sessions and their queued messages, the way a production broker does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { SensebindError } from '../../core/errors.js';

const MOSQUITTO_PATH = process.env.SENSEBIND_MOSQUITTO ?? '/usr/sbin/mosquitto';

export interface LocalBrokerOptions {
  /** TLS listener instead of plain TCP (PEM file paths). @default plain */
  tls?: { cafile: string; certfile: string; keyfile: string; requireCertificate?: boolean };
  /** mosquitto_passwd file: anonymous clients are refused. @default anonymous allowed */
  passwordFile?: string;
  /** Port to listen on. @default a free one */
  port?: number;
  /** Extra mosquitto.conf lines. @default none */
  extraConfig?: string[];
}

/** A free TCP port on 127.0.0.1 (bound and released; good enough for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new SensebindError('UNAVAILABLE', `mosquitto exited with code ${child.exitCode} while starting: ${stderr().trim()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new SensebindError('UNAVAILABLE', `mosquitto did not listen on port ${port} within ${timeoutMs} ms: ${stderr().trim()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export class LocalBroker {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #stderr = '';

  private constructor(port: number, dir: string) {
    this.port = port;
    this.dir = dir;
  }

  static async start(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
    if (!existsSync(MOSQUITTO_PATH)) {
      throw new SensebindError('UNAVAILABLE', `mosquitto not found at ${MOSQUITTO_PATH} (Debian: apt-get install mosquitto; or set SENSEBIND_MOSQUITTO)`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'sensebind-mosquitto-'));
    const port = options.port ?? (await freePort());
    const lines = [
      `listener ${port} 127.0.0.1`,
      ...(options.passwordFile ? ['allow_anonymous false', `password_file ${options.passwordFile}`] : ['allow_anonymous true']),
      // Run as whoever started us: as root, mosquitto would switch to user "mosquitto" and lose access to
      // the private temp folder (persistence, password file, test certificates).
      `user ${userInfo().username}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'max_queued_messages 100000',
    ];
    if (options.tls) {
      lines.push(`cafile ${options.tls.cafile}`, `certfile ${options.tls.certfile}`, `keyfile ${options.tls.keyfile}`);
      if (options.tls.requireCertificate) lines.push('require_certificate true');
    }
    lines.push(...(options.extraConfig ?? []));
    writeFileSync(join(dir, 'mosquitto.conf'), `${lines.join('\n')}\n`);
    const broker = new LocalBroker(port, dir);
    await broker.resume();
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** The broker's process id while it runs (tests freeze it with SIGSTOP). */
  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** (Re)starts the broker process on the same port with the same persistence folder. */
  async resume(): Promise<void> {
    if (this.running) return;
    this.#stderr = '';
    const child = spawn(MOSQUITTO_PATH, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-4000);
    });
    this.#child = child;
    await waitForPort(this.port, child, () => this.#stderr, 10_000);
  }

  /** Stops the broker; SIGTERM lets it save persistent sessions, SIGKILL does not. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  /** Stops the broker and removes its folder. */
  async close(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
