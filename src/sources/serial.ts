/**
 * SerialSource: one microcontroller on one serial port (firmware-bridge/PROTOCOL.md), as a SampleSource.
 *
 * About reconnection: a robot's USB cable gets knocked out. When the port closes under us (read error,
 * device gone) or fails to open, the source retries with capped exponential backoff plus jitter
 * (src/core/backoff.ts), re-resolving a USB match each time (the device may come back as another
 * /dev/ttyACMn). Each outage is counted as a gap with its length; frames the device produced meanwhile
 * show up as sequence-number gaps (lost frames) once it is back. Open failures are explained (permission,
 * busy, missing) and logged once per kind of failure, not on every retry. Nothing here throws into the
 * agent after start() resolves.
 *
 * About reading: serialport opens the port (termios: raw, baud rate; an exclusive lock) and writes, but
 * its read path costs a thread-pool round trip and a poller wake-up per chunk, about three times the CPU
 * of everything else at a 1 kHz frame rate. So where the port is a tty (always, on Linux) the source reads
 * through a second descriptor wrapped in node:tty's ReadStream (epoll, no thread pool); `reader:
 * 'serialport'` keeps serialport's own stream.
 */
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { basename } from 'node:path';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import type { SerialPort as SerialPortType } from 'serialport';
import type { SerialPortConfig } from '../config/serial.js';
import { MonotonicClock, type Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { backoffDelayMs } from '../core/backoff.js';
import { DeviceSession, type DeviceSessionStats } from '../serial/device-session.js';
import { classifyOpenError, explainOpenError, type OpenFailure } from '../serial/open-error.js';
import { describeUsbMatch, listSerialPorts, matchPorts, type PortInfo } from '../serial/port-select.js';
import type { SampleSink, SampleSource, SourceStats } from './source.js';

export interface SerialSourceOptions {
  port: SerialPortConfig;
  logger?: Logger;
  /** Agent clock. @default a MonotonicClock */
  clock?: Clock;
  /** Random source for backoff jitter. @default Math.random */
  random?: () => number;
  /** How ports are listed for USB matching. @default listSerialPorts (udev, else sysfs) */
  listPorts?: () => Promise<PortInfo[]>;
  /** Session housekeeping period (time-sync pacing), ms. @default 50 */
  tickMs?: number;
  /** How bytes are read: 'auto' = a node:tty stream where the port is a tty, else serialport's. @default 'auto' */
  reader?: 'auto' | 'serialport';
}

type State = 'idle' | 'opening' | 'open' | 'waiting' | 'stopped';

function serialSensorPrefix(port: SerialPortConfig): string {
  if (port.id !== '') return port.id;
  if (port.path !== '') return basename(port.path);
  return `usb-${port.usb.vendorId || 'any'}-${port.usb.productId || 'any'}${port.usb.serialNumber ? `-${port.usb.serialNumber}` : ''}`;
}

export class SerialSource implements SampleSource {
  readonly name: string;
  readonly #cfg: SerialPortConfig;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #listPorts: () => Promise<PortInfo[]>;
  readonly #tickMs: number;
  readonly #reader: 'auto' | 'serialport';
  #ttyReader: TtyReadStream | undefined;
  #session: DeviceSession | undefined;
  #port: SerialPortType | undefined;
  #state: State = 'idle';
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #path = '';
  #lastFailure: OpenFailure | 'nomatch' | undefined;
  #lastError = '';
  // outage accounting
  #disconnectedAt: bigint | undefined;
  #connects = 0;
  #disconnects = 0;
  #gaps = 0;
  #gapMsTotal = 0;
  #lastGapMs = 0;
  #openFailures = 0;
  #portErrors = 0;
  #callbackErrors = 0;
  #internalErrors = 0;

  constructor(options: SerialSourceOptions) {
    const { port, logger = silentLogger(), clock = new MonotonicClock(), random = Math.random, listPorts, tickMs = 50, reader = 'auto' } = options;
    this.#reader = reader;
    this.#cfg = port;
    this.#log = logger;
    this.#clock = clock;
    this.#random = random;
    this.#listPorts = listPorts ?? (async () => (await listSerialPorts()).ports);
    this.#tickMs = tickMs;
    this.name = `serial:${serialSensorPrefix(port)}`;
  }

  async start(onSample: SampleSink): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`${this.name}: start() called twice`);
    const prefix = serialSensorPrefix(this.#cfg);
    this.#session = new DeviceSession({
      sensorPrefix: prefix,
      send: (bytes) => this.#write(bytes),
      onSample: (s) => {
        if (this.#state === 'stopped') return;
        // the consumer's bug must not kill the link; count it and say so once. Live: the source cannot wait
        // for the consumer (SampleSink), so a rejection counts like a throw.
        const failed = (err: unknown) => {
          if (this.#callbackErrors++ === 0) this.#log.error({ err: errorMessage(err) }, `${this.name}: sample consumer threw`);
        };
        try {
          onSample(s)?.catch(failed);
        } catch (err) {
          failed(err);
        }
      },
      now: () => this.#clock.now(),
      logger: this.#log,
      syncIntervalMs: this.#cfg.timeSyncIntervalSeconds * 1000,
      garbageBytes: this.#cfg.garbageBytes,
      baudRate: this.#cfg.baudRate,
    });
    this.#tickTimer = setInterval(() => this.#session?.tick(), this.#tickMs);
    this.#tickTimer.unref?.();
    this.#disconnectedAt = this.#clock.now();
    await this.#connect();
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    clearTimeout(this.#retryTimer);
    clearInterval(this.#tickTimer);
    const port = this.#port;
    this.#port = undefined;
    this.#closeTtyReader();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  stats(): SourceStats {
    const s = this.#session?.stats();
    return {
      received: s?.received ?? 0,
      decoded: s?.decoded ?? 0,
      skipped: s?.skipped ?? 0,
      bad: s?.bad ?? 0,
      dropped: s?.dropped ?? 0,
      connected: this.#state === 'open',
      detail: {
        path: this.#path,
        device: s?.device ?? '',
        connects: this.#connects,
        disconnects: this.#disconnects,
        reconnects: Math.max(0, this.#connects - 1),
        gaps: this.#gaps,
        gapMsTotal: this.#gapMsTotal,
        lastGapMs: this.#lastGapMs,
        openFailures: this.#openFailures,
        lastError: this.#lastError,
        bytes: s?.decoder.bytes ?? 0,
        crcErrors: s?.decoder.badByReason.crc ?? 0,
        cobsErrors: s?.decoder.badByReason.cobs ?? 0,
        badFrames: s?.decoder.bad ?? 0,
        unknownType: s?.decoder.unknownType ?? 0,
        lostFrames: s?.lostFrames ?? 0,
        replayed: s?.replayed ?? 0,
        lostAudioSamples: s?.lostAudioSamples ?? 0,
        deviceRestarts: s?.deviceRestarts ?? 0,
        deviceErrors: s?.deviceErrors ?? 0,
        deviceTxDropped: s?.deviceTxDropped ?? 0,
        timeSyncs: s?.syncs ?? 0,
        clockMode: s?.clockMode ?? 'none',
        clockDriftPpm: Math.round((s?.driftPpm ?? 0) * 10) / 10,
        garbage: s?.garbage ?? false,
        portErrors: this.#portErrors,
        consumerErrors: this.#callbackErrors,
        internalErrors: this.#internalErrors,
      },
    };
  }

  /** The protocol session's full counters (per-stream losses, clock), beyond what stats() flattens. */
  linkStats(): DeviceSessionStats | undefined {
    return this.#session?.stats();
  }

  async #resolvePath(): Promise<string | undefined> {
    if (this.#cfg.path !== '') return this.#cfg.path;
    const matches = matchPorts(await this.#listPorts(), this.#cfg.usb);
    if (matches.length > 1) {
      this.#logOnce('nomatch', `${this.name}: ${matches.length} ports match ${describeUsbMatch(this.#cfg.usb)} (${matches.map((m) => m.path).join(', ')}); using ${matches[0]!.path}. Set usb.serialNumber to choose.`);
    }
    return matches[0]?.path;
  }

  /** One connection attempt; whatever goes wrong becomes a logged, counted retry, never a rejection. */
  async #connect(): Promise<void> {
    try {
      await this.#tryConnect();
    } catch (err) {
      if (this.#state === 'stopped' || this.#state === 'open') return;
      this.#openFailures++;
      this.#lastError = `cannot open ${this.#path || 'the port'}: ${errorMessage(err)}`;
      this.#logOnce('other', `${this.name}: ${this.#lastError}`);
      this.#scheduleRetry();
    }
  }

  async #tryConnect(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'opening';
    let path: string | undefined;
    try {
      path = await this.#resolvePath();
    } catch (err) {
      this.#lastError = errorMessage(err);
    }
    if (this.#state !== 'opening') return;
    if (path === undefined) {
      this.#lastError = `no serial port matches ${describeUsbMatch(this.#cfg.usb)}`;
      this.#logOnce('nomatch', `${this.name}: ${this.#lastError} (unplugged? see docs/serial.md); retrying`);
      this.#scheduleRetry();
      return;
    }
    this.#path = path;
    const { SerialPort } = await import('serialport');
    const port = new SerialPort({ path, baudRate: this.#cfg.baudRate, autoOpen: false, lock: true });
    port.on('error', (err) => {
      this.#portErrors++;
      this.#lastError = errorMessage(err);
      this.#log.debug({ err: this.#lastError }, `${this.name}: port error`);
    });
    const opened = await new Promise<unknown>((resolve) => port.open((err) => resolve(err ?? null)));
    if (this.#state !== 'opening') {
      if (port.isOpen) port.close();
      return;
    }
    if (opened !== null) {
      this.#openFailures++;
      const kind = classifyOpenError(opened);
      this.#lastError = explainOpenError(kind, path, opened);
      this.#logOnce(kind, `${this.name}: ${this.#lastError}`);
      this.#scheduleRetry();
      return;
    }
    this.#port = port;
    this.#state = 'open';
    this.#attempt = 0;
    this.#lastFailure = undefined;
    this.#connects++;
    const now = this.#clock.now();
    if (this.#disconnectedAt !== undefined && this.#connects > 1) {
      this.#gaps++;
      this.#lastGapMs = Number(now - this.#disconnectedAt) / 1e6;
      this.#gapMsTotal += this.#lastGapMs;
      this.#log.warn({ path, gapMs: Math.round(this.#lastGapMs) }, `${this.name}: reconnected to ${path} after ${Math.round(this.#lastGapMs)} ms`);
    } else {
      this.#log.info({ path, baudRate: this.#cfg.baudRate }, `${this.name}: opened ${path}`);
    }
    this.#disconnectedAt = undefined;
    const session = this.#session!;
    const onData = (chunk: Buffer) => {
      if (this.#state !== 'open' || this.#port !== port) return;
      try {
        session.receive(chunk, this.#clock.now());
      } catch (err) {
        // a decoder bug must not take the agent down: count it, say it once, keep reading
        if (this.#internalErrors++ === 0) this.#log.error({ err: errorMessage(err) }, `${this.name}: internal error while decoding (please report)`);
      }
    };
    const reader = this.#reader === 'auto' ? this.#openTtyReader(path) : undefined;
    if (reader !== undefined) {
      this.#ttyReader = reader;
      reader.on('data', onData);
      // EIO/ENXIO when the device or the pty's other side goes away
      reader.on('error', (err) => this.#onClose(port, err));
      reader.on('end', () => this.#onClose(port, new Error('end of stream')));
      reader.on('close', () => this.#onClose(port, new Error('reader closed')));
    } else {
      port.on('data', onData);
    }
    port.on('close', (err: unknown) => this.#onClose(port, err));
    session.connected();
  }

  /** A second descriptor on the tty, read through libuv's epoll-driven tty handle; undefined if not a tty. */
  #openTtyReader(path: string): TtyReadStream | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);
      if (!isatty(fd)) {
        closeSync(fd);
        return undefined;
      }
      return new TtyReadStream(fd);
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      this.#log.debug({ err: errorMessage(err) }, `${this.name}: reading through serialport`);
      return undefined;
    }
  }

  #closeTtyReader(): void {
    const reader = this.#ttyReader;
    this.#ttyReader = undefined;
    if (reader !== undefined && !reader.destroyed) {
      reader.removeAllListeners('data');
      reader.on('error', () => {}); // late errors of a stream being torn down
      reader.destroy();
    }
  }

  #onClose(port: SerialPortType, err: unknown): void {
    if (this.#port !== port || this.#state === 'stopped') return;
    this.#port = undefined;
    this.#closeTtyReader();
    if (port.isOpen) port.close(() => {}); // the reader saw the loss first; release the lock too
    this.#state = 'waiting';
    this.#disconnects++;
    this.#disconnectedAt = this.#clock.now();
    this.#session?.disconnected();
    const why = err ? errorMessage(err) : 'closed';
    this.#lastError = why;
    this.#log.warn({ path: this.#path }, `${this.name}: lost ${this.#path} (${why}); reconnecting`);
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#state === 'stopped') return;
    this.#state = 'waiting';
    const delay = backoffDelayMs(this.#attempt++, this.#cfg.reconnect, this.#random);
    this.#log.debug({ attempt: this.#attempt, delayMs: delay }, `${this.name}: retry in ${delay} ms`);
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
  }

  #logOnce(kind: OpenFailure | 'nomatch', message: string): void {
    if (this.#lastFailure === kind) return;
    this.#lastFailure = kind;
    if (kind === 'missing') this.#log.info(message);
    else this.#log.warn(message);
  }

  #write(bytes: Uint8Array): void {
    const port = this.#port;
    if (port === undefined || this.#state !== 'open') return;
    port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), (err) => {
      if (err) this.#lastError = errorMessage(err);
    });
  }
}

/** One source per configured port. */
export function createSerialSources(ports: readonly SerialPortConfig[], options: Omit<SerialSourceOptions, 'port'> = {}): SerialSource[] {
  return ports.map((port) => new SerialSource({ ...options, port }));
}
