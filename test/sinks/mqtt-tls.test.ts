// Security against a real Mosquitto: TLS with a test CA made here with openssl (mutual TLS), a wrong CA
// failing clearly, missing TLS files refused at startup, username/password from env or file, never logged.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqttSchema } from '../../src/config/mqtt.js';
import { createLogger } from '../../src/core/log.js';
import { createMqttSinkFromConfig } from '../../src/sinks/mqtt/from-config.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';
import type { MqttSink } from '../../src/sinks/mqtt.js';
import { Collector, makeEvent, until } from './mqtt-helpers/events.js';

let dir: string;
const pem = (name: string): string => join(dir, name);

function openssl(...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('the TLS tests make their CA with the openssl CLI: install it (Debian package "openssl")');
    throw err;
  }
}

/** A CA, a server certificate for 127.0.0.1 signed by it, a client certificate, and an unrelated CA. */
function makePki(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=sensebind test CA');
  openssl('req', '-x509', ...ec, '-keyout', 'wrong-ca.key', '-out', 'wrong-ca.crt', '-days', '2', '-subj', '/CN=some other CA');
  writeFileSync(pem('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
  openssl('req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=sensebind-robot');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
}

function logCapture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const stream = new PassThrough();
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { logger: createLogger({ level: 'debug', format: 'json', destination: stream }), text: () => text };
}

const sinks: MqttSink[] = [];
let tlsBroker: LocalBroker;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sensebind-tls-'));
  makePki();
  tlsBroker = await LocalBroker.start({ tls: { cafile: pem('ca.crt'), certfile: pem('server.crt'), keyfile: pem('server.key'), requireCertificate: true } });
});
afterAll(async () => {
  for (const sink of sinks) await sink.close(500);
  await tlsBroker?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function sinkFromConfig(input: unknown, robot: string, env: NodeJS.ProcessEnv = {}, logger = logCapture().logger): Promise<MqttSink> {
  const config = mqttSchema.parse(input);
  const sink = await createMqttSinkFromConfig(config, robot, { logger, env });
  if (!sink) throw new Error('expected a sink');
  sinks.push(sink);
  return sink;
}

describe('MQTT over TLS', () => {
  it('connects with a test CA and a client certificate, and delivers', async () => {
    const url = `mqtts://127.0.0.1:${tlsBroker.port}`;
    const sub = await Collector.connect(url, ['sensebind/tls1/events'], {
      ca: [readPem('ca.crt')],
      cert: readPem('client.crt'),
      key: readPem('client.key'),
    });
    const sink = await sinkFromConfig(
      { url, tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') }, outbox: { dir: join(dir, 'outbox-tls1') } },
      'tls1',
    );
    await sink.write(makeEvent(0));
    await sub.waitFor(() => sub.on('sensebind/tls1/events').length === 1, 'event over TLS');
    expect(JSON.parse(sub.on('sensebind/tls1/events')[0]!.text)).toEqual(makeEvent(0));
    await sub.close();
  });

  it('fails clearly with the wrong CA, keeps the event, and keeps retrying', async () => {
    const url = `mqtts://127.0.0.1:${tlsBroker.port}`;
    const sink = await sinkFromConfig(
      {
        url,
        tls: { ca: pem('wrong-ca.crt'), cert: pem('client.crt'), key: pem('client.key') },
        reconnect: { initialMs: 50, maxMs: 100 },
        outbox: { dir: join(dir, 'outbox-tls2') },
      },
      'tls2',
    );
    await sink.write(makeEvent(0));
    await until(() => (sink.stats().detail?.reconnectAttempts as number) >= 1, 'a retry');
    const stats = sink.stats();
    expect(stats.detail?.connected).toBe(false);
    expect(stats.pending).toBe(1);
    expect(String(stats.detail?.lastError)).toMatch(/^TLS handshake with mqtts:\/\/127\.0\.0\.1:\d+ failed: .*(self.signed|unable to verify|certificate).*check mqtt\.tls\.ca/);
  });

  it('refuses to start when a TLS file is missing or cert comes without key', async () => {
    const base = { url: `mqtts://127.0.0.1:${tlsBroker.port}`, outbox: { dir: join(dir, 'outbox-tls3') } };
    await expect(sinkFromConfig({ ...base, tls: { ca: pem('nope.crt') } }, 'tls3')).rejects.toThrow(/mqtt\.tls\.ca: cannot read ".*nope\.crt": no such file/);
    await expect(sinkFromConfig({ ...base, tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('missing.key') } }, 'tls3')).rejects.toThrow(
      /mqtt\.tls\.key: cannot read/,
    );
    await expect(sinkFromConfig({ ...base, tls: { cert: pem('client.crt') } }, 'tls3')).rejects.toThrow(/cert and key go together/);
    await expect(sinkFromConfig({ url: `mqtt://127.0.0.1:1`, tls: { ca: pem('ca.crt') } }, 'tls3')).rejects.toThrow(/not mqtts/);
  });
});

describe('MQTT credentials', () => {
  let authBroker: LocalBroker;
  beforeAll(async () => {
    execFileSync('mosquitto_passwd', ['-b', '-c', pem('passwd'), 'robot', 's3cret-Pa55'], { stdio: 'ignore' });
    authBroker = await LocalBroker.start({ passwordFile: pem('passwd') });
  });
  afterAll(async () => {
    await authBroker?.close();
  });

  it('takes the user from config and the password from an environment variable or a file, never logging it', async () => {
    const sub = await Collector.connect(authBroker.url, ['sensebind/+/events'], { username: 'robot', password: 's3cret-Pa55' });
    const fromEnv = logCapture();
    await sinkFromConfig(
      { url: authBroker.url, auth: { username: 'robot', passwordEnv: 'ROBOT_PW' }, outbox: { dir: join(dir, 'outbox-auth1') } },
      'auth1',
      { ROBOT_PW: 's3cret-Pa55' },
      fromEnv.logger,
    ).then((s) => s.write(makeEvent(0)));
    writeFileSync(pem('pw.txt'), 's3cret-Pa55\n');
    const fromFile = logCapture();
    await sinkFromConfig(
      { url: authBroker.url, auth: { usernameEnv: 'ROBOT_USER', passwordFile: pem('pw.txt') }, outbox: { dir: join(dir, 'outbox-auth2') } },
      'auth2',
      { ROBOT_USER: 'robot' },
      fromFile.logger,
    ).then((s) => s.write(makeEvent(1)));
    await sub.waitFor(() => sub.on('sensebind/auth1/events').length === 1 && sub.on('sensebind/auth2/events').length === 1, 'both events');
    await sub.close();
    for (const log of [fromEnv.text(), fromFile.text()]) {
      expect(log).toContain('mqtt connected');
      expect(log).not.toContain('s3cret');
    }
  });

  it('reports a wrong password and never logs credentials given in the URL', async () => {
    const log = logCapture();
    const sink = await sinkFromConfig(
      { url: `mqtt://robot:wrong-Pa55@127.0.0.1:${authBroker.port}`, reconnect: { initialMs: 50, maxMs: 100 }, outbox: { dir: join(dir, 'outbox-auth3') } },
      'auth3',
      {},
      log.logger,
    );
    await until(() => /Not authorized|Bad User Name or Password/i.test(String(sink.stats().detail?.lastError)), 'authorization error');
    expect(sink.stats().detail?.connected).toBe(false);
    expect(log.text()).toContain('mqtt://***@127.0.0.1');
    expect(log.text()).not.toContain('wrong-Pa55');
  });
});

function readPem(name: string): Buffer {
  return readFileSync(pem(name));
}
