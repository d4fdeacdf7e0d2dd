/**
 * One device on one link, independent of the transport: bytes in (`receive`), Samples out (the sink given
 * to the constructor), host frames out (the `send` callback: HELLO and TIME_SYNC requests, paced by
 * `tick`). SerialSource owns the port and the reconnect loop; tests, the fuzz test and the benchmark
 * drive a session directly.
 *
 * Every frame is accounted for exactly once: decoded into samples, skipped (known reason), bad (rejected
 * by the decoder, or a replay), and sequence gaps are counted as lost frames. Each kind of trouble is
 * logged once per episode, not per frame.
 */
import type { Logger } from '../core/log.js';
import { silentLogger } from '../core/log.js';
import type { Sample } from '../core/types.js';
import { DeviceClock, type DeviceClockOptions } from './device-clock.js';
import { encodeFrame } from './frame-codec.js';
import { FrameDecoder, type FrameDecoderStats } from './frame-decoder.js';
import { audioSample, depthSample, imuSamples, imuSampleTimesUs } from './frame-to-samples.js';
import { DEVICE_ERROR_CODES, type Frame, type HelloFrame, type SensorDescriptor } from './protocol.js';
import { SequenceTracker } from './sequence-tracker.js';

export interface DeviceSessionOptions {
  /** Prefix of every Sample's sensorId, e.g. the port path or the configured id. */
  sensorPrefix: string;
  /** Where host frames go (the port's write). */
  send: (bytes: Uint8Array) => void;
  /** Where samples go. */
  onSample: (sample: Sample) => void;
  /** Agent clock, ns. */
  now: () => bigint;
  logger?: Logger;
  /** Time-sync requests after the start burst, ms (every 250 ms during the first 5 s of a connection). @default 1000 */
  syncIntervalMs?: number;
  /**
   * Data frames are held (bounded by maxPendingFrames) until the first time-sync reply, at most this long,
   * so that the first samples of a connection carry stamps as good as the rest. 0 = never wait. @default 1000
   */
  syncWaitMs?: number;
  /** A time-sync exchange with a round trip up to this (ms) ends the wait; longer ones bound the offset too loosely. @default 10 */
  syncGoodRttMs?: number;
  /** Requests sent 50 ms apart right after connecting, so stamps are good within a fraction of a second. @default 8 */
  syncBurst?: number;
  /** Bytes without one valid frame after which the link is declared garbage (wrong baud?). @default 2048 */
  garbageBytes?: number;
  /** Data frames kept while waiting for the first HELLO (their scales are in it). @default 256 */
  maxPendingFrames?: number;
  /** No byte for this long while connected: logged once as silent. @default 3000 */
  silentMs?: number;
  /** Configured baud rate, for the wrong-baud message. */
  baudRate?: number;
  clock?: DeviceClockOptions;
}

type DataFrame = Extract<Frame, { type: 'imu' | 'audio' | 'depth' }>;

export interface DeviceSessionStats {
  received: number;
  decoded: number;
  skipped: number;
  bad: number;
  dropped: number;
  decoder: FrameDecoderStats;
  lostFrames: number;
  lostByStream: Record<number, number>;
  replayed: number;
  resyncs: number;
  lostAudioSamples: number;
  deviceRestarts: number;
  deviceErrors: number;
  deviceTxDropped: number;
  syncs: number;
  clockMode: string;
  driftPpm: number;
  minRttUs: number;
  garbage: boolean;
  device: string;
}

interface StreamInfo {
  desc: SensorDescriptor;
  sensorId: string;
  lastStamp: bigint;
  nextAudioIndex: number | undefined;
}

