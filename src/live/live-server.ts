/**
 * The live view: a Foxglove WebSocket server (@foxglove/ws-protocol over `ws`) that shows, tick by tick,
 * every concept's per-modality and fused scores against its thresholds, which modalities are present and
 * what the embed gate did, the events, the camera frame, the IMU and the audio level (docs/live.md).
 *
 * The agent calls `publish(tick)` after every snapshot. It is synchronous and cheap: with no viewer it
 * returns at once, messages are built only for channels someone subscribed to, JPEG encoding runs in
 * sharp's thread pool with at most one frame in flight (a newer frame while busy is skipped, counted), and
 * each viewer has its own bounded outbox (viewer-socket.ts) so a stalled viewer only loses its own frames.
 * Nothing here throws into the agent: a failure is counted and logged once.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import wsProtocol from '@foxglove/ws-protocol';
import sharp from 'sharp';
import type { TickResult } from '../agent/agent.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { SenseEvent, StampNs, VisionSample } from '../core/types.js';
import { audioLevelMessage, imuMessages, modalitiesMessage, scoresMessage, toTime, type ScoresMessage } from './messages.js';
import { LIVE_CHANNELS, type LiveTopic } from './schemas.js';
import { ViewerSocket, type ViewerSocketOptions, type ViewerStats } from './viewer-socket.js';

const { FoxgloveServer } = wsProtocol;
type Server = InstanceType<typeof FoxgloveServer>;

export interface LiveServerOptions {
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 8 */
  maxViewers?: number;
  /** Seconds between ticks: the span the audio level covers. @default 0.5 */
  hopSeconds?: number;
  /** JPEG quality of camera frames. @default 75 */
  jpegQuality?: number;
  /** Per-viewer outbox bounds. */
  viewer?: ViewerSocketOptions;
  /** @default silent */
  logger?: Logger;
}

export interface LiveStats {
  viewers: number;
  connected: number;
  refused: number;
  /** Frames dropped from viewers' outboxes (drop-oldest), over all viewers, past ones included. */
  dropped: number;
  published: number;
  framesEncoded: number;
  /** Camera frames not sent because the previous one was still being encoded. */
  framesSkipped: number;
  errors: number;
  perViewer: ViewerStats[];
}

const encoder = new TextEncoder();

export class LiveServer {
  readonly #o: Required<Omit<LiveServerOptions, 'viewer' | 'logger'>>;
  readonly #viewerOptions: ViewerSocketOptions;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #channelIds = new Map<LiveTopic, number>();
  readonly #subscribed = new Set<number>();
  readonly #viewers = new Set<ViewerSocket>();
  #wss: WebSocketServer | undefined;
  #nextViewer = 1;
  #lastFrame: StampNs | undefined;
  #lastImu: StampNs = -1n;
  #encoding = false;
  #loggedErrors = new Set<string>();
  #stats = { connected: 0, refused: 0, dropped: 0, published: 0, framesEncoded: 0, framesSkipped: 0, errors: 0 };

  constructor(options: LiveServerOptions) {
    const { port, host = '127.0.0.1', maxViewers = 8, hopSeconds = 0.5, jpegQuality = 75 } = options;
    this.#o = { port, host, maxViewers, hopSeconds, jpegQuality };
    this.#viewerOptions = options.viewer ?? {};
    this.#log = options.logger ?? silentLogger();
    this.#server = new FoxgloveServer({ name: 'sensebind', capabilities: ['time'] });
    for (const [key, ch] of Object.entries(LIVE_CHANNELS) as [LiveTopic, (typeof LIVE_CHANNELS)[LiveTopic]][]) {
      const id = this.#server.addChannel({ topic: ch.topic, encoding: 'json', schemaName: ch.schemaName, schema: JSON.stringify(ch.schema), schemaEncoding: 'jsonschema' });
      this.#channelIds.set(key, id);
    }
    this.#server.on('subscribe', (id) => this.#subscribed.add(id));
    this.#server.on('unsubscribe', (id) => this.#subscribed.delete(id));
    this.#server.on('error', (err) => this.#fail('protocol', err));
  }

