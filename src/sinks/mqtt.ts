/**
 * The MQTT event sink (issue 9): events go out on `<prefix>/<robot>/events` (QoS 1, not retained), the
 * robot's availability on `.../status`, its concepts on `.../concepts`, concept states on `.../state/<id>`,
 * and concept commands come in on `.../cmd/concepts`. Topics and payloads: docs/mqtt.md.
 *
 * No event is lost to a broker outage or a crash: write() puts the event in the outbox (on disk) before
 * anything is sent; the pump publishes outbox entries in order, at most `inflight` unacknowledged; an
 * entry leaves the outbox only on its PUBACK. The outbox is the single source of truth: after every
 * (re)connect the pump starts again from the oldest unacknowledged entry (mqtt.js's own resend store is
 * replaced on reconnect), so order holds and a duplicate is possible only for a message the broker took
 * but whose PUBACK was lost; subscribers drop those by (`id`, `seq`).
 *
 * Reconnects are ours, not mqtt.js's (its fixed-period timer has no backoff): capped exponential backoff
 * with jitter, each retry logged, the state in stats().
 */
import mqtt, { type IClientOptions, type IClientPublishOptions, type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import { createRequire } from 'node:module';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Concept, SenseEvent } from '../core/types.js';
import { backoffDelayMs, type BackoffOptions } from '../core/backoff.js';
import { decodeCommand, replyPayload, type CommandOutcome, type ConceptCommandHandler } from './mqtt/commands.js';
import { haDiscoveryPayload, haDiscoveryTopic } from './mqtt/home-assistant.js';
import { MemoryOutbox } from './mqtt/memory-outbox.js';
import type { Outbox, OutboxDropReason } from './mqtt/outbox.js';
import { conceptsPayload, conceptState, eventPayload, haEventPayload, initialConceptState, type ConceptStatePayload } from './mqtt/payloads.js';
import { mqttTopics, type MqttTopics } from './mqtt/topics.js';
import type { EventSink, SinkStats } from './sink.js';

export interface MqttTlsMaterial {
  /** CA certificate(s), PEM. @default the system trust store */
  ca?: Buffer;
  /** Client certificate, PEM. @default none */
  cert?: Buffer;
  /** Client key, PEM. @default none */
  key?: Buffer;
  /** @default true */
  rejectUnauthorized?: boolean;
}

export interface MqttSinkOptions {
  /** Broker URL (mqtt://, mqtts://, ws://, wss://). Credentials in it are never logged. */
  url: string;
  /** Robot id: the second topic level. */
  robot: string;
  /** @default 'sensebind' */
  prefix?: string;
  /** @default `sensebind-<robot>` */
  clientId?: string;
  /** @default 5 */
  protocolVersion?: 4 | 5;
  /** QoS of events. @default 1 */
  qos?: 1 | 2;
  /** @default 30 */
  keepaliveSeconds?: number;
  /** Most events published and not yet acknowledged. @default 100 */
  inflight?: number;
  /** @default { initialMs: 500, maxMs: 30000 } */
  reconnect?: BackoffOptions;
  /** @default none (plain TCP unless the URL says mqtts/wss, then the system trust store) */
  tls?: MqttTlsMaterial;
  username?: string;
  password?: string;
  /** Where events wait for their PUBACK. @default a MemoryOutbox (lost on restart: use a FileOutbox) */
  outbox?: Outbox;
  /** Handler for concept commands; without one the sink does not subscribe to the command topic. */
  commands?: ConceptCommandHandler;
  /** Current concepts, for the retained list and Home Assistant event types. @default none (no list) */
  concepts?: () => Promise<readonly Concept[]> | readonly Concept[];
  /** Home Assistant discovery; off when absent. */
  homeAssistant?: { discoveryPrefix: string };
  /** @default the package version */
  softwareVersion?: string;
  /** @default silent */
  logger?: Logger;
  /** @default Math.random (backoff jitter) */
  random?: () => number;
  /** How long a connection attempt may take, ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Called when the broker acknowledges an event, with the seconds since the outbox accepted it (metrics). */
  onDelivered?: (seconds: number) => void;
}

/** The URL with any user:password removed, for logs. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

function packageVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Drop counts are logged once per reason, then at most once a minute with the total. */
const DROP_LOG_INTERVAL_MS = 60_000;