export class DeviceSession {
  readonly #o: Required<Omit<DeviceSessionOptions, 'clock' | 'logger' | 'baudRate'>> & { baudRate: number | undefined };
  readonly #log: Logger;
  readonly #decoder = new FrameDecoder();
  readonly #seq = new SequenceTracker();
  readonly #clock: DeviceClock;
  #hello: HelloFrame | undefined;
  #streams = new Map<number, StreamInfo>();
  #pending: { frame: DataFrame; arrival: bigint }[] = [];
  // sync bookkeeping
  #syncId = 1;
  #pendingSync = new Map<number, bigint>();
  #syncSent = 0;
  #lastSyncNs = 0n;
  #hostSeq = 0;
  // connection state
  #connected = false;
  #connectedAt = 0n;
  /** Since when data waits for a good time-sync exchange. */
  #waitSinceNs = 0n;
  #lastByteNs = 0n;
  #lastHelloRequestNs = 0n;
  #bytesSinceGood = 0;
  #badSinceGood = 0;
  #garbage = false;
  #silentLogged = false;
  #warned = new Set<string>();
  // counters
  #received = 0;
  #decoded = 0;
  #skipped = 0;
  #pendingDropped = 0;
  #lostAudio = 0;
  #restarts = 0;
  #deviceErrors = 0;
  #deviceTxDropped = 0;

  constructor(options: DeviceSessionOptions) {
    const {
      syncIntervalMs = 1000,
      syncBurst = 8,
      syncWaitMs = 1000,
      syncGoodRttMs = 10,
      garbageBytes = 2048,
      maxPendingFrames = 256,
      silentMs = 3000,
      baudRate,
      logger = silentLogger(),
      clock,
      ...rest
    } = options;
    this.#o = { ...rest, syncIntervalMs, syncWaitMs, syncGoodRttMs, syncBurst, garbageBytes, maxPendingFrames, silentMs, baudRate };
    this.#log = logger;
    this.#clock = new DeviceClock(clock);
  }

  /** The link is up: ask who is there and start the time-sync burst. */
  connected(): void {
    const now = this.#o.now();
    this.#connected = true;
    this.#connectedAt = now;
    this.#waitSinceNs = now;
    this.#lastByteNs = now;
    this.#decoder.reset();
    this.#bytesSinceGood = 0;
    this.#badSinceGood = 0;
    this.#silentLogged = false;
    this.#syncSent = 0;
    this.#pendingSync.clear();
    this.#requestHello(now);
    this.tick();
  }

  disconnected(): void {
    this.#connected = false;
    this.#pendingSync.clear();
  }

  /** Bytes from the port, stamped on arrival. */
  receive(chunk: Uint8Array, arrivalNs: bigint = this.#o.now()): void {
    this.#lastByteNs = arrivalNs;
    this.#silentLogged = false;
    this.#decoder.append(chunk);
    for (let r = this.#decoder.next(); r !== undefined; r = this.#decoder.next()) {
      this.#received++;
      if (r.ok) {
        this.#goodFrame();
        this.#handle(r.frame, arrivalNs);
      } else if (r.reason === 'unknownType') {
        // PROTOCOL.md §3/§6: a type added by later firmware; skipped and counted, the link is fine.
        this.#goodFrame();
        this.#skipped++;
        this.#warnOnce('unknownType', `serial ${this.#o.sensorPrefix}: frames of a type this host does not know (newer firmware?); skipped, counted in stats (unknownType)`);
      } else {
        this.#badSinceGood++;
        this.#warnOnce(`bad:${r.reason}`, `serial ${this.#o.sensorPrefix}: rejected a ${r.length}-byte frame (${r.reason}); further ones are counted in stats (bad)`);
      }
    }
    // Judged after the whole chunk is decoded, on the bytes after the last valid frame: the first chunk
    // after a replug starts with the tail of a frame cut by the unplug, then holds good frames.
    this.#bytesSinceGood = this.#decoder.stats().bytesSinceValid;
    this.#checkGarbage();
  }

