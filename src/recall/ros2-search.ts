/**
 * Search over ROS 2: the MQTT search request as a std_msgs/String JSON message on `ros2.searchTopic`
 * (`~/search`), answered with the MQTT reply body on `ros2.searchReplyTopic` (`~/search/reply`), e.g.
 *   in : {"text": "glass breaking", "modalities": ["audio"], "since": "-12h", "top": 5, "correlationId": "q1"}
 *   out: {"v":1, "op":"search", "correlationId":"q1", "ok":true, "result": <the CLI's --json output>}
 * A topic pair rather than a service: sensebind's ROS 2 transport has topics only, and a topic pair lets
 * `ros2 topic pub`/`echo` ask from a shell. Requests run one at a time (a search is a few hundred ms of
 * CPU); beyond `maxPending` waiting, a request is answered REFUSED at once (counted) rather than queued.
 */
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Ros2Session } from '../ros2/session.js';
import type { Ros2Publisher, Ros2Subscription } from '../ros2/transport.js';
import type { CommandOutcome, ConceptCommandHandler } from '../sinks/mqtt/commands.js';
import type { CommandReplyPayload } from '../sinks/mqtt/payloads.js';
import { withRecallSearch } from './mqtt-search.js';
import type { SearchEnv } from './request.js';

const QOS = { reliability: 'reliable', durability: 'volatile', depth: 10 } as const;

export interface Ros2SearchOptions {
  session: Ros2Session;
  /** Requests in; empty = off. */
  topic: string;
  /** Replies out. */
  replyTopic: string;
  /** The agent's store and pipeline; undefined = this robot keeps no store (every request is REFUSED). */
  env: SearchEnv | undefined;
  logger?: Logger;
  /** Requests waiting behind the running one at most. @default 4 */
  maxPending?: number;
}

export interface Ros2SearchStats {
  received: number;
  answered: number;
  refusedBusy: number;
  /** Replies that could not be published (logged once). */
  errors: number;
}

/** Parses one request message into the body the search handler takes, and its correlation id. */
function decodeSearchMessage(text: string): { correlationId: string | null; body: unknown } | { correlationId: string | null; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { correlationId: null, error: `search request is not JSON: ${errorMessage(err)}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { correlationId: null, error: `search request must be a JSON object like {"text":"glass breaking"}, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}` };
  }
  const { correlationId, ...body } = value as Record<string, unknown>;
  if (correlationId !== undefined && typeof correlationId !== 'string') return { correlationId: null, error: `correlationId must be a string, got ${JSON.stringify(correlationId)}` };
  // The topic carries searches only, so `op` may be left out.
  return { correlationId: correlationId ?? null, body: { op: 'search', ...body } };
}

export class Ros2RecallSearch {
  readonly #o: Required<Omit<Ros2SearchOptions, 'env'>> & { env: SearchEnv | undefined };
  readonly #handle: ConceptCommandHandler;
  #subscription: Ros2Subscription | undefined;
  #publisher: Ros2Publisher | undefined;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #closed = false;
  #logged = new Set<string>();
  #stats: Ros2SearchStats = { received: 0, answered: 0, refusedBusy: 0, errors: 0 };

  constructor(options: Ros2SearchOptions) {
    this.#o = { logger: silentLogger(), maxPending: 4, ...options };
    const onlySearch: ConceptCommandHandler = (command) =>
      Promise.resolve({ ok: false, code: 'INVALID', message: `invalid command: ${this.#o.topic} takes search requests only, got op ${JSON.stringify((command as { op?: unknown }).op)}` });
    this.#handle = withRecallSearch(onlySearch, options.env);
  }

  /** Subscribes and opens the reply publisher once the node is up; a failure is logged, never thrown. */
  async start(): Promise<void> {
    if (this.#o.topic === '' || this.#subscription !== undefined) return;
    const transport = await this.#o.session.transport();
    if (transport === undefined) return;
    try {
      this.#publisher = transport.publisher(this.#o.replyTopic, 'std_msgs/msg/String', QOS);
      this.#subscription = transport.subscribe(this.#o.topic, 'std_msgs/msg/String', QOS, (message) => this.#receive(String((message as { data?: unknown }).data ?? '')));
      this.#o.logger.info({ topic: this.#subscription.topic, reply: transport.resolveTopic(this.#o.replyTopic) }, 'recall search on ROS 2');
    } catch (err) {
      this.#logOnce('cannot serve recall search on ROS 2', err);
    }
  }

  stats(): Ros2SearchStats {
    return { ...this.#stats };
  }

  /** Stops taking requests and waits for the running ones to be answered. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#subscription?.close();
    this.#subscription = undefined;
    await this.#chain;
  }

  #receive(text: string): void {
    if (this.#closed) return;
    this.#stats.received++;
    const decoded = decodeSearchMessage(text);
    if ('error' in decoded) return this.#reply(decoded.correlationId, { ok: false, code: 'INVALID', message: decoded.error });
    if (this.#pending > this.#o.maxPending) {
      this.#stats.refusedBusy++;
      return this.#reply(decoded.correlationId, { ok: false, code: 'REFUSED', message: `search: ${this.#pending} searches are waiting; ask again later` });
    }
    this.#pending++;
    this.#chain = this.#chain.then(async () => {
      let outcome: CommandOutcome;
      try {
        outcome = await this.#handle(decoded.body);
      } catch (err) {
        outcome = { ok: false, code: 'FAILED', message: `search: ${errorMessage(err)}` };
      }
      this.#pending--;
      this.#reply(decoded.correlationId, outcome);
    });
  }

  #reply(correlationId: string | null, outcome: CommandOutcome): void {
    const base = { v: 1 as const, op: 'search', correlationId };
    const payload: CommandReplyPayload = outcome.ok ? { ...base, ok: true, result: outcome.result ?? null } : { ...base, ok: false, error: { code: outcome.code, message: outcome.message } };
    try {
      this.#publisher?.publish({ data: JSON.stringify(payload) });
      this.#stats.answered++;
    } catch (err) {
      this.#stats.errors++;
      this.#logOnce(`cannot publish a search reply on ${this.#o.replyTopic}`, err);
    }
  }

  #logOnce(message: string, err: unknown): void {
    const text = errorMessage(err);
    if (this.#logged.has(text)) return;
    this.#logged.add(text);
    this.#o.logger.error({ topic: this.#o.topic, err: text }, `${message} (logged once per message)`);
  }
}
