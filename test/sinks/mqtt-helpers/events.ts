// Events and subscribers for the MQTT integration tests.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { SenseEvent } from '../../../src/core/types.js';
import { nsToIso } from '../../../src/core/clock.js';

const PHASES = ['start', 'update', 'end'] as const;

/** The i-th event of a run: concept cycles through three, phases start/update/end. */
export function makeEvent(i: number, run = 'run1'): SenseEvent {
  const concept = ['glass', 'tipping', 'person'][Math.floor(i / 3) % 3]!;
  const type = PHASES[i % 3]!;
  return {
    v: 1,
    id: `${run}-${Math.floor(i / 3)}`,
    type,
    robot: 'r1',
    concept: { id: concept, label: { glass: 'glass breaking', tipping: 'robot tipping over', person: 'person approaching' }[concept]! },
    score: 0.5 + (i % 7) / 20,
    peakScore: 0.9,
    modalityScores: { vision: 0.7, audio: 0.6 },
    present: ['vision', 'audio'],
    missing: ['depth', 'thermal', 'imu'],
    start: String(1_000_000_000n * BigInt(i)),
    end: type === 'end' ? String(1_000_000_000n * BigInt(i) + 500n) : null,
    startTime: nsToIso(1_000_000_000n * BigInt(i)),
    endTime: type === 'end' ? nsToIso(1_000_000_000n * BigInt(i) + 500n) : null,
    emittedAt: new Date(1_700_000_000_000 + i).toISOString(),
    seq: i,
  };
}

export interface Received {
  topic: string;
  text: string;
  retain: boolean;
  qos: number;
  props: Record<string, unknown> | undefined;
}

/** A subscriber that records everything it receives. */
export class Collector {
  readonly messages: Received[] = [];
  readonly client: MqttClient;

  private constructor(client: MqttClient) {
    this.client = client;
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, text: payload.toString(), retain: packet.retain, qos: packet.qos, props: packet.properties as Record<string, unknown> | undefined });
    });
  }

  static async connect(url: string, topics: string[], options: IClientOptions = {}): Promise<Collector> {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 100, connectTimeout: 5000, ...options });
    const collector = new Collector(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return collector;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  /** Events on a topic, first occurrence of each (id, seq) kept: how a subscriber deduplicates. */
  uniqueEvents(topic: string): { events: SenseEvent[]; duplicates: number } {
    const seen = new Set<string>();
    const events: SenseEvent[] = [];
    let duplicates = 0;
    for (const m of this.on(topic)) {
      const e = JSON.parse(m.text) as SenseEvent;
      const key = `${e.id}/${e.seq}`;
      if (seen.has(key)) duplicates++;
      else {
        seen.add(key);
        events.push(e);
      }
    }
    return { events, duplicates };
  }

  async waitFor(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}

export async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
