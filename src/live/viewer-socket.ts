/**
 * One viewer's WebSocket as FoxgloveServer sees it (its IWebSocket), with a bounded outbox in front of
 * the real socket, so a slow or stalled viewer never slows the agent and never grows memory.
 *
 * Protocol text (serverInfo, advertise, status) is always kept and goes first: it is small and a viewer
 * cannot decode data without it. Binary frames (message data, time) wait in a queue capped by count and
 * bytes; when it is full the oldest frame goes (drop-oldest, counted). At most `windowBytes` are handed
 * to the socket and not yet written to the kernel; the rest waits here, where it can still be dropped.
 * A viewer whose protocol text alone passes `maxControl` messages is closed: it has stopped reading.
 */
import type { WebSocket } from 'ws';

export interface ViewerSocketOptions {
  /** Binary frames queued per viewer before the oldest is dropped. @default 256 */
  maxFrames?: number;
  /** Bytes queued per viewer before the oldest frames are dropped. @default 8 MiB */
  maxBytes?: number;
  /** Bytes handed to the socket whose write has not completed. @default 1 MiB */
  windowBytes?: number;
  /** Protocol text messages queued before the viewer is closed as stuck. @default 1000 */
  maxControl?: number;
}

export interface ViewerStats {
  name: string;
  sent: number;
  sentBytes: number;
  /** Frames dropped from this viewer's queue (drop-oldest). */
  dropped: number;
  queued: number;
  queuedBytes: number;
  inFlightBytes: number;
}

type Data = string | ArrayBuffer | ArrayBufferView;
// `any`: IWebSocket (@foxglove/ws-protocol) types its handlers so; they pass through untouched.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Handler = ((event: any) => void) | null | undefined;

function byteLength(data: Data): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

export class ViewerSocket {
  readonly name: string;
  readonly #ws: WebSocket;
  readonly #maxFrames: number;
  readonly #maxBytes: number;
  readonly #windowBytes: number;
  readonly #maxControl: number;
  readonly #control: string[] = [];
  readonly #frames: Data[] = [];
  #framesHead = 0;
  #queuedBytes = 0;
  #inFlight = 0;
  #sent = 0;
  #sentBytes = 0;
  #dropped = 0;
  #scheduled = false;
  readonly #onDrop: (n: number) => void;

  constructor(ws: WebSocket, name: string, onDrop: (n: number) => void, options: ViewerSocketOptions = {}) {
    const { maxFrames = 256, maxBytes = 8 * 2 ** 20, windowBytes = 2 ** 20, maxControl = 1000 } = options;
    this.#ws = ws;
    this.name = name;
    this.#onDrop = onDrop;
    this.#maxFrames = maxFrames;
    this.#maxBytes = maxBytes;
    this.#windowBytes = windowBytes;
    this.#maxControl = maxControl;
  }

  // IWebSocket: FoxgloveServer sets the handlers and reads binaryType/protocol; they pass through.
  get binaryType(): string {
    return this.#ws.binaryType;
  }
  set binaryType(v: string) {
    this.#ws.binaryType = v as WebSocket['binaryType'];
  }
  get protocol(): string {
    return this.#ws.protocol;
  }
  get onerror(): Handler {
    return this.#ws.onerror as Handler;
  }
  set onerror(h: Handler) {
    this.#ws.onerror = h ?? null;
  }
  get onopen(): Handler {
    return this.#ws.onopen as Handler;
  }
  set onopen(h: Handler) {
    this.#ws.onopen = h ?? null;
  }
  get onclose(): Handler {
    return this.#ws.onclose as Handler;
  }
  set onclose(h: Handler) {
    this.#ws.onclose = h ?? null;
  }
  get onmessage(): Handler {
    return this.#ws.onmessage as Handler;
  }
  set onmessage(h: Handler) {
    this.#ws.onmessage = h ?? null;
  }

  close(): void {
    this.#ws.close();
  }

  /** Queues one message; never blocks, never throws. */
  send(data: Data): void {
    if (this.#ws.readyState !== this.#ws.OPEN) return;
    if (typeof data === 'string') {
      if (this.#control.length >= this.#maxControl) {
        this.#ws.terminate();
        return;
      }
      this.#control.push(data);
    } else {
      // FoxgloveServer reuses nothing it sends, so the view can be queued as it is.
      this.#frames.push(data);
      this.#queuedBytes += data.byteLength;
      let dropped = 0;
      while (this.#frames.length - this.#framesHead > 1 && (this.#frames.length - this.#framesHead > this.#maxFrames || this.#queuedBytes > this.#maxBytes)) {
        this.#queuedBytes -= byteLength(this.#frames[this.#framesHead] as Data);
        this.#frames[this.#framesHead++] = undefined as unknown as Data;
        dropped++;
      }
      if (dropped > 0) {
        this.#dropped += dropped;
        this.#onDrop(dropped);
      }
      if (this.#framesHead > 1024 && this.#framesHead * 2 > this.#frames.length) {
        this.#frames.splice(0, this.#framesHead);
        this.#framesHead = 0;
      }
    }
    // Writing happens after the caller's turn (the agent's tick), all of a tick's frames in one corked write.
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#pump();
      });
    }
  }

  /** Hands queued frames to the socket now (before a close frame, which would overtake them). */
  flush(): void {
    this.#pump();
  }

  stats(): ViewerStats {
    return {
      name: this.name,
      sent: this.#sent,
      sentBytes: this.#sentBytes,
      dropped: this.#dropped,
      queued: this.#control.length + this.#frames.length - this.#framesHead,
      queuedBytes: this.#queuedBytes,
      inFlightBytes: this.#inFlight,
    };
  }

  #next(): Data | undefined {
    const text = this.#control.shift();
    if (text !== undefined) return text;
    if (this.#framesHead >= this.#frames.length) return undefined;
    const frame = this.#frames[this.#framesHead] as Data;
    this.#frames[this.#framesHead++] = undefined as unknown as Data;
    this.#queuedBytes -= byteLength(frame);
    return frame;
  }

  #pump(): void {
    // ws has no batch send; corking its TCP socket (an internal of ws, absent = no batching) turns the
    // frames of one pump into one write instead of one system call each.
    const socket = (this.#ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    socket?.cork();
    try {
      this.#pumpFrames();
    } finally {
      socket?.uncork();
    }
  }

  #pumpFrames(): void {
    while (this.#inFlight < this.#windowBytes && this.#ws.readyState === this.#ws.OPEN) {
      const data = this.#next();
      if (data === undefined) return;
      const bytes = byteLength(data);
      this.#inFlight += bytes;
      // The callback fires once ws has written the frame to the kernel; a stalled reader stops it.
      this.#ws.send(data, (err) => {
        this.#inFlight -= bytes;
        if (err) return;
        this.#sent++;
        this.#sentBytes += bytes;
        this.#pump();
      });
    }
  }
}
