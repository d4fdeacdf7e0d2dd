/**
 * Turns the `mqtt` config section into MqttSink options: reads TLS files and credentials (refusing to
 * start when a named file is missing, so a typo is found at startup, not at the first reconnect), opens
 * the persistent outbox. Returns undefined when MQTT is off (no url).
 * Secrets: read here, passed to the client, never logged; errors name the file or variable, not the value.
 */
import { readFile } from 'node:fs/promises';
import type { MqttConfig } from '../../config/mqtt.js';
import { SensebindError, errorMessage } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { Concept } from '../../core/types.js';
import { MqttSink, type MqttSinkOptions, type MqttTlsMaterial } from '../mqtt.js';
import type { ConceptCommandHandler } from './commands.js';
import { FileOutbox } from './file-outbox.js';

export interface MqttSinkDeps {
  logger: Logger;
  /** Concept command handler (the concept memory's); commands are off without one. */
  commands?: ConceptCommandHandler;
  /** Current concepts, for the retained list and Home Assistant event types. */
  concepts?: () => Promise<readonly Concept[]> | readonly Concept[];
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Broker acknowledged an event `seconds` after the outbox took it (delivery-latency metric). */
  onDelivered?: (seconds: number) => void;
}

async function readNamedFile(key: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : errorMessage(err);
    throw new SensebindError('CONFIG', `${key}: cannot read "${path}": ${why}`);
  }
}

/** Resolves TLS material and credentials; throws SensebindError('CONFIG') naming the key at fault. */
async function resolveMqttSecrets(
  config: MqttConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Pick<MqttSinkOptions, 'tls' | 'username' | 'password'>> {
  const { tls, auth } = config;
  if ((tls.cert === '') !== (tls.key === '')) {
    throw new SensebindError('CONFIG', `mqtt.tls: cert and key go together, got ${tls.cert === '' ? 'key without cert' : 'cert without key'}`);
  }
  const material: MqttTlsMaterial = { rejectUnauthorized: tls.rejectUnauthorized };
  if (tls.ca !== '') material.ca = await readNamedFile('mqtt.tls.ca', tls.ca);
  if (tls.cert !== '') material.cert = await readNamedFile('mqtt.tls.cert', tls.cert);
  if (tls.key !== '') material.key = await readNamedFile('mqtt.tls.key', tls.key);
  const usesTls = tls.ca !== '' || tls.cert !== '' || /^(mqtts|wss|ssl|tls):/.test(config.url);
  if (usesTls && !/^(mqtts|wss|ssl|tls):/.test(config.url)) {
    throw new SensebindError('CONFIG', `mqtt.url: TLS files are set but the URL "${config.url.replace(/\/\/[^@/]*@/, '//***@')}" is not mqtts:// or wss://`);
  }
  const username = auth.username !== '' ? auth.username : auth.usernameEnv !== '' ? env[auth.usernameEnv] : undefined;
  let password = auth.passwordEnv !== '' ? env[auth.passwordEnv] : undefined;
  if ((password === undefined || password === '') && auth.passwordFile !== '') {
    password = (await readNamedFile('mqtt.auth.passwordFile', auth.passwordFile)).toString('utf8').split(/\r?\n/)[0];
  }
  return {
    ...(usesTls ? { tls: material } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** Builds the sink from config, or returns undefined when `mqtt.url` is empty (MQTT off). */
export async function createMqttSinkFromConfig(config: MqttConfig, robot: string, deps: MqttSinkDeps): Promise<MqttSink | undefined> {
  if (config.url === '') return undefined;
  const secrets = await resolveMqttSecrets(config, deps.env);
  const logger = deps.logger.child({ sink: 'mqtt' });
  const outbox = FileOutbox.open(config.outbox.dir, {
    maxBytes: config.outbox.maxBytes,
    maxAgeMs: config.outbox.maxAgeSeconds * 1000,
    fsync: config.outbox.fsync,
    onDrop: MqttSink.dropLogger(logger),
  });
  return new MqttSink({
    url: config.url,
    robot,
    prefix: config.prefix,
    clientId: config.clientId !== '' ? config.clientId : `sensebind-${robot}`,
    protocolVersion: config.protocolVersion,
    qos: config.qos,
    keepaliveSeconds: config.keepaliveSeconds,
    inflight: config.inflight,
    reconnect: { initialMs: config.reconnect.initialMs, maxMs: config.reconnect.maxMs },
    ...secrets,
    outbox,
    ...(config.commands && deps.commands ? { commands: deps.commands } : {}),
    ...(deps.concepts ? { concepts: deps.concepts } : {}),
    ...(config.homeAssistant.enabled ? { homeAssistant: { discoveryPrefix: config.homeAssistant.discoveryPrefix } } : {}),
    logger: deps.logger,
    ...(deps.onDelivered ? { onDelivered: deps.onDelivered } : {}),
  });
}
