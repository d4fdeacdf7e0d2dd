/**
 * The `mqtt` config section (issue 9). MQTT is off until `url` is set, so sensebind runs without a broker.
 * Secrets never appear here as values: the password comes from an environment variable or a file, named
 * by these keys, so a config file can be shared or printed (`sensebind config print`) safely.
 * Reference: docs/config.md ("mqtt"); payloads and topics: docs/mqtt.md.
 */
import { z } from 'zod';

const topicLevels = z
  .string()
  .min(1)
  .regex(/^[^#+/\s]+(\/[^#+/\s]+)*$/, 'one or more topic levels separated by "/", without "+", "#", spaces or empty levels');

const mqttTlsSchema = z
  .strictObject({
    /** PEM file of the CA that signed the broker's certificate; empty = the system trust store. */
    ca: z.string().default(''),
    /** PEM client certificate for mutual TLS; empty = none. Needs `key`. */
    cert: z.string().default(''),
    /** PEM private key of the client certificate; empty = none. */
    key: z.string().default(''),
    /** Verify the broker's certificate and host name. Turn off only for a lab broker. */
    rejectUnauthorized: z.boolean().default(true),
  })
  .prefault({});

const mqttAuthSchema = z
  .strictObject({
    /** User name (not a secret); empty = take it from `usernameEnv`, or none. */
    username: z.string().default(''),
    /** Environment variable holding the user name when `username` is empty. */
    usernameEnv: z.string().default('SENSEBIND_MQTT_USERNAME'),
    /** Environment variable holding the password (checked first). */
    passwordEnv: z.string().default('SENSEBIND_MQTT_PASSWORD'),
    /** File holding the password (first line; e.g. a systemd credential or Docker secret); empty = none. */
    passwordFile: z.string().default(''),
  })
  .prefault({});

const mqttOutboxSchema = z
  .strictObject({
    /** Folder of the on-disk outbox (events wait here until the broker acknowledges them). */
    dir: z.string().min(1).default('.sensebind/mqtt-outbox'),
    /** Most bytes of pending events kept; beyond it the oldest are dropped (counted and logged). */
    maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
    /** Pending events older than this many seconds are dropped (counted and logged). Default: 7 days. */
    maxAgeSeconds: z.number().positive().default(7 * 24 * 3600),
    /** fsync after every event: survives power loss, not only a crash; costs a disk flush per event. */
    fsync: z.boolean().default(false),
  })
  .prefault({});

const mqttReconnectSchema = z
  .strictObject({
    /** First retry delay after a lost or refused connection, in milliseconds. */
    initialMs: z.number().int().positive().default(500),
    /** Longest delay between retries (capped exponential backoff with jitter), in milliseconds. */
    maxMs: z.number().int().positive().default(30_000),
  })
  .prefault({});

const mqttHomeAssistantSchema = z
  .strictObject({
    /** Publish Home Assistant MQTT discovery (an event entity per robot, availability). */
    enabled: z.boolean().default(false),
    /** Home Assistant's discovery prefix (its birth topic is `<prefix>/status`). */
    discoveryPrefix: topicLevels.default('homeassistant'),
  })
  .prefault({});

export const mqttSchema = z
  .strictObject({
    /** Broker URL: mqtt://host:1883, mqtts://host:8883, ws:// or wss://; empty = MQTT off. */
    url: z.string().default(''),
    /** First topic levels; topics are `<prefix>/<robot.id>/events` etc. */
    prefix: topicLevels.default('sensebind'),
    /** MQTT client id; empty = `sensebind-<robot.id>`. */
    clientId: z.string().default(''),
    /** 5 = MQTT v5 (response topic + correlation data on commands); 4 = v3.1.1 for old brokers. */
    protocolVersion: z.union([z.literal(5), z.literal(4)]).default(5),
    /** QoS of events; the outbox removes an event when the broker acknowledges it (1: PUBACK, 2: PUBCOMP). */
    qos: z.union([z.literal(1), z.literal(2)]).default(1),
    /** Keep-alive interval in seconds (the broker publishes the Last Will after 1.5x this of silence). */
    keepaliveSeconds: z.number().int().min(0).default(30),
    /** Events published but not yet acknowledged at most (throughput vs. memory). */
    inflight: z.number().int().positive().default(100),
    /** Retry timing when the broker is unreachable. */
    reconnect: mqttReconnectSchema,
    tls: mqttTlsSchema,
    auth: mqttAuthSchema,
    outbox: mqttOutboxSchema,
    /** Accept concept commands on `<prefix>/<robot>/cmd/concepts`. */
    commands: z.boolean().default(true),
    homeAssistant: mqttHomeAssistantSchema,
  })
  .prefault({});

export type MqttConfig = z.infer<typeof mqttSchema>;