export class MqttSink implements EventSink {
  readonly name = 'mqtt';
  readonly topics: MqttTopics;
  readonly #opts: MqttSinkOptions;
  readonly #log: Logger;
  readonly #outbox: Outbox;
  readonly #qos: 1 | 2;
  readonly #window: number;
  readonly #random: () => number;
  readonly #softwareVersion: string;
  #client: MqttClient;
  /** Bumped on every connect; callbacks from an older connection are ignored. */
  #generation = 0;
  #connected = false;
  #stopping = false;
  #closed = false;
  #receiveMaximum = Number.POSITIVE_INFINITY;
  /** Seq of the newest outbox entry handed to mqtt.js on this connection. */
  #cursor = 0;
  #inflight = 0;
  #attempt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #expireTimer: NodeJS.Timeout;
  #flushWaiters: (() => void)[] = [];
  #commandChain: Promise<void> = Promise.resolve();
  #concepts: readonly Concept[] = [];
  readonly #states = new Map<string, ConceptStatePayload>();
  readonly #dirtyStates = new Set<string>();
  /** Concepts that left the list: the end of their last event must not bring a retained state back. */
  readonly #removed = new Set<string>();
  /** What was last published as the concept list (without `updatedAt`) and discovery, on this connection. */
  #lastList = '';
  #lastDiscovery = '';
  #haQueue: string[] = [];
  #tickScheduled = false;
  readonly #lastDropLog = new Map<OutboxDropReason | 'write', number>();
  readonly #counts = {
    written: 0,
    writeFailed: 0,
    published: 0,
    acked: 0,
    rejected: 0,
    errors: 0,
    connects: 0,
    reconnectAttempts: 0,
    commands: 0,
    commandErrors: 0,
    haEvents: 0,
    haSkipped: 0,
  };
  #lastError = '';
  #nextRetryMs = 0;

  constructor(options: MqttSinkOptions) {
    this.#opts = options;
    const { robot, prefix = 'sensebind', qos = 1, inflight = 100, logger = silentLogger(), random = Math.random } = options;
    this.#log = logger.child({ sink: 'mqtt' });
    this.topics = mqttTopics(prefix, robot);
    this.#qos = qos;
    this.#window = inflight;
    this.#random = random;
    this.#softwareVersion = options.softwareVersion ?? packageVersion();
    this.#outbox = options.outbox ?? new MemoryOutbox();
    this.#client = this.#connect();
    // Age bound: checked once a minute (the size bound is checked on every write).
    this.#expireTimer = setInterval(() => this.#outbox.expire(), 60_000);
    this.#expireTimer.unref();
  }

  /** Reports an outbox drop; pass as the outbox's `onDrop`. */
  static dropLogger(logger: Logger): (reason: OutboxDropReason, count: number, firstSeq: number, lastSeq: number) => void {
    const last = new Map<OutboxDropReason, number>();
    const totals = new Map<OutboxDropReason, number>();
    return (reason, count, firstSeq, lastSeq) => {
      totals.set(reason, (totals.get(reason) ?? 0) + count);
      const now = Date.now();
      if (now - (last.get(reason) ?? -Infinity) < DROP_LOG_INTERVAL_MS) return;
      last.set(reason, now);
      const why = { size: 'outbox.maxBytes reached', age: 'older than outbox.maxAgeSeconds', 'too-large': 'larger than outbox.maxBytes' }[reason];
      logger.warn({ reason, count, firstSeq, lastSeq, totalDropped: totals.get(reason) }, `mqtt outbox dropped ${count} event(s): ${why}`);
    };
  }

  get connected(): boolean {
    return this.#connected;
  }

  async write(event: SenseEvent): Promise<void> {
    if (this.#closed) throw new Error('MqttSink.write() after close()');
    try {
      const { kept } = this.#outbox.enqueue(this.topics.events, eventPayload(event));
      if (kept) this.#counts.written++;
    } catch (err) {
      // Disk full or gone: the event cannot be made durable. Counted and logged, never thrown at the agent.
      this.#counts.writeFailed++;
      this.#counts.errors++;
      this.#logOnce('write', `mqtt outbox cannot store events: ${errorMessage(err)}`);
      return;
    }
    this.#trackState(event);
    this.#schedule();
  }

  flush(deadlineMs = 5_000): Promise<void> {
    if (this.#outbox.stats().pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#flushWaiters = this.#flushWaiters.filter((w) => w !== waiter);
        resolve();
      }, deadlineMs);
      this.#flushWaiters.push(waiter);
    });
  }

  /** Republishes the concept list (and Home Assistant discovery) after concepts changed elsewhere. */
  async conceptsChanged(): Promise<void> {
    await this.#refreshConcepts();
  }

  /**
   * Clean stop: waits up to `deadlineMs` for pending events, publishes `stopped` (retained), disconnects
   * (so the broker does not publish the Last Will) and closes the outbox. What is still pending stays in
   * a persistent outbox for the next run.
   */
  async close(deadlineMs = 3_000): Promise<void> {
    if (this.#closed) return;
    this.#stopping = true;
    clearInterval(this.#expireTimer);
    clearTimeout(this.#reconnectTimer);
    if (this.#connected) {
      await this.flush(deadlineMs);
      await this.#publishAwait(this.topics.status, 'stopped', { qos: 1, retain: true }, 1_000);
    }
    await this.#commandChain;
    this.#closed = true;
    // Unacknowledged publishes would make a graceful end() wait forever; they stay in the outbox anyway.
    for (const id of Object.keys(this.#client.outgoing)) delete this.#client.outgoing[Number(id)];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#client.end(true, {}, () => resolve()), 1_000);
      this.#client.end(false, {}, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#connected = false;
    await this.#outbox.close();
    for (const waiter of this.#flushWaiters.splice(0)) waiter();
    this.#log.info({ ...this.#counts }, 'mqtt sink closed');
  }

  stats(): SinkStats {
    const o = this.#outbox.stats();
    return {
      written: this.#counts.written,
      dropped: o.droppedSize + o.droppedAge + o.droppedTooLarge + this.#counts.writeFailed,
      pending: o.pending,
      errors: this.#counts.errors,
      detail: {
        connected: this.#connected,
        lastError: this.#lastError,
        nextRetryMs: this.#connected ? 0 : this.#nextRetryMs,
        connects: this.#counts.connects,
        reconnectAttempts: this.#counts.reconnectAttempts,
        published: this.#counts.published,
        acked: this.#counts.acked,
        rejected: this.#counts.rejected,
        inflight: this.#inflight,
        outboxBytes: o.pendingBytes,
        outboxRecovered: o.recovered,
        outboxCorrupt: o.corrupt,
        droppedSize: o.droppedSize,
        droppedAge: o.droppedAge,
        droppedTooLarge: o.droppedTooLarge,
        writeFailed: this.#counts.writeFailed,
        commands: this.#counts.commands,
        commandErrors: this.#counts.commandErrors,
        haEvents: this.#counts.haEvents,
        haSkipped: this.#counts.haSkipped,
      },
    };
  }

  // ---- connection ----

  #connect(): MqttClient {
    const o = this.#opts;
    const options: IClientOptions = {
      clientId: o.clientId ?? `sensebind-${o.robot}`,
      protocolVersion: o.protocolVersion ?? 5,
      clean: true, // the outbox is the session: nothing needs to survive on the broker for the publisher
      keepalive: o.keepaliveSeconds ?? 30,
      reconnectPeriod: 0, // reconnects are scheduled here, with backoff
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      resubscribe: false, // subscriptions are renewed on every connect
      queueQoSZero: false,
      // mqtt.js traces every packet through `debug`; even disabled that is ~10% of the per-event cost.
      // DEBUG=mqttjs* still works for troubleshooting.
      ...(process.env.DEBUG?.includes('mqttjs') ? {} : { log: () => {} }),
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(o.username !== undefined && o.username !== '' ? { username: o.username } : {}),
      ...(o.password !== undefined && o.password !== '' ? { password: o.password } : {}),
      ...(o.tls?.ca ? { ca: o.tls.ca } : {}),
      ...(o.tls?.cert ? { cert: o.tls.cert } : {}),
      ...(o.tls?.key ? { key: o.tls.key } : {}),
      rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
    };
    this.#log.info({ url: redactUrl(o.url), clientId: options.clientId, protocolVersion: options.protocolVersion }, 'mqtt connecting');
    const client = mqtt.connect(o.url, options);
    client.on('connect', (connack) => this.#onConnect(connack));
    client.on('close', () => this.#onClose());
    client.on('error', (err) => this.#onError(err));
    client.on('message', (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    return client;
  }

  #onConnect(connack: IConnackPacket): void {
    this.#generation++;
    this.#connected = true;
    this.#counts.connects++;
    this.#attempt = 0;
    this.#lastError = '';
    this.#cursor = 0; // resend everything unacknowledged, oldest first
    this.#inflight = 0;
    this.#receiveMaximum = connack.properties?.receiveMaximum ?? Number.POSITIVE_INFINITY;
    this.#log.info({ url: redactUrl(this.#opts.url), pending: this.#outbox.stats().pending }, 'mqtt connected');
    this.#publishLive(this.topics.status, 'online', { qos: 1, retain: true });
    const subs: string[] = [];
    if (this.#opts.commands) subs.push(this.topics.commands);
    if (this.#opts.homeAssistant) subs.push(`${this.#opts.homeAssistant.discoveryPrefix}/status`);
    if (subs.length > 0) {
      // Retain-As-Published (MQTT 5): a command published with retain keeps the flag when it arrives live,
      // so it is refused then too, not only when the broker replays it at the next subscribe. MQTT 3.1.1
      // has no such option: there the broker clears the flag on live delivery (docs/mqtt.md).
      const v5 = (this.#opts.protocolVersion ?? 5) === 5;
      this.#client.subscribe(subs, v5 ? { qos: 1, rap: true } : { qos: 1 }, (err) => {
        if (err) this.#recordError(`subscribe to ${subs.join(', ')} failed: ${errorMessage(err)}`);
      });
    }
    this.#lastList = '';
    this.#lastDiscovery = '';
    for (const [conceptId, state] of this.#states) {
      this.#publishLive(this.topics.conceptState(conceptId), JSON.stringify(state), { qos: 0, retain: true });
    }
    void this.#refreshConcepts();
    this.#pump();
  }

  #onClose(): void {
    const wasConnected = this.#connected;
    this.#connected = false;
    this.#inflight = 0;
    this.#generation++; // late callbacks of this connection are stale now
    if (this.#stopping) return;
    if (wasConnected) this.#log.warn({ pending: this.#outbox.stats().pending }, 'mqtt connection lost');
    if (this.#reconnectTimer !== undefined) return;
    const delay = backoffDelayMs(this.#attempt++, this.#opts.reconnect ?? {}, this.#random);
    this.#nextRetryMs = delay;
    this.#log.info({ attempt: this.#attempt, delayMs: delay, lastError: this.#lastError }, 'mqtt reconnecting after backoff');
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#stopping) return;
      this.#counts.reconnectAttempts++;
      // Fresh stores: mqtt.js must not resend on its own; the pump resends from the outbox in order.
      for (const id of Object.keys(this.#client.outgoing)) delete this.#client.outgoing[Number(id)];
      this.#client.reconnect();
    }, delay);
  }

  #onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    let message = errorMessage(err);
    if (/certificate|self.signed|SSL|TLS/i.test(message) || (typeof code === 'string' && code.startsWith('ERR_TLS'))) {
      message = `TLS handshake with ${redactUrl(this.#opts.url)} failed: ${message} (check mqtt.tls.ca / cert / key)`;
    } else if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
      message = `broker ${redactUrl(this.#opts.url)} unreachable: ${message}`;
    }
    this.#recordError(message);
  }

  #recordError(message: string): void {
    this.#counts.errors++;
    if (message !== this.#lastError) this.#log.warn({ error: message }, 'mqtt error');
    this.#lastError = message;
  }

  // ---- events ----

  #pump(): void {
    if (!this.#connected || this.#closed) return;
    const window = Math.min(this.#window, this.#receiveMaximum);
    while (this.#inflight < window) {
      const batch = this.#outbox.after(this.#cursor, window - this.#inflight);
      if (batch.length === 0) return;
      const generation = this.#generation;
      for (const entry of batch) {
        this.#cursor = entry.seq;
        this.#inflight++;
        this.#counts.published++;
        this.#client.publish(entry.topic, entry.payload, { qos: this.#qos, retain: false }, (err) => {
          if (generation !== this.#generation) return;
          this.#inflight--;
          if (err) {
            const reasonCode = (err as { code?: unknown }).code;
            if (typeof reasonCode !== 'number') return; // connection trouble: resent after reconnect
            // The broker refused this message for good (v5 reason code, e.g. not authorized): retrying won't help.
            this.#counts.rejected++;
            this.#recordError(`broker refused event on ${entry.topic}: ${errorMessage(err)} (reason code ${reasonCode})`);
          } else {
            this.#counts.acked++;
            this.#opts.onDelivered?.((Date.now() - entry.at) / 1000);
          }
          this.#outbox.ack(entry.seq);
          if (this.#flushWaiters.length > 0 && this.#outbox.stats().pending === 0) {
            for (const waiter of this.#flushWaiters.splice(0)) waiter();
          }
          // Refill in batches (half a window): the publishes of one tick leave in one socket write.
          if (this.#inflight <= window >> 1) this.#pump();
        });
      }
    }
  }

  #trackState(event: SenseEvent): void {
    if (event.type !== 'update' && !this.#removed.has(event.concept.id)) {
      this.#states.set(event.concept.id, conceptState(event));
      this.#dirtyStates.add(event.concept.id);
    }
    if (this.#opts.homeAssistant && event.type === 'start') this.#haQueue.push(JSON.stringify(haEventPayload(event)));
  }

  /**
   * Sends what write() queued once per event-loop turn: the publishes of one turn leave in one socket
   * write (mqtt-packet corks until the next tick), which is what makes thousands of events/s cheap.
   */
  #schedule(): void {
    if (this.#tickScheduled) return;
    this.#tickScheduled = true;
    setImmediate(() => {
      this.#tickScheduled = false;
      for (const conceptId of this.#dirtyStates) {
        const state = this.#states.get(conceptId);
        // QoS 0: states are republished on every connect, so a lost one heals; no PUBACK per start/end.
        if (state) this.#publishLive(this.topics.conceptState(conceptId), JSON.stringify(state), { qos: 0, retain: true });
      }
      this.#dirtyStates.clear();
      for (const payload of this.#haQueue.splice(0)) {
        // Live only: a Home Assistant automation fired an hour late would do harm. The event itself is in the outbox.
        if (this.#publishLive(this.topics.haEvents, payload, { qos: 1, retain: false })) this.#counts.haEvents++;
        else this.#counts.haSkipped++;
      }
      this.#pump();
    });
  }

  // ---- concepts, discovery, commands ----

  /**
   * Publishes the concept list, discovery and any state that changed with the concepts. Both the command
   * reply path and the memory follower call this for one change; what equals the last publication on this
   * connection is not sent again.
   */
  async #refreshConcepts(): Promise<void> {
    if (this.#opts.concepts) {
      try {
        this.#concepts = await this.#opts.concepts();
      } catch (err) {
        this.#recordError(`cannot list concepts: ${errorMessage(err)}`);
        return;
      }
    }
    if (this.#opts.concepts) {
      const known = new Map(this.#concepts.map((c) => [c.id, c]));
      for (const id of [...this.#states.keys()]) {
        if (known.has(id)) continue;
        // A removed concept: clear its retained state (an empty retained message deletes it).
        this.#states.delete(id);
        this.#dirtyStates.delete(id);
        this.#removed.add(id);
        this.#publishLive(this.topics.conceptState(id), '', { qos: 1, retain: true });
      }
      for (const c of this.#concepts) {
        this.#removed.delete(c.id);
        const state = this.#states.get(c.id);
        if (state === undefined) {
          // Every listed state topic holds a state, also before the concept's first event.
          const initial = initialConceptState(c);
          this.#states.set(c.id, initial);
          this.#publishLive(this.topics.conceptState(c.id), JSON.stringify(initial), { qos: 0, retain: true });
        } else if (state.concept.label !== c.label) {
          state.concept = { id: c.id, label: c.label };
          this.#publishLive(this.topics.conceptState(c.id), JSON.stringify(state), { qos: 0, retain: true });
        }
      }
      const list = conceptsPayload(this.#opts.robot, this.#concepts, this.topics.conceptState);
      const { updatedAt: _time, ...content } = list;
      const key = JSON.stringify(content);
      if (key !== this.#lastList && this.#publishLive(this.topics.concepts, JSON.stringify(list), { qos: 1, retain: true })) this.#lastList = key;
    }
    this.#publishDiscovery('changed');
  }

  /** 'always': Home Assistant restarted and needs it again even if unchanged. */
  #publishDiscovery(when: 'changed' | 'always'): void {
    const ha = this.#opts.homeAssistant;
    if (!ha) return;
    const eventTypes = [...new Set(this.#concepts.filter((c) => c.enabled && c.background !== true).map((c) => c.label))];
    const payload = JSON.stringify(
      haDiscoveryPayload({
        discoveryPrefix: ha.discoveryPrefix,
        robot: this.#opts.robot,
        topics: this.topics,
        eventTypes,
        softwareVersion: this.#softwareVersion,
      }),
    );
    if (when === 'changed' && payload === this.#lastDiscovery) return;
    if (this.#publishLive(haDiscoveryTopic(ha.discoveryPrefix, this.#opts.robot), payload, { qos: 1, retain: true })) this.#lastDiscovery = payload;
  }

  #onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void {
    const ha = this.#opts.homeAssistant;
    if (ha && topic === `${ha.discoveryPrefix}/status`) {
      if (payload.toString() === 'online') this.#publishDiscovery('always');
      return;
    }
    if (topic === this.topics.commands && this.#opts.commands) {
      if (payload.length === 0) return; // clearing a retained message, not a command
      if (packet.retain) {
        // A retained command would run again on every reconnect: refuse it (and say how to clear it).
        this.#counts.commandErrors++;
        this.#log.warn({ topic }, `ignored a retained concept command; clear it with an empty retained message on ${topic}`);
        return;
      }
      const handler = this.#opts.commands;
      // One at a time, in arrival order: concurrent edits of one concept would race.
      this.#commandChain = this.#commandChain.then(() => this.#handleCommand(handler, payload, packet));
    }
  }

  async #handleCommand(handler: ConceptCommandHandler, payload: Buffer, packet: IPublishPacket): Promise<void> {
    this.#counts.commands++;
    const props = packet.properties ?? {};
    const command = decodeCommand(
      payload,
      { responseTopic: props.responseTopic, correlationData: props.correlationData },
      this.topics.commandReplies,
    );
    let outcome: CommandOutcome;
    if (!command.body.ok) {
      outcome = command.body;
    } else {
      try {
        outcome = await handler(command.body.value);
      } catch (err) {
        outcome = { ok: false, code: 'INTERNAL', message: errorMessage(err) };
      }
    }
    if (!outcome.ok) {
      this.#counts.commandErrors++;
      this.#log.warn({ op: command.op, code: outcome.code, error: outcome.message }, 'mqtt concept command refused');
    } else {
      this.#log.info({ op: command.op, changed: outcome.changed }, 'mqtt concept command applied');
    }
    const reply = JSON.stringify(replyPayload(command, outcome));
    const properties = command.correlationData ? { correlationData: command.correlationData } : undefined;
    this.#publishLive(command.replyTopic, reply, { qos: 1, retain: false, ...(properties ? { properties } : {}) });
    if (outcome.ok && outcome.changed) await this.#refreshConcepts();
  }

  // ---- publishing helpers ----

  /** Publishes if connected (state that is republished on every connect anyway); false when skipped. */
  #publishLive(topic: string, payload: string, opts: IClientPublishOptions): boolean {
    if (!this.#connected || this.#closed) return false;
    this.#client.publish(topic, payload, opts, (err) => {
      if (err && this.#connected) this.#recordError(`publish to ${topic} failed: ${errorMessage(err)}`);
    });
    return true;
  }

  #publishAwait(topic: string, payload: string, opts: IClientPublishOptions, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#client.publish(topic, payload, opts, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #logOnce(reason: OutboxDropReason | 'write', message: string): void {
    const now = Date.now();
    if (now - (this.#lastDropLog.get(reason) ?? -Infinity) < DROP_LOG_INTERVAL_MS) return;
    this.#lastDropLog.set(reason, now);
    this.#log.error({ reason, writeFailed: this.#counts.writeFailed }, message);
  }
}
