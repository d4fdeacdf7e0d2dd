/**
 * `sensebind bench mqtt`: events/s through the MQTT sink to a broker with the persistent outbox on, as a
 * subscriber sees them (each event counted when it arrives, not when it is handed to the socket).
 *   burst:     N events written as fast as the sink accepts them; rate = N / time until the last one arrived.
 *              Run for the file outbox, the file outbox with fsync, and the memory outbox (the ratios say
 *              what durability costs).
 *   sustained: the target rate (default 2,000/s) for a few seconds, file outbox: keeps up or not, outbox
 *              depth, end-to-end latency percentiles.
 * Starts its own Mosquitto on a free loopback port unless --url is given. Prints JSON on stdout.
 */
import mqtt from 'mqtt';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { SenseEvent } from '../core/types.js';
import { MqttSink } from '../sinks/mqtt.js';
import { FileOutbox } from '../sinks/mqtt/file-outbox.js';
import { LocalBroker } from '../sinks/mqtt/local-broker.js';
import { MemoryOutbox } from '../sinks/mqtt/memory-outbox.js';
import type { Outbox } from '../sinks/mqtt/outbox.js';

function event(i: number, run: string): SenseEvent {
  return {
    v: 1,
    id: `${run}-${Math.floor(i / 3)}`,
    type: (['start', 'update', 'end'] as const)[i % 3]!,
    robot: 'bench',
    concept: { id: 'glass_breaking', label: 'glass breaking' },
    score: 0.81,
    peakScore: 0.93,
    modalityScores: { vision: 0.62, audio: 0.91, imu: 0.4 },
    present: ['vision', 'audio', 'imu'],
    missing: ['depth', 'thermal'],
    start: '1700000000000000000',
    end: null,
    startTime: '2023-11-14T22:13:20.000000000Z',
    endTime: null,
    emittedAt: new Date().toISOString(),
    seq: i,
  };
}

const round = (x: number, digits = 0): number => Number(x.toFixed(digits));

interface Harness {
  sink: MqttSink;
  /** Resolves with arrival times (epoch ms) by seq, first arrival each, once `n` distinct events arrived. */
  arrivals: (n: number, timeoutMs: number) => Promise<{ arrivals: Map<number, number>; received: number; complete: boolean; cpuUs: number }>;
  close: () => Promise<void>;
}

/** Epoch ms with sub-ms resolution, comparable between processes on one machine. */
const nowMs = (): number => performance.timeOrigin + performance.now();

/**
 * The subscriber runs in its own process (this file with --subscriber), as a real consumer would: its
 * CPU does not count against the sink's.
 */
async function subscriberProcess(url: string, topic: string): Promise<{ child: ChildProcessWithoutNullStreams; lines: AsyncIterator<string> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--subscriber', url, topic], { stdio: 'pipe' });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || first.value !== 'ready') throw new Error(`bench: subscriber did not start: ${String(first.value)}`);
  return { child, lines };
}