  /** Paces time-sync requests and HELLO retries; call every ~50 ms. */
  tick(): void {
    if (!this.#connected) return;
    const now = this.#o.now();
    const since = Number(now - this.#lastSyncNs) / 1e6;
    // a quick burst, then 4/s for the first seconds (the drift fit needs a span), then the configured pace
    const early = Number(now - this.#connectedAt) / 1e6 < 5000;
    const interval = this.#syncSent < this.#o.syncBurst ? 50 : early ? Math.min(250, this.#o.syncIntervalMs) : this.#o.syncIntervalMs;
    if (since >= interval) this.#sendSync(now);
    if (this.#hello === undefined && Number(now - this.#lastHelloRequestNs) / 1e6 >= 1000) this.#requestHello(now);
    this.#flushPending();
    for (const [id, t1] of this.#pendingSync) {
      if (Number(now - t1) / 1e6 > 5000) this.#pendingSync.delete(id);
    }
    if (!this.#silentLogged && Number(now - this.#lastByteNs) / 1e6 >= this.#o.silentMs) {
      this.#silentLogged = true;
      this.#log.warn({ sensor: this.#o.sensorPrefix }, `serial ${this.#o.sensorPrefix}: no data for ${this.#o.silentMs} ms (device hung, or not sending?)`);
    }
  }

  stats(): DeviceSessionStats {
    const decoder = this.#decoder.stats();
    const seq = this.#seq.stats();
    const clock = this.#clock.stats();
    const h = this.#hello;
    return {
      received: this.#received,
      decoded: this.#decoded,
      skipped: this.#skipped,
      bad: decoder.bad + seq.replayed,
      dropped: seq.lostFrames + this.#pendingDropped,
      decoder,
      lostFrames: seq.lostFrames,
      lostByStream: seq.lostByStream,
      replayed: seq.replayed,
      resyncs: seq.resyncs,
      lostAudioSamples: this.#lostAudio,
      deviceRestarts: this.#restarts,
      deviceErrors: this.#deviceErrors,
      deviceTxDropped: this.#deviceTxDropped,
      syncs: clock.syncs,
      clockMode: clock.mode,
      driftPpm: clock.driftPpm,
      minRttUs: clock.minRttUs,
      garbage: this.#garbage,
      device: h ? `${h.name} fw ${h.fw.join('.')} uid ${h.deviceUid.toString(16)} boot ${h.bootId.toString(16)}` : '',
    };
  }

  #send(frame: Frame): void {
    this.#o.send(encodeFrame(frame));
  }

  #requestHello(now: bigint): void {
    this.#lastHelloRequestNs = now;
    this.#send({ type: 'helloRequest', stream: 0, seq: this.#nextHostSeq(), tUs: 0 });
  }

  #sendSync(now: bigint): void {
    const id = this.#syncId;
    this.#syncId = (this.#syncId + 1) >>> 0 || 1;
    this.#pendingSync.set(id, now);
    this.#lastSyncNs = now;
    this.#syncSent++;
    this.#send({ type: 'syncRequest', stream: 0, seq: this.#nextHostSeq(), tUs: 0, id, hostT1: now });
  }

  #nextHostSeq(): number {
    const s = this.#hostSeq;
    this.#hostSeq = (this.#hostSeq + 1) & 0xffff;
    return s;
  }

  #goodFrame(): void {
    if (this.#garbage) this.#log.info(`serial ${this.#o.sensorPrefix}: valid frames again`);
    this.#garbage = false;
    this.#badSinceGood = 0;
  }

