/**
 * Structured logging with pino: JSON lines in production (journald, log shippers), readable lines on a
 * terminal. Secrets never go through here: callers log names of credentials, not values.
 */
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  /** @default 'info' */
  level?: string;
  /** 'auto' = pretty when stderr is a TTY, JSON otherwise. @default 'auto' */
  format?: LogFormat;
  /** Where lines go. @default stderr (stdout is for command output such as JSON results) */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const { level = 'info', format = 'auto', destination = process.stderr } = options;
  const pretty = format === 'pretty' || (format === 'auto' && (destination as { isTTY?: boolean }).isTTY === true);
  if (pretty) {
    return pino(
      { level, base: null },
      pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } }),
    );
  }
  return pino({ level, base: null, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** A logger that drops everything; for tests and library callers that do not want logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
