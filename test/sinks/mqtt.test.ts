// The MQTT sink against a real Mosquitto broker: documented topics and payloads, Home Assistant discovery,
// concept commands through the real concept memory, an unreachable broker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConceptMemory } from '../../src/memory/memory.js';
import { silentLogger } from '../../src/core/log.js';
import { BUILTIN_DEFAULTS, resolveConcept } from '../../src/memory/concept.js';
import { emptyState } from '../../src/memory/state.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/core/log.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import { FileOutbox } from '../../src/sinks/mqtt/file-outbox.js';
import { LocalBroker, freePort } from '../../src/sinks/mqtt/local-broker.js';
import { ConceptControl } from '../../src/pipeline/control.js';

/** The control plane every transport goes through (src/pipeline/control.ts), as the built agent wires it. */
const controlOf = (memory: ConceptMemory) => new ConceptControl(memory, { conceptFile: '', logger: silentLogger() });
import {
  commandReplyPayloadSchema,
  conceptStatePayloadSchema,
  conceptsPayloadSchema,
  eventPayloadSchema,
  haEventPayloadSchema,
  sensebindMqttJsonSchemas,
  statusPayloadSchema,
} from '../../src/sinks/mqtt/schemas.js';
import { Collector, makeEvent, until } from './mqtt-helpers/events.js';

let broker: LocalBroker;
beforeAll(async () => {
  broker = await LocalBroker.start();
});
afterAll(async () => {
  await broker?.close();
});

function memoryWith(ids: string[]): ConceptMemory {
  const state = emptyState(BUILTIN_DEFAULTS);
  return new ConceptMemory({ ...state, concepts: ids.map((id) => resolveConcept({ id }, BUILTIN_DEFAULTS)) });
}

