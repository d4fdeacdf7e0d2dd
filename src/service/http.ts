/**
 * The operator's window into a running agent: GET /metrics (Prometheus text), /healthz (liveness: the event
 * loop answers) and /readyz (readiness: models loaded, sources connected; 503 with the reasons otherwise).
 * Plain node:http, no framework: three routes do not justify a dependency on a robot. Bound to loopback by
 * default; the service section's port 0 means no server at all.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SensebindError, errorMessage } from '../core/errors.js';

export interface Readiness {
  ready: boolean;
  /** Per check, e.g. { model: true, 'source:bag': false }. */
  checks: Record<string, boolean>;
}

export interface HealthServerOptions {
  host: string;
  /** 0 asks the OS for a free port (tests); the bound port is returned by start(). */
  port: number;
  metrics(): Promise<string>;
  metricsContentType: string;
  readiness(): Readiness;
  /** Liveness beyond "the loop answers", e.g. the agent has not died. @default () => true */
  alive?: () => boolean;
}

export class HealthServer {
  #server: Server | undefined;
  readonly #options: HealthServerOptions;

  constructor(options: HealthServerOptions) {
    this.#options = options;
  }

  /** Listens; resolves with the bound port. Throws SensebindError('IO') naming host:port when it cannot bind. */
  async start(): Promise<number> {
    const { host, port } = this.#options;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`error: ${errorMessage(err)}\n`);
      });
    });
    // A scraper that keeps connections open must not hold the process at stop.
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new SensebindError('IO', `cannot serve metrics on ${host}:${port}: ${errorMessage(err)} (service.metrics.port)`)),
      );
      server.listen(port, host, () => resolve());
    });
    this.#server = server;
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (path) {
      case '/metrics': {
        const body = await this.#options.metrics();
        res.writeHead(200, { 'content-type': this.#options.metricsContentType }).end(body);
        return;
      }
      case '/healthz': {
        const alive = this.#options.alive?.() ?? true;
        res.writeHead(alive ? 200 : 503, { 'content-type': 'text/plain' }).end(alive ? 'ok\n' : 'dead\n');
        return;
      }
      case '/readyz': {
        const r = this.#options.readiness();
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(r)}\n`);
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz, /readyz\n');
    }
  }
}