async function runSubscriber(url: string, topic: string): Promise<void> {
  const sub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  const arrivals = new Map<number, number>();
  let received = 0;
  let target = Number.POSITIVE_INFINITY;
  let report: (() => void) | undefined;
  sub.on('message', (_topic, payload) => {
    received++;
    const seq = (JSON.parse(payload.toString()) as SenseEvent).seq;
    if (!arrivals.has(seq)) arrivals.set(seq, nowMs());
    if (arrivals.size >= target) report?.();
  });
  await sub.subscribeAsync(topic, { qos: 1 });
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const [n, timeoutMs] = line.split(' ').map(Number) as [number, number];
    target = n;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      report = done;
      function done(): void {
        clearTimeout(timer);
        report = undefined;
        resolve();
      }
      if (arrivals.size >= target) done();
    });
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ received, complete: arrivals.size >= n, cpuUs: cpu.user + cpu.system, arrivals: [...arrivals] })}\n`);
  }
  await sub.endAsync();
}

async function harness(url: string, robot: string, outbox: Outbox, inflight: number): Promise<Harness> {
  const { child, lines } = await subscriberProcess(url, `sensebind/${robot}/events`);
  const sink = new MqttSink({ url, robot, outbox, inflight });
  const deadline = Date.now() + 10_000;
  while (!sink.connected) {
    if (Date.now() > deadline) throw new Error(`bench: sink did not connect to ${url}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    sink,
    arrivals: async (n, timeoutMs) => {
      child.stdin.write(`${n} ${timeoutMs}\n`);
      const line = await lines.next();
      if (line.done) throw new Error('bench: subscriber exited');
      const out = JSON.parse(line.value) as { received: number; complete: boolean; cpuUs: number; arrivals: [number, number][] };
      return { received: out.received, complete: out.complete, cpuUs: out.cpuUs, arrivals: new Map(out.arrivals) };
    },
    close: async () => {
      await sink.close();
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** CPU time (µs) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the ")" of the command name: state is field 3; utime, stime are fields 14 and 15 (clock ticks).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

let brokerPid: number | undefined;

async function burst(url: string, label: string, outbox: Outbox, n: number, inflight: number): Promise<Record<string, number | boolean>> {
  const h = await harness(url, `bench-${label}`, outbox, inflight);
  const sub0 = (await h.arrivals(0, 0)).cpuUs;
  const broker0 = processCpuUs(brokerPid);
  const cpu0 = process.cpuUsage();
  const t0 = nowMs();
  // Written in slices so acknowledgements are processed while writing, as in the agent (events come from timers).
  for (let i = 0; i < n; i++) {
    await h.sink.write(event(i, label));
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  const accepted = nowMs() - t0;
  const { arrivals, received, complete, cpuUs: sub1 } = await h.arrivals(n, 120_000);
  const cpu = process.cpuUsage(cpu0);
  const broker1 = processCpuUs(brokerPid);
  let last = t0;
  for (const at of arrivals.values()) last = Math.max(last, at);
  const total = last - t0;
  const stats = h.sink.stats();
  await h.close();
  return {
    events: n,
    complete,
    acceptMs: round(accepted),
    totalMs: round(total),
    eventsPerSec: round((arrivals.size / total) * 1000),
    acceptPerSec: round((n / accepted) * 1000),
    /** CPU time of the sensebind process (sink + outbox + mqtt.js) per event: what a free core allows. */
    sinkCpuUsPerEvent: round((cpu.user + cpu.system) / n, 1),
    cpuBoundPerSec: round(1e6 / ((cpu.user + cpu.system) / n)),
    /** The same for Mosquitto and for the subscriber process: where the rest of the machine's time goes. */
    brokerCpuUsPerEvent: broker0 !== undefined && broker1 !== undefined ? round((broker1 - broker0) / n, 1) : -1,
    subscriberCpuUsPerEvent: round((sub1 - sub0) / n, 1),
    dropped: stats.dropped,
    duplicates: received - arrivals.size,
  };
}

async function sustained(url: string, outbox: Outbox, rate: number, seconds: number, inflight: number): Promise<Record<string, number | boolean>> {
  const h = await harness(url, 'bench-sustained', outbox, inflight);
  const n = Math.round(rate * seconds);
  const written = new Map<number, number>();
  const tickMs = 10;
  const perTick = (rate * tickMs) / 1000;
  let maxPending = 0;
  const t0 = nowMs();
  let i = 0;
  while (i < n) {
    const due = Math.min(n, Math.floor(((nowMs() - t0) / tickMs + 1) * perTick));
    for (; i < due; i++) {
      written.set(i, nowMs());
      await h.sink.write(event(i, 'sustained'));
    }
    maxPending = Math.max(maxPending, h.sink.stats().pending);
    await new Promise((r) => setTimeout(r, tickMs));
  }
  const writeEnd = nowMs();
  const { arrivals, complete } = await h.arrivals(n, 60_000);
  const latencies: number[] = [];
  for (const [seq, at] of arrivals) latencies.push(at - written.get(seq)!);
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number => round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN, 1);
  const elapsed = writeEnd - t0;
  await h.close();
  return {
    targetPerSec: rate,
    events: n,
    complete,
    achievedPerSec: round((n / elapsed) * 1000),
    maxPending,
    latencyP50Ms: pct(0.5),
    latencyP99Ms: pct(0.99),
    latencyMaxMs: round(latencies.at(-1) ?? NaN, 1),
  };
}

export async function main(argv: string[]): Promise<unknown> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      events: { type: 'string', default: '20000' },
      rate: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '5' },
      inflight: { type: 'string', default: '100' },
      /** The local broker's max_inflight_messages (its v5 Receive Maximum); Mosquitto's default is 20. */
      'broker-inflight': { type: 'string', default: '20' },
      /** Only the file-outbox burst (quick check). */
      quick: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const n = Number(values.events);
  const inflight = Number(values.inflight);
  const brokerInflight = Number(values['broker-inflight']);
  const broker = values.url === undefined ? await LocalBroker.start({ extraConfig: [`max_inflight_messages ${brokerInflight}`] }) : undefined;
  const url = values.url ?? broker!.url;
  brokerPid = broker?.pid;
  const dir = mkdtempSync(join(tmpdir(), 'sensebind-bench-mqtt-'));
  try {
    const fileOutbox = (name: string, fsync = false): Outbox => FileOutbox.open(join(dir, name), { fsync });
    if (values.quick) {
      const out = { bench: 'mqtt', quick: true, inflight, brokerInflight, fileOutbox: await burst(url, 'file', fileOutbox('file'), n, inflight) };
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return out;
    }
    const result = {
      bench: 'mqtt',
      broker: values.url === undefined ? `mosquitto (local, loopback, max_inflight_messages ${brokerInflight})` : url.replace(/\/\/[^@/]*@/, '//***@'),
      cpus: cpus().length,
      node: process.version,
      inflight,
      burst: {
        fileOutbox: await burst(url, 'file', fileOutbox('file'), n, inflight),
        memoryOutbox: await burst(url, 'memory', new MemoryOutbox(), n, inflight),
        fileOutboxFsync: await burst(url, 'fsync', fileOutbox('fsync', true), Math.min(n, 500), inflight),
      },
      sustained: await sustained(url, fileOutbox('sustained'), Number(values.rate), Number(values.seconds), inflight),
    };
    const file = result.burst.fileOutbox.eventsPerSec as number;
    const memory = result.burst.memoryOutbox.eventsPerSec as number;
    const out = { ...result, fileVsMemory: round(file / memory, 2), goalPerSec: 2000, meetsGoal: file >= 2000 && result.sustained.complete === true };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await broker?.close();
  }
}

// `node dist/bench/mqtt.js --subscriber <url> <topic>`: the subscriber half of the bench (see harness()).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === '--subscriber') {
  await runSubscriber(process.argv[3]!, process.argv[4]!);
}