  #checkGarbage(): void {
    if (this.#garbage || this.#bytesSinceGood < this.#o.garbageBytes) return;
    this.#garbage = true;
    const reasons = Object.entries(this.#decoder.stats().badByReason)
      .filter(([, n]) => n > 0)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    const baud = this.#o.baudRate === undefined ? '' : ` (configured ${this.#o.baudRate} baud)`;
    this.#log.warn(
      { sensor: this.#o.sensorPrefix, bytes: this.#bytesSinceGood, rejected: this.#badSinceGood },
      `serial ${this.#o.sensorPrefix}: ${this.#bytesSinceGood} bytes without one valid frame (${this.#badSinceGood} rejected${reasons ? `: ${reasons}` : ''}): wrong baud rate${baud}, or the device does not speak the sensebind protocol (firmware-bridge/PROTOCOL.md)`,
    );
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#log.warn({ sensor: this.#o.sensorPrefix }, message);
  }

  #handle(frame: Frame, arrival: bigint): void {
    switch (frame.type) {
      case 'hello':
        this.#onHello(frame);
        return;
      case 'imu':
      case 'audio':
      case 'depth':
        if (this.#mustHold(arrival)) {
          this.#pending.push({ frame, arrival });
          if (this.#pending.length > this.#o.maxPendingFrames) {
            this.#pending.shift();
            this.#pendingDropped++;
            this.#warnOnce('noHello', `serial ${this.#o.sensorPrefix}: data frames but no HELLO yet; dropping the oldest while waiting (counted in dropped)`);
          }
          return;
        }
        this.#flushPending(); // frames held before this one go first
        this.#onData(frame, arrival);
        return;
      case 'heartbeat':
        if (!this.#controlInOrder(frame)) return;
        this.#deviceTxDropped = frame.txDroppedFrames;
        this.#skipped++;
        return;
      case 'syncReply': {
        if (!this.#controlInOrder(frame)) return;
        const t1 = this.#pendingSync.get(frame.id);
        this.#skipped++;
        if (t1 === undefined || t1 !== frame.hostT1) return; // late (after a reconnect) or not ours
        this.#pendingSync.delete(frame.id);
        this.#clock.addSync(t1, frame.devRxUs, frame.devTxUs, arrival);
        this.#flushPending();
        return;
      }
      case 'error': {
        if (!this.#controlInOrder(frame)) return;
        this.#deviceErrors++;
        this.#skipped++;
        const what = DEVICE_ERROR_CODES[frame.code] ?? `code ${frame.code}`;
        this.#warnOnce(`deviceError:${frame.code}:${frame.errorStream}`, `serial ${this.#o.sensorPrefix}: device reports ${what} on stream ${frame.errorStream}: ${frame.text}`);
        return;
      }
      case 'helloRequest':
      case 'syncRequest':
        // host-to-device frames coming back: an echoing line (a terminal in echo mode?)
        this.#skipped++;
        this.#warnOnce('echo', `serial ${this.#o.sensorPrefix}: receiving host-to-device frames: is the line echoing?`);
        return;
    }
  }

  #controlInOrder(frame: Frame): boolean {
    return this.#sequenceVerdict(frame) !== 'replay';
  }

  #sequenceVerdict(frame: Frame): ReturnType<SequenceTracker['check']> {
    const verdict = this.#seq.check(frame.stream, frame.seq, frame.tUs);
    if (verdict === 'replay') {
      this.#warnOnce('replay', `serial ${this.#o.sensorPrefix}: dropped a duplicate/replayed ${frame.type} frame (stream ${frame.stream}, seq ${frame.seq}); further ones are counted in stats (replayed)`);
    } else if (verdict === 'resync') {
      this.#warnOnce('resync', `serial ${this.#o.sensorPrefix}: stream ${frame.stream} started over without a HELLO (device reset?); following it`);
    }
    return verdict;
  }

  #onHello(frame: HelloFrame): void {
    const prev = this.#hello;
    if (prev !== undefined && prev.bootId === frame.bootId && prev.deviceUid === frame.deviceUid) {
      if (!this.#controlInOrder(frame)) return;
    } else {
      if (prev !== undefined) {
        // the new boot's clock needs exchanges of its own, soon
        this.#pendingSync.clear();
        this.#syncSent = 0;
        this.#waitSinceNs = this.#o.now();
        this.#restarts++;
        this.#log.warn({ sensor: this.#o.sensorPrefix }, `serial ${this.#o.sensorPrefix}: device restarted or replaced (boot ${prev.bootId.toString(16)} -> ${frame.bootId.toString(16)}); clock and sequence numbers start over`);
      }
      this.#seq.reset();
      this.#clock.reset();
      this.#seq.check(frame.stream, frame.seq, frame.tUs);
      this.#log.info(
        { sensor: this.#o.sensorPrefix, sensors: frame.sensors.map((s) => `${s.kind}@${s.rateMhz / 1000}Hz`) },
        `serial ${this.#o.sensorPrefix}: ${frame.name} firmware ${frame.fw.join('.')}, protocol v1`,
      );
    }
    this.#skipped++;
    this.#hello = frame;
    // same boot (a re-sent HELLO): keep each stream's last stamp and audio position
    const before = prev?.bootId === frame.bootId ? this.#streams : new Map<number, StreamInfo>();
    this.#streams = new Map();
    const kinds = new Map<string, number>();
    for (const s of frame.sensors) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
    for (const s of frame.sensors) {
      const sensorId = kinds.get(s.kind)! > 1 ? `${this.#o.sensorPrefix}/${s.kind}${s.stream}` : `${this.#o.sensorPrefix}/${s.kind}`;
      const old = before.get(s.stream);
      this.#streams.set(s.stream, { desc: s, sensorId, lastStamp: old?.lastStamp ?? -1n, nextAudioIndex: old?.nextAudioIndex });
    }
    this.#flushPending();
  }

  /** Data waits for the HELLO (scales) and, briefly, for the first time-sync reply (stamps). */
  #mustHold(now: bigint): boolean {
    if (this.#hello === undefined) return true;
    if (this.#o.syncWaitMs <= 0) return false;
    if (this.#clock.mode === 'sync' && this.#clock.minRttNs <= this.#o.syncGoodRttMs * 1e6) return false;
    // a device that never answers (old firmware) costs one wait per connection or boot, not one per frame
    return Number(now - this.#waitSinceNs) / 1e6 < this.#o.syncWaitMs;
  }

  #flushPending(): void {
    if (this.#pending.length === 0 || this.#mustHold(this.#o.now())) return;
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) this.#onData(p.frame, p.arrival);
  }

  #onData(frame: DataFrame, arrival: bigint): void {
    const verdict = this.#sequenceVerdict(frame);
    if (verdict === 'replay') return;
    if (verdict === 'gap') {
      this.#warnOnce(`gap:${frame.stream}`, `serial ${this.#o.sensorPrefix}: frames lost on stream ${frame.stream} (sequence gap of ${this.#seq.lastGap}); counted in dropped`);
    }
    const info = this.#streams.get(frame.stream);
    const kind = info?.desc.kind;
    if (info === undefined || kind !== frame.type) {
      this.#skipped++;
      this.#warnOnce(`stream:${frame.stream}`, `serial ${this.#o.sensorPrefix}: ${frame.type} frame on stream ${frame.stream}, which the device's HELLO does not announce as ${frame.type}; skipped`);
      return;
    }
    switch (frame.type) {
      case 'imu': {
        const times = imuSampleTimesUs(frame);
        this.#clock.observeArrival(times[times.length - 1]!, arrival);
        const stamps: bigint[] = [];
        for (const t of times) stamps.push(this.#monotonic(info, this.#clock.toAgentNs(t)));
        for (const s of imuSamples(frame, info.desc, info.sensorId, stamps)) this.#o.onSample(s);
        break;
      }
      case 'audio': {
        const rate = info.desc.rateMhz / 1000;
        const lastUs = frame.tUs + ((frame.pcm.length - 1) * 1e6) / rate;
        this.#clock.observeArrival(lastUs, arrival);
        if (info.nextAudioIndex !== undefined && frame.firstIndex > info.nextAudioIndex) this.#lostAudio += frame.firstIndex - info.nextAudioIndex;
        info.nextAudioIndex = frame.firstIndex + frame.pcm.length;
        this.#o.onSample(audioSample(frame, info.desc, info.sensorId, this.#monotonic(info, this.#clock.toAgentNs(frame.tUs))));
        break;
      }
      case 'depth':
        this.#clock.observeArrival(frame.tUs, arrival);
        this.#o.onSample(depthSample(frame, info.desc, info.sensorId, this.#monotonic(info, this.#clock.toAgentNs(frame.tUs))));
        break;
    }
    this.#decoded++;
  }

  /** Stamps never go back within a stream (the clock estimate improving must not reorder samples). */
  #monotonic(info: StreamInfo, stamp: bigint): bigint {
    const s = stamp > info.lastStamp ? stamp : info.lastStamp + 1n;
    info.lastStamp = s;
    return s;
  }
}
