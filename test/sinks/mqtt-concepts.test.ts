// The MQTT sink's concept topics as real clients read them, against a real Mosquitto broker: retained
// commands refused also when they arrive live (Retain-As-Published), one list and one discovery per change,
// a retained state for every listed concept, a removed concept's state not brought back by its event's end,
// and Home Assistant's per-component QoS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConceptMemory } from '../../src/memory/memory.js';
import { BUILTIN_DEFAULTS, resolveConcept } from '../../src/memory/concept.js';
import { emptyState } from '../../src/memory/state.js';
import type { SenseEvent } from '../../src/core/types.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';
import { silentLogger } from '../../src/core/log.js';
import { ConceptControl } from '../../src/pipeline/control.js';
import { conceptStatePayloadSchema } from '../../src/sinks/mqtt/schemas.js';
import { Collector, until } from './mqtt-helpers/events.js';

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

/** Wired as the built agent wires it (src/pipeline/build.ts): commands and change-following through the control plane. */
function sinkFor(robot: string, memory: ConceptMemory): { sink: MqttSink; stop: () => void } {
  const control = new ConceptControl(memory, { conceptFile: '', logger: silentLogger() });
  const sink = new MqttSink({
    url: broker.url,
    robot,
    commands: control.mqttHandler(),
    concepts: () => memory.concepts(),
    homeAssistant: { discoveryPrefix: `ha_${robot}` },
  });
  return { sink, stop: control.follow(() => sink.conceptsChanged()) };
}

function event(type: SenseEvent['type'], id: string, label: string, seq: number): SenseEvent {
  return {
    v: 1,
    id: `ev-${id}`,
    type,
    robot: 'x',
    concept: { id, label },
    score: 0.8,
    peakScore: 0.9,
    modalityScores: { audio: 0.8 },
    present: ['audio'],
    missing: ['vision', 'depth', 'thermal', 'imu'],
    start: '1000',
    end: type === 'end' ? '2000' : null,
    startTime: '1970-01-01T00:00:00.000001000Z',
    endTime: type === 'end' ? '1970-01-01T00:00:00.000002000Z' : null,
    emittedAt: new Date().toISOString(),
    seq,
  };
}

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