describe('MqttSink topics and payloads', () => {
  it('publishes status, concepts, events, concept states and Home Assistant discovery as documented', async () => {
    const sub = await Collector.connect(broker.url, ['sensebind/r1/#', 'homeassistant/#'], { protocolVersion: 5 });
    const memory = memoryWith(['glass_breaking', 'robot_tipping_over', 'silence']);
    await memory.commit((s) => ({
      ...s,
      concepts: s.concepts.map((c) =>
        c.id === 'silence' ? { ...c, background: true } : c.id === 'robot_tipping_over' ? { ...c, modalities: ['vision', 'audio', 'imu'], needsOneOf: ['vision', 'imu'], bodyMotion: true } : c,
      ),
    }));
    const sink = new MqttSink({
      url: broker.url,
      robot: 'r1',
      concepts: () => memory.concepts(),
      homeAssistant: { discoveryPrefix: 'homeassistant' },
    });
    await until(() => sink.connected, 'sink connected');
    const events = [0, 1, 2].map((i) => makeEvent(i));
    for (const e of events) {
      await sink.write(e);
      await new Promise((r) => setTimeout(r, 10)); // snapshots are apart; states of one loop turn coalesce
    }
    await sink.flush(5000);
    expect(sink.stats()).toMatchObject({ written: 3, pending: 0, dropped: 0 });
    await sub.waitFor(() => sub.on('sensebind/r1/events').length === 3, 'three events');

    // Events: the SenseEvent JSON itself, QoS 1, not retained, in order.
    const got = sub.on('sensebind/r1/events');
    expect(got.map((m) => JSON.parse(m.text))).toEqual(events);
    expect(got.every((m) => m.qos === 1 && !m.retain)).toBe(true);

    // Status: online.
    expect(sub.on('sensebind/r1/status').map((m) => m.text)).toContain('online');

    // Concepts: versioned list with state topics.
    await sub.waitFor(() => sub.on('sensebind/r1/concepts').length > 0, 'concept list');
    const list = JSON.parse(sub.on('sensebind/r1/concepts').at(-1)!.text);
    expect(list).toMatchObject({ v: 1, robot: 'r1' });
    expect(list.concepts.map((c: { id: string }) => c.id)).toEqual(['glass_breaking', 'robot_tipping_over', 'silence']);
    expect(list.concepts[0]).toEqual({
      id: 'glass_breaking',
      label: 'glass breaking',
      prompts: ['glass breaking'],
      enabled: true,
      background: false,
      modalities: null,
      needsOneOf: null,
      bodyMotion: false,
      stateTopic: 'sensebind/r1/state/glass_breaking',
    });
    expect(list.concepts[1]).toMatchObject({ modalities: ['vision', 'audio', 'imu'], needsOneOf: ['vision', 'imu'], bodyMotion: true });

    // Concept state: start then end (updates do not change state), retained.
    await sub.waitFor(() => sub.on('sensebind/r1/state/glass').length === 2, 'two state changes');
    const states = sub.on('sensebind/r1/state/glass').map((m) => JSON.parse(m.text));
    expect(states.map((s) => [s.v, s.active, s.eventId])).toEqual([
      [1, true, 'run1-0'],
      [1, false, 'run1-0'],
    ]);

    // Home Assistant: device discovery with an event entity (event types = labels of non-background concepts).
    await sub.waitFor(() => sub.on('homeassistant/device/sensebind_r1/config').length > 0, 'discovery');
    const discovery = JSON.parse(sub.on('homeassistant/device/sensebind_r1/config').at(-1)!.text);
    expect(discovery.cmps.sensebind_r1_events).toMatchObject({
      p: 'event',
      unique_id: 'sensebind_r1_events',
      state_topic: 'sensebind/r1/ha/event',
      event_types: ['glass breaking', 'robot tipping over'],
    });
    expect(discovery.availability[0].topic).toBe('sensebind/r1/status');
    expect(discovery.dev.ids).toEqual(['sensebind_r1']);
    const haEvents = sub.on('sensebind/r1/ha/event');
    expect(haEvents.map((m) => JSON.parse(m.text))).toEqual([
      { event_type: 'glass breaking', event_id: 'run1-0', concept_id: 'glass', score: events[0]!.score, present: ['vision', 'audio'], missing: ['depth', 'thermal', 'imu'] },
    ]);

    // Home Assistant restarts: discovery is sent again.
    const before = sub.on('homeassistant/device/sensebind_r1/config').length;
    await sub.client.publishAsync('homeassistant/status', 'online');
    await sub.waitFor(() => sub.on('homeassistant/device/sensebind_r1/config').length > before, 'discovery re-sent');

    await sink.close();
    await sub.waitFor(() => sub.on('sensebind/r1/status').at(-1)?.text === 'stopped', 'stopped status');
    await sub.close();

    // Every payload that arrived matches its documented schema (src/sinks/mqtt/schemas.ts, docs/mqtt.md).
    const schemaOf = (topic: string) =>
      topic.endsWith('/events') ? eventPayloadSchema
      : topic.endsWith('/concepts') ? conceptsPayloadSchema
      : topic.includes('/state/') ? conceptStatePayloadSchema
      : topic.endsWith('/ha/event') ? haEventPayloadSchema
      : undefined;
    let checked = 0;
    for (const m of sub.messages) {
      if (m.topic.endsWith('/status') && m.topic.startsWith('sensebind/')) statusPayloadSchema.parse(m.text);
      else schemaOf(m.topic)?.parse(JSON.parse(m.text));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(9);

    // Retained: a late subscriber sees stopped, the concept list, the last state, discovery; never an event.
    const late = await Collector.connect(broker.url, ['sensebind/r1/#', 'homeassistant/device/#']);
    await late.waitFor(() => late.messages.length >= 4, 'retained status, concepts, state, discovery');
    await new Promise((r) => setTimeout(r, 200));
    expect(late.messages.every((m) => m.retain)).toBe(true);
    expect(late.on('sensebind/r1/status').map((m) => m.text)).toEqual(['stopped']);
    expect(late.on('sensebind/r1/concepts')).toHaveLength(1);
    expect(late.on('homeassistant/device/sensebind_r1/config')).toHaveLength(1);
    expect(late.on('sensebind/r1/events')).toEqual([]);
    expect(late.on('sensebind/r1/ha/event')).toEqual([]);
    expect(JSON.parse(late.on('sensebind/r1/state/glass')[0]!.text).active).toBe(false);
    await late.close();
  });

  it('retries an unreachable broker with backoff, says so in stats, and delivers once it appears', async () => {
    const port = await freePort();
    const sink = new MqttSink({ url: `mqtt://127.0.0.1:${port}`, robot: 'r2', reconnect: { initialMs: 50, maxMs: 200 } });
    for (let i = 0; i < 5; i++) await sink.write(makeEvent(i));
    await until(() => (sink.stats().detail?.reconnectAttempts as number) >= 2, 'two reconnect attempts');
    const stats = sink.stats();
    expect(stats).toMatchObject({ written: 5, pending: 5 });
    expect(stats.detail).toMatchObject({ connected: false });
    expect(String(stats.detail?.lastError)).toMatch(/unreachable: .*ECONNREFUSED/);
    const late = await LocalBroker.start({ port });
    try {
      const sub = await Collector.connect(late.url, ['sensebind/r2/events']);
      await sink.flush(5000); // may finish before the subscriber is there: check the ack count instead
      await until(() => sink.stats().pending === 0, 'outbox drained');
      expect(sink.stats().detail).toMatchObject({ connected: true, acked: 5 });
      await sink.close();
      await sub.close();
    } finally {
      await late.close();
    }
  });
});

describe('MqttSink outbox bounds', () => {
  it('drops the oldest events when the outbox is full during an outage, counts and logs it', async () => {
    let logText = '';
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => (logText += d.toString()));
    const logger = createLogger({ level: 'info', format: 'json', destination: stream });
    const port = await freePort();
    const outboxDir = mkdtempSync(join(tmpdir(), 'sensebind-mqtt-drop-'));
    const sizes = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => Buffer.byteLength(JSON.stringify(makeEvent(i))) + 'sensebind/r7/events'.length);
    const lastFive = sizes.slice(3).reduce((a, b) => a + b, 0);
    const sink = new MqttSink({
      url: `mqtt://127.0.0.1:${port}`,
      robot: 'r7',
      reconnect: { initialMs: 50, maxMs: 100 },
      outbox: FileOutbox.open(outboxDir, { maxBytes: lastFive, onDrop: MqttSink.dropLogger(logger) }),
      logger,
    });
    for (let i = 0; i < 8; i++) await sink.write(makeEvent(i));
    expect(sink.stats()).toMatchObject({ written: 8, pending: 5, dropped: 3 });
    expect(sink.stats().detail).toMatchObject({ droppedSize: 3 });
    const dropLines = logText.split('\n').filter((l) => l.includes('outbox dropped'));
    expect(dropLines).toHaveLength(1); // logged once, not once per event
    expect(dropLines[0]).toContain('outbox.maxBytes reached');
    await sink.close(); // clean stop while the broker is still away: the five stay in the outbox
    // The newest five survive and are delivered, in order, by the next run once a broker is there.
    const late = await LocalBroker.start({ port });
    try {
      const sub = await Collector.connect(late.url, ['sensebind/r7/events']);
      const next = new MqttSink({ url: late.url, robot: 'r7', outbox: FileOutbox.open(outboxDir, { maxBytes: lastFive }) });
      await until(() => next.stats().pending === 0, 'drained');
      await sub.waitFor(() => sub.on('sensebind/r7/events').length === 5, 'the five kept events');
      expect(sub.on('sensebind/r7/events').map((m) => JSON.parse(m.text).seq)).toEqual([3, 4, 5, 6, 7]);
      await next.close();
      await sub.close();
    } finally {
      await late.close();
      rmSync(outboxDir, { recursive: true, force: true });
    }
  });
});

