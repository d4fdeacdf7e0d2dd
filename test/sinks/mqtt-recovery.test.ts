// No event lost: the broker stopped and restarted mid-stream, and sensebind SIGKILLed mid-stream and
// restarted. A persistent subscriber (clean session off, fixed client id) must end with every event exactly
// once after deduplication by (id, seq), in the order sensebind accepted them.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { JsonlSink } from '../../src/sinks/jsonl.js';
import { MqttSink } from '../../src/sinks/mqtt.js';
import { FileOutbox } from '../../src/sinks/mqtt/file-outbox.js';
import { LocalBroker } from '../../src/sinks/mqtt/local-broker.js';
import type { SinkStats } from '../../src/sinks/sink.js';
import { Collector, makeEvent, until } from './mqtt-helpers/events.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sensebind-mqtt-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function persistentSubscriber(url: string, topics: string[]): Promise<Collector> {
  const sub = await Collector.connect(url, topics, {
    protocolVersion: 5,
    clean: false,
    clientId: 'dashboard-1',
    resubscribe: false, // the broker's persistent session must carry the subscription across its restart
    properties: { sessionExpiryInterval: 3600 },
  });
  cleanup.push(() => sub.close());
  return sub;
}

const key = (e: SenseEvent): string => `${e.id}/${e.seq}`;