describe('MqttSink concept topics as clients read them', () => {
  it('refuses a retained concept command that arrives live (MQTT 5 Retain-As-Published)', async () => {
    const memory = memoryWith(['glass_breaking']);
    const { sink, stop } = sinkFor('rr', memory);
    await until(() => sink.connected, 'sink connected');
    await settle(200); // the command subscription is in place
    const pub = await Collector.connect(broker.url, ['sensebind/rr/cmd/concepts/reply'], { protocolVersion: 5 });
    await pub.client.publishAsync('sensebind/rr/cmd/concepts', JSON.stringify({ op: 'remove', id: 'glass_breaking' }), { qos: 1, retain: true });
    await until(() => sink.stats().detail?.commandErrors === 1, 'retained command refused');
    expect(memory.get('glass_breaking')).toBeDefined();
    expect(sink.stats().detail?.commands).toBe(0);
    // The same command without retain runs.
    await pub.client.publishAsync('sensebind/rr/cmd/concepts', '', { qos: 1, retain: true });
    await pub.client.publishAsync('sensebind/rr/cmd/concepts', JSON.stringify({ op: 'remove', id: 'glass_breaking' }), { qos: 1 });
    await until(() => memory.get('glass_breaking') === undefined, 'live command applied');
    stop();
    await sink.close();
    await pub.close();
  });

  it('publishes the concept list and discovery once per change, whichever route made it', async () => {
    const memory = memoryWith(['glass_breaking']);
    const { sink, stop } = sinkFor('r1x', memory);
    const sub = await Collector.connect(broker.url, ['sensebind/r1x/concepts', 'sensebind/r1x/cmd/concepts/reply', 'ha_r1x/#'], { protocolVersion: 5 });
    await until(() => sink.connected, 'sink connected');
    const lists = () => sub.on('sensebind/r1x/concepts').length;
    const discoveries = () => sub.on('ha_r1x/device/sensebind_r1x/config').length;
    await sub.waitFor(() => lists() >= 1 && discoveries() >= 1, 'first list and discovery');
    await settle();
    const [l0, d0] = [lists(), discoveries()];
    expect([l0, d0]).toEqual([1, 1]);

    // An MQTT command (reply path and memory follower both see it).
    await sub.client.publishAsync('sensebind/r1x/cmd/concepts', JSON.stringify({ op: 'add', concept: { id: 'door_slam' } }), { qos: 1 });
    await sub.waitFor(() => sub.on('sensebind/r1x/cmd/concepts/reply').length === 1, 'reply');
    await settle();
    expect([lists() - l0, discoveries() - d0]).toEqual([1, 1]);

    // Another route (CLI, SIGHUP, ROS 2): the memory follower alone.
    await memory.commit((s) => ({ ...s, concepts: [...s.concepts, resolveConcept({ id: 'alarm' }, BUILTIN_DEFAULTS)] }));
    await settle();
    expect([lists() - l0, discoveries() - d0]).toEqual([2, 2]);

    // A change that leaves discovery as it was (a background concept adds no event type): list only.
    await memory.commit((s) => ({ ...s, concepts: [...s.concepts, resolveConcept({ id: 'quiet', background: true }, BUILTIN_DEFAULTS)] }));
    await settle();
    expect([lists() - l0, discoveries() - d0]).toEqual([3, 2]);
    stop();
    await sink.close();
    await sub.close();
  });

  it('gives every listed concept a retained state, also before its first event; Home Assistant components carry qos', async () => {
    const memory = memoryWith(['glass_breaking', 'dog_barking']);
    const { sink, stop } = sinkFor('ri', memory);
    await until(() => sink.connected, 'sink connected');
    await sink.write(event('start', 'dog_barking', 'dog barking', 1));
    await settle();
    const late = await Collector.connect(broker.url, ['sensebind/ri/#', 'ha_ri/#'], { protocolVersion: 5 });
    await late.waitFor(() => late.on('sensebind/ri/concepts').length === 1, 'retained list');
    const list = JSON.parse(late.on('sensebind/ri/concepts')[0]!.text) as { concepts: Array<{ id: string; stateTopic: string }> };
    await late.waitFor(() => list.concepts.every((c) => late.on(c.stateTopic).length === 1), 'a retained state per listed concept');
    const states = Object.fromEntries(list.concepts.map((c) => [c.id, conceptStatePayloadSchema.parse(JSON.parse(late.on(c.stateTopic)[0]!.text))]));
    expect(states.glass_breaking).toMatchObject({ concept: { id: 'glass_breaking', label: 'glass breaking' }, active: false, eventId: null, score: 0 });
    expect(states.dog_barking).toMatchObject({ active: true, eventId: 'ev-dog_barking' });
    expect(list.concepts.every((c) => late.on(c.stateTopic)[0]!.retain)).toBe(true);

    await late.waitFor(() => late.on('ha_ri/device/sensebind_ri/config').length === 1, 'discovery');
    const discovery = JSON.parse(late.on('ha_ri/device/sensebind_ri/config')[0]!.text) as { qos: number; cmps: Record<string, { qos?: number }> };
    expect(discovery.qos).toBe(1);
    for (const [name, component] of Object.entries(discovery.cmps)) expect(component.qos, name).toBe(1);
    stop();
    await sink.close();
    await late.close();
  });

  it('a concept removed during its event: the end does not bring its retained state back', async () => {
    const memory = memoryWith(['glass_breaking', 'dog_barking']);
    const { sink, stop } = sinkFor('rd', memory);
    const sub = await Collector.connect(broker.url, ['sensebind/rd/state/#'], { protocolVersion: 5 });
    await until(() => sink.connected, 'sink connected');
    await sink.write(event('start', 'glass_breaking', 'glass breaking', 1));
    await sub.waitFor(() => sub.on('sensebind/rd/state/glass_breaking').some((m) => m.text.includes('"active":true')), 'active state');
    await memory.commit((s) => ({ ...s, concepts: s.concepts.filter((c) => c.id !== 'glass_breaking') }));
    await sub.waitFor(() => sub.on('sensebind/rd/state/glass_breaking').at(-1)?.text === '', 'state cleared');
    // The matcher ends the removed concept's event at the next snapshot.
    await sink.write(event('end', 'glass_breaking', 'glass breaking', 2));
    await sink.flush(5000);
    await settle();
    expect(sub.on('sensebind/rd/state/glass_breaking').at(-1)?.text).toBe('');
    const late = await Collector.connect(broker.url, ['sensebind/rd/state/#'], { protocolVersion: 5 });
    await late.waitFor(() => late.on('sensebind/rd/state/dog_barking').length === 1, 'the surviving concept state');
    await settle(200);
    expect(late.on('sensebind/rd/state/glass_breaking')).toEqual([]);
    // Added again later: it gets a state again.
    await memory.commit((s) => ({ ...s, concepts: [...s.concepts, resolveConcept({ id: 'glass_breaking' }, BUILTIN_DEFAULTS)] }));
    await sub.waitFor(() => (sub.on('sensebind/rd/state/glass_breaking').at(-1)?.text ?? '') !== '', 'state back');
    stop();
    await sink.close();
    await sub.close();
    await late.close();
  });
});