describe('MqttSink concept commands (real concept memory)', () => {
  it('applies commands with replies (v5 response topic, v3.1.1 replyTo, default topic); bad commands change nothing', async () => {
    const memory = memoryWith(['glass_breaking']);
    const sink = new MqttSink({
      url: broker.url,
      robot: 'r3',
      commands: controlOf(memory).mqttHandler(),
      concepts: () => memory.concepts(),
    });
    await until(() => sink.connected, 'sink connected');
    const v5 = await Collector.connect(broker.url, ['reply/v5', 'sensebind/r3/concepts'], { protocolVersion: 5 });
    const v3 = await Collector.connect(broker.url, ['reply/v3', 'sensebind/r3/cmd/concepts/reply'], { protocolVersion: 4 });
    await new Promise((r) => setTimeout(r, 100)); // subscriptions settle before the first command

    let n = 0;
    async function v5Request(body: unknown): Promise<{ reply: Record<string, unknown>; correlation: string }> {
      const correlation = `c-${++n}`;
      const count = v5.on('reply/v5').length;
      await v5.client.publishAsync('sensebind/r3/cmd/concepts', typeof body === 'string' ? body : JSON.stringify(body), {
        qos: 1,
        properties: { responseTopic: 'reply/v5', correlationData: Buffer.from(correlation) },
      });
      await v5.waitFor(() => v5.on('reply/v5').length > count, `reply to ${JSON.stringify(body)}`);
      const m = v5.on('reply/v5').at(-1)!;
      commandReplyPayloadSchema.parse(JSON.parse(m.text));
      return { reply: JSON.parse(m.text), correlation: Buffer.from(m.props?.correlationData as Buffer).toString() };
    }

    // add
    const add = await v5Request({ op: 'add', concept: { id: 'door_slam', label: 'door slam', prompts: ['a door slamming'] } });
    expect(add.correlation).toBe('c-1');
    expect(add.reply).toMatchObject({ v: 1, ok: true, op: 'add', result: { ok: true, id: 'door_slam', concept: { label: 'door slam' } } });
    expect(memory.get('door_slam')?.prompts).toEqual(['a door slamming']);
    await v5.waitFor(() => v5.on('sensebind/r3/concepts').some((m) => m.text.includes('door_slam')), 'concept list republished');

    // update
    const update = await v5Request({ op: 'update', id: 'door_slam', patch: { thresholds: { on: 0.7, off: 0.4 } } });
    expect(update.reply).toMatchObject({ ok: true, op: 'update' });
    expect(memory.get('door_slam')?.thresholds).toEqual({ on: 0.7, off: 0.4 });

    // teach (explicit exemplar embeddings; live teaching needs the running agent's snapshots)
    const teach = await v5Request({ op: 'teach', id: 'door_slam', embeddings: { audio: [[0.6, 0.8, 0]] } });
    expect(teach.reply).toMatchObject({ ok: true, op: 'teach', result: { taught: { audio: 1 } } });
    expect(memory.exemplars('door_slam').audio?.length).toBe(1);

    // list over v3.1.1 with replyTo + correlationId in the body
    await v3.client.publishAsync('sensebind/r3/cmd/concepts', JSON.stringify({ op: 'list', replyTo: 'reply/v3', correlationId: 'abc' }), { qos: 1 });
    await v3.waitFor(() => v3.on('reply/v3').length === 1, 'v3 reply');
    const listReply = JSON.parse(v3.on('reply/v3')[0]!.text);
    expect(listReply).toMatchObject({ v: 1, ok: true, op: 'list', correlationId: 'abc' });
    expect(listReply.result.concepts.map((c: { id: string }) => c.id)).toEqual(['glass_breaking', 'door_slam']);

    // remove, with no reply topic at all: the default reply topic
    await v3.client.publishAsync('sensebind/r3/cmd/concepts', JSON.stringify({ op: 'remove', id: 'door_slam' }), { qos: 1 });
    await v3.waitFor(() => v3.on('sensebind/r3/cmd/concepts/reply').length === 1, 'default-topic reply');
    expect(JSON.parse(v3.on('sensebind/r3/cmd/concepts/reply')[0]!.text)).toMatchObject({ ok: true, op: 'remove' });
    expect(memory.get('door_slam')).toBeUndefined();

    // Bad commands: each gets an error naming the problem, and the memory does not change.
    const version = memory.version;
    const before = JSON.stringify(memory.concepts());
    const bad: [unknown, RegExp][] = [
      ['{not json', /not JSON/],
      [[1, 2], /JSON object/],
      [{ op: 'explode' }, /invalid command.*op/i],
      [{ op: 'add', concept: { id: 'has space' } }, /concept\.id/],
      [{ op: 'add', concept: { id: 'glass_breaking' } }, /exists/],
      [{ op: 'update', id: 'nope', patch: { label: 'x' } }, /no concept "nope"/],
      [{ op: 'update', id: 'glass_breaking', patch: { thresholds: { on: 0.2, off: 0.5 } } }, /off must be below/],
      [{ op: 'remove', id: 'nope' }, /no concept "nope"/],
      [{ op: 'teach', id: 'glass_breaking', embeddings: { audio: [[0, 0, 0]] } }, /zero or non-finite/],
      [{ op: 'list', replyTo: 'bad/+/topic' }, /replyTo/],
    ];
    for (const [body, problem] of bad) {
      if (typeof body === 'object' && body !== null && 'replyTo' in body) {
        // A bad reply topic: the error goes to the default reply topic.
        const count = v3.on('sensebind/r3/cmd/concepts/reply').length;
        await v3.client.publishAsync('sensebind/r3/cmd/concepts', JSON.stringify(body), { qos: 1 });
        await v3.waitFor(() => v3.on('sensebind/r3/cmd/concepts/reply').length > count, 'error reply');
        const reply = JSON.parse(v3.on('sensebind/r3/cmd/concepts/reply').at(-1)!.text);
        expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
        expect(reply.error.message).toMatch(problem);
        continue;
      }
      const { reply } = await v5Request(body);
      expect(reply.ok, JSON.stringify(body)).toBe(false);
      expect((reply.error as { message: string }).message, JSON.stringify(body)).toMatch(problem);
    }
    expect(memory.version).toBe(version);
    expect(JSON.stringify(memory.concepts())).toBe(before);
    expect(sink.stats().detail).toMatchObject({ commands: 5 + bad.length, commandErrors: bad.length });

    // A change by another route (file reload, CLI) reaches the retained list too.
    const unfollow = controlOf(memory).follow(() => sink.conceptsChanged());
    await memory.commit((s) => ({ ...s, concepts: [...s.concepts, resolveConcept({ id: 'from_file' }, BUILTIN_DEFAULTS)] }));
    await v5.waitFor(() => v5.on('sensebind/r3/concepts').at(-1)?.text.includes('from_file') === true, 'list after a direct memory change');
    unfollow();

    // A retained command must not run again whenever sensebind (re)subscribes.
    await sink.close();
    await v3.client.publishAsync('sensebind/r3/cmd/concepts', JSON.stringify({ op: 'remove', id: 'glass_breaking' }), { qos: 1, retain: true });
    const again = new MqttSink({ url: broker.url, robot: 'r3', commands: controlOf(memory).mqttHandler() });
    await until(() => again.stats().detail?.commandErrors === 1, 'retained command refused');
    expect(memory.get('glass_breaking')).toBeDefined();
    await v3.client.publishAsync('sensebind/r3/cmd/concepts', '', { qos: 1, retain: true }); // clear it
    await new Promise((r) => setTimeout(r, 100));
    expect(again.stats().detail).toMatchObject({ commands: 0, commandErrors: 1 });
    await again.close();

    await v5.close();
    await v3.close();
  });
});

