/**
 * The shape every CLI sub-command implements. Commands live one per file in ./commands/ and are listed in
 * ./registry.ts; they are imported lazily so `sensebind --help` never loads ONNX Runtime or sharp.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SensebindError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Config } from '../config/schema.js';

export interface CliContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  logger: Logger;
  /** Path given with --config, if any. */
  configPath: string | undefined;
  /** Loads and validates the effective config (file, then CLI overrides); throws SensebindError('CONFIG'). */
  loadConfig(): Promise<Config>;
}

export interface Command {
  name: string;
  summary: string;
  /** Full help text: usage line and options. */
  help: string;
  /** Returns the process exit code. */
  run(argv: string[], ctx: CliContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * A negative number after a string option ("--speed -1") reads to parseArgs as another option and fails
 * with "argument is ambiguous"; joined as "--speed=-1" it parses, and the flag's own check can say what
 * range it takes.
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** parseArgs with strict checking; unknown flags become a USAGE error (main.ts prefixes the command name). */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new SensebindError('USAGE', `${(err as Error).message} (see sensebind ${command} --help)`);
  }
}

/** Parses a numeric flag, naming the flag in the error. */
export function numberFlag(command: string, flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new SensebindError('USAGE', `--${flag} expects a number, got "${value}"`);
  }
  return n;
}

/** Parses --hop: seconds between snapshots, > 0 (0 or less would never advance and grow memory without bound). */
export function hopFlag(command: string, value: string | undefined, fallback: number): number {
  const hop = numberFlag(command, 'hop', value, fallback);
  if (!(hop > 0) || hop > 60) throw new SensebindError('USAGE', `sensebind ${command}: --hop expects seconds between snapshots, > 0 and <= 60, got ${value}`);
  return hop;
}

/** Throws a USAGE error when a required flag is missing. */
export function requireFlag(command: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new SensebindError('USAGE', `--${flag} is required (see sensebind ${command} --help)`);
  }
  return value;
}