  /** Listens; resolves with the bound port. Throws SensebindError('IO') naming host:port when it cannot bind. */
  async start(): Promise<number> {
    const { host, port } = this.#o;
    const wss = new WebSocketServer({ host, port, handleProtocols: (protocols) => this.#server.handleProtocols(protocols) });
    await new Promise<void>((resolve, reject) => {
      wss.once('error', (err) => reject(new SensebindError('IO', `cannot serve the live view on ${host}:${port}: ${errorMessage(err)} (live.port)`)));
      wss.once('listening', () => resolve());
    });
    wss.on('error', (err) => this.#fail('server', err));
    wss.on('connection', (ws, req) => this.#connect(ws, `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`));
    this.#wss = wss;
    const address = wss.address();
    const bound = typeof address === 'object' && address !== null ? address.port : port;
    this.#log.info({ url: `ws://${host}:${bound}` }, 'live view (Foxglove WebSocket) listening');
    return bound;
  }

  /**
   * Closes every viewer (a close handshake, so a reading viewer gets what was sent; a stalled one is cut
   * after `graceMs`) and the listener.
   */
  async close(graceMs = 1000): Promise<void> {
    const wss = this.#wss;
    this.#wss = undefined;
    if (!wss) return;
    const closed = [...wss.clients].map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve()))));
    for (const viewer of this.#viewers) viewer.flush();
    for (const ws of wss.clients) ws.close(1001, 'sensebind stopping');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  /** Viewers connected now (callers skip building messages for nobody). */
  get viewers(): number {
    return this.#viewers.size;
  }

  /** Sends one tick to the viewers; `scores` when the caller built it already. Never throws, never waits. */
  publish(tick: TickResult, scores?: ScoresMessage): void {
    if (this.#viewers.size === 0) return;
    try {
      this.#publish(tick, scores);
    } catch (err) {
      this.#fail('publish', err);
    }
  }

  stats(): LiveStats {
    return { ...this.#stats, viewers: this.#viewers.size, perViewer: [...this.#viewers].map((v) => v.stats()) };
  }

  #publish(tick: TickResult, scores: ScoresMessage | undefined): void {
    const stamp = tick.snapshot.stamp;
    this.#server.broadcastTime(stamp);
    if (this.#wants('scores')) {
      const message = scores ?? (tick.match.trace ? scoresMessage(tick.match.trace(), stamp, tick.snapshot.seq) : undefined);
      if (message) this.#send('scores', stamp, message);
    }
    if (this.#wants('modalities')) this.#send('modalities', stamp, modalitiesMessage(tick));
    if (this.#wants('events')) for (const e of tick.match.events) this.#send('events', stamp, e satisfies SenseEvent);
    const w = tick.snapshot.windows;
    if (w.audio && this.#wants('audioLevel')) this.#send('audioLevel', w.audio.end, audioLevelMessage(w.audio, this.#o.hopSeconds));
    if (w.imu && this.#wants('imu')) {
      // A new viewer (or one after a gap) gets the last hop, not the whole window.
      const hopStart = w.imu.end - BigInt(Math.round(this.#o.hopSeconds * 1e9));
      for (const m of imuMessages(w.imu, this.#lastImu > hopStart ? this.#lastImu : hopStart)) this.#send('imu', BigInt(m.timestamp.sec) * 1_000_000_000n + BigInt(m.timestamp.nsec), m);
      this.#lastImu = w.imu.end;
    }
    if (w.vision && this.#wants('camera') && w.vision.sample.stamp !== this.#lastFrame) {
      this.#lastFrame = w.vision.sample.stamp;
      if (this.#encoding) this.#stats.framesSkipped++;
      else this.#sendFrame(w.vision.sample);
    }
    this.#stats.published++;
  }

  #wants(topic: LiveTopic): boolean {
    return this.#subscribed.has(this.#channelIds.get(topic) as number);
  }

  #send(topic: LiveTopic, stamp: StampNs, message: object): void {
    this.#server.sendMessage(this.#channelIds.get(topic) as number, stamp < 0n ? 0n : stamp, encoder.encode(JSON.stringify(message)));
  }

  #sendFrame(frame: VisionSample): void {
    this.#encoding = true;
    const { width, height, rgb, stamp } = frame;
    sharp(rgb, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: this.#o.jpegQuality })
      .toBuffer()
      .then(
        (jpeg) => {
          this.#stats.framesEncoded++;
          if (this.#viewers.size === 0) return;
          this.#send('camera', stamp, { timestamp: toTime(stamp), frame_id: 'camera', data: jpeg.toString('base64'), format: 'jpeg' });
        },
        (err: unknown) => this.#fail('jpeg', err),
      )
      .finally(() => (this.#encoding = false));
  }

  #connect(ws: WebSocket, address: string): void {
    if (this.#viewers.size >= this.#o.maxViewers) {
      this.#stats.refused++;
      this.#log.warn({ address, maxViewers: this.#o.maxViewers }, 'live view: viewer refused, too many connected (live.maxViewers)');
      ws.close(1013, 'too many viewers');
      return;
    }
    const viewer = new ViewerSocket(ws, `viewer ${this.#nextViewer++} (${address})`, (n) => (this.#stats.dropped += n), this.#viewerOptions);
    this.#viewers.add(viewer);
    this.#stats.connected++;
    ws.on('close', () => {
      this.#viewers.delete(viewer);
      const s = viewer.stats();
      this.#log.info({ viewer: viewer.name, sent: s.sent, dropped: s.dropped }, 'live view: viewer left');
    });
    ws.on('error', (err) => this.#fail('viewer', err));
    this.#server.handleConnection(viewer, viewer.name);
    this.#log.info({ viewer: viewer.name }, 'live view: viewer connected');
  }

  #fail(where: string, err: unknown): void {
    this.#stats.errors++;
    const key = `${where}:${errorMessage(err)}`;
    if (this.#loggedErrors.has(key)) return;
    this.#loggedErrors.add(key);
    this.#log.warn({ where, err: errorMessage(err) }, 'live view error (counted; logged once per message)');
  }
}