describe('payload schemas', () => {
  it('are published as JSON Schema for non-TypeScript consumers', () => {
    const schemas = sensebindMqttJsonSchemas() as Record<string, { type?: string; required?: string[]; enum?: string[] }>;
    expect(Object.keys(schemas)).toEqual(['event', 'status', 'concepts', 'conceptState', 'haEvent', 'commandRequest', 'commandReply']);
    expect(schemas.event?.required).toEqual(expect.arrayContaining(['v', 'id', 'type', 'seq', 'concept', 'score']));
    expect(schemas.status?.enum).toEqual(['online', 'offline', 'stopped']);
    expect(() => eventPayloadSchema.parse({ ...makeEvent(0), v: 2 })).toThrow();
  });

  it('match docs/mqtt-schemas.json (regenerate: see docs/mqtt.md, "Payloads")', () => {
    const committed = JSON.parse(readFileSync(join(process.cwd(), 'docs/mqtt-schemas.json'), 'utf8'));
    expect(committed).toEqual(sensebindMqttJsonSchemas());
  });
});

describe('MqttSink with a plain mqtt.js v3.1.1 consumer', () => {
  it('works with an MQTT v3.1.1 sink connection too', async () => {
    const sub = await Collector.connect(broker.url, ['sensebind/r4/events'], { protocolVersion: 4 });
    const sink = new MqttSink({ url: broker.url, robot: 'r4', protocolVersion: 4 });
    await sink.write(makeEvent(0));
    await sub.waitFor(() => sub.on('sensebind/r4/events').length === 1, 'event');
    expect(JSON.parse(sub.on('sensebind/r4/events')[0]!.text)).toEqual(makeEvent(0));
    await sink.close();
    await sub.close();
  });

  it('publishes events at QoS 2 when configured (an event leaves the outbox on PUBCOMP)', async () => {
    const sub = await Collector.connect(broker.url, ['sensebind/r8/events'], { protocolVersion: 5 });
    const sink = new MqttSink({ url: broker.url, robot: 'r8', qos: 2 });
    for (let i = 0; i < 5; i++) await sink.write(makeEvent(i));
    await until(() => sink.stats().pending === 0 && sub.on('sensebind/r8/events').length === 5, 'five events at QoS 2');
    expect(sub.on('sensebind/r8/events').map((m) => JSON.parse(m.text).seq)).toEqual([0, 1, 2, 3, 4]);
    expect(sink.stats().detail).toMatchObject({ acked: 5 });
    await sink.close();
    await sub.close();
  });
});