describe('no event lost', () => {
  it('across a broker restart mid-stream (checked against the JSONL sink)', async () => {
    const broker = await LocalBroker.start();
    cleanup.push(() => broker.close());
    const sub = await persistentSubscriber(broker.url, ['sensebind/r5/events']);
    const dir = tempDir();
    const jsonl = new JsonlSink({ path: join(dir, 'events.jsonl') });
    const sink = new MqttSink({ url: broker.url, robot: 'r5', outbox: FileOutbox.open(join(dir, 'outbox')), reconnect: { initialMs: 50, maxMs: 300 } });
    await until(() => sink.connected, 'sink connected');

    const total = 300;
    let stopping: Promise<void> | undefined;
    for (let i = 0; i < total; i++) {
      const event = makeEvent(i);
      await jsonl.write(event);
      await sink.write(event);
      // The broker goes down while events are in flight (no pause: many are unacknowledged), stays down
      // while more arrive, and comes back mid-stream.
      if (i === 150) stopping = broker.stop('SIGTERM');
      if (i === 250) {
        await stopping;
        await new Promise((r) => setTimeout(r, 200));
      }
      if (i === 275) await broker.resume();
    }
    await jsonl.close();
    await until(() => sink.stats().pending === 0, 'outbox drained', 20_000);
    await sub.waitFor(() => sub.uniqueEvents('sensebind/r5/events').events.length >= total, `${total} events at the subscriber`, 20_000);

    const written = readFileSync(join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SenseEvent);
    const { events, duplicates } = sub.uniqueEvents('sensebind/r5/events');
    expect(events.map(key)).toEqual(written.map(key));
    expect(events).toEqual(written);
    const stats = sink.stats();
    expect(stats).toMatchObject({ written: total, dropped: 0, pending: 0 });
    expect(stats.detail?.connects as number).toBeGreaterThanOrEqual(2);
    expect(duplicates).toBeLessThanOrEqual(100); // only re-sends of unacknowledged messages, never more
    await sink.close();
  });

  it('when sensebind is SIGKILLed mid-stream: the restarted process delivers what was pending, in order', async () => {
    const dist = join(process.cwd(), 'dist/sinks/mqtt.js');
    expect(existsSync(dist), `${dist} is missing: run "npm run build" (npm test does) before this test`).toBe(true);
    const broker = await LocalBroker.start();
    cleanup.push(() => broker.close());
    const sub = await persistentSubscriber(broker.url, ['sensebind/r6/events', 'sensebind/r6/status']);
    const outboxDir = join(tempDir(), 'outbox');

    const first = await SinkChild.start(broker.url, 'r6', outboxDir);
    await until(() => sub.on('sensebind/r6/status').some((m) => m.text === 'online'), 'first process online');
    await first.request({ op: 'write', events: range(0, 20).map((i) => makeEvent(i)) });
    await first.request({ op: 'flush' });
    await sub.waitFor(() => sub.on('sensebind/r6/events').length >= 20, 'first 20 events');

    // The broker freezes (no PUBACKs), sensebind accepts 30 more events, then is killed.
    process.kill(brokerPid(broker), 'SIGSTOP');
    let thawed = false;
    cleanup.push(() => {
      if (!thawed) process.kill(brokerPid(broker), 'SIGCONT');
    });
    const accepted = await first.request({ op: 'write', events: range(20, 50).map((i) => makeEvent(i)) });
    expect(accepted.stats).toMatchObject({ written: 50, dropped: 0 });
    expect(accepted.stats.pending).toBeGreaterThanOrEqual(30);
    first.kill('SIGKILL');
    process.kill(brokerPid(broker), 'SIGCONT');
    thawed = true;
    await sub.waitFor(() => sub.on('sensebind/r6/status').some((m) => m.text === 'offline'), 'Last Will "offline"');

    // Restart: the outbox of the killed process is recovered and delivered before new events.
    const second = await SinkChild.start(broker.url, 'r6', outboxDir);
    const ready = await second.request({ op: 'stats' });
    expect(ready.stats.detail?.outboxRecovered as number).toBeGreaterThanOrEqual(30);
    await second.request({ op: 'write', events: range(50, 60).map((i) => makeEvent(i)) });
    const flushed = await second.request({ op: 'flush' });
    expect(flushed.stats.pending).toBe(0);
    await second.request({ op: 'close' });

    await sub.waitFor(() => sub.uniqueEvents('sensebind/r6/events').events.length >= 60, '60 events', 20_000);
    const { events } = sub.uniqueEvents('sensebind/r6/events');
    expect(events.map(key)).toEqual(range(0, 60).map((i) => key(makeEvent(i))));
    await sub.waitFor(() => sub.on('sensebind/r6/status').at(-1)?.text === 'stopped', 'stopped');
    const statuses = sub.on('sensebind/r6/status').map((m) => m.text);
    expect(statuses.slice(statuses.indexOf('offline'))).toEqual(['offline', 'online', 'stopped']);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}

function brokerPid(broker: LocalBroker): number {
  const pid = broker.pid;
  if (pid === undefined) throw new Error('broker not running');
  return pid;
}

interface ChildAnswer {
  op: string;
  stats: SinkStats;
}

/** test/sinks/mqtt-helpers/sink-child.mjs as a child process. */
class SinkChild {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #answers: ChildAnswer[] = [];
  #stderr = '';

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.#answers.push(JSON.parse(line) as ChildAnswer));
    child.stderr.on('data', (d: Buffer) => (this.#stderr += d.toString()));
    cleanup.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
  }

  static async start(url: string, robot: string, outboxDir: string): Promise<SinkChild> {
    const script = join(process.cwd(), 'test/sinks/mqtt-helpers/sink-child.mjs');
    const child = new SinkChild(spawn(process.execPath, [script, url, robot, outboxDir], { stdio: 'pipe' }));
    await child.#next('ready');
    return child;
  }

  async request(command: { op: string; events?: SenseEvent[] }): Promise<ChildAnswer> {
    this.#child.stdin.write(`${JSON.stringify(command)}\n`);
    return this.#next(command.op);
  }

  kill(signal: NodeJS.Signals): void {
    this.#child.kill(signal);
  }

  async #next(op: string): Promise<ChildAnswer> {
    await until(() => this.#answers.length > 0 || this.#child.exitCode !== null, `child answer to ${op}`).catch((err: Error) => {
      throw new Error(`${err.message}; child stderr: ${this.#stderr}`);
    });
    const answer = this.#answers.shift();
    if (!answer) throw new Error(`child exited (${this.#child.exitCode}) before answering ${op}: ${this.#stderr}`);
    expect(answer.op).toBe(op);
    return answer;
  }
}
