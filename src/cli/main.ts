/**
 * sensebind's entry point: global flags, then one sub-command from the registry.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
 */
import { readFileSync } from 'node:fs';
import { SensebindError, errorMessage } from '../core/errors.js';
import { createLogger, type LogFormat } from '../core/log.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CliContext, Command } from './command.js';
import { COMMANDS } from './registry.js';

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return [
    'sensebind: on-robot multimodal event agent',
    '',
    'usage: sensebind [global options] <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'global options:',
    '  --config <file>     config file (default ./sensebind.yaml if present, else built-in defaults)',
    '  --log-level <lvl>   trace|debug|info|warn|error|silent (overrides log.level)',
    '  --log-format <f>    auto|json|pretty (overrides log.format)',
    '  -h, --help          this help; `sensebind <command> --help` for a command',
    '  -v, --version       print the version',
    '',
  ].join('\n');
}

interface GlobalFlags {
  configPath?: string;
  logLevel?: string;
  logFormat?: string;
  help: boolean;
  version: boolean;
}

/** Global flags come before the command name; everything after it belongs to the command. */
function splitGlobal(argv: string[]): { flags: GlobalFlags; rest: string[] } {
  const flags: GlobalFlags = { help: false, version: false };
  let i = 0;
  const valueOf = (flag: string): string => {
    const value = argv[i + 1];
    if (value === undefined) throw new SensebindError('USAGE', `${flag} needs a value`);
    i += 2;
    return value;
  };
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === '--config') flags.configPath = valueOf(arg);
    else if (arg.startsWith('--config=')) {
      flags.configPath = arg.slice(9);
      i++;
    }
    else if (arg === '--log-level') flags.logLevel = valueOf(arg);
    else if (arg === '--log-format') flags.logFormat = valueOf(arg);
    else if (arg === '-h' || arg === '--help') {
      flags.help = true;
      i++;
    }
    else if (arg === '-v' || arg === '--version') {
      flags.version = true;
      i++;
    }
    else if (arg.startsWith('-')) throw new SensebindError('USAGE', `unknown global option ${arg} (see sensebind --help)`);
    else break;
  }
  return { flags, rest: argv.slice(i) };
}

const GLOBAL_WITH_VALUE: Readonly<Record<string, 'configPath' | 'logLevel' | 'logFormat'>> = { '--config': 'configPath', '--log-level': 'logLevel', '--log-format': 'logFormat' };

/**
 * Global options with a value may also follow the command (`config print --config x.yaml`): users write
 * them there, and silently ignoring one would print or run with the defaults. Taken out of the command's
 * arguments; the same option given twice with different values is refused.
 */
function takeGlobalsAfterCommand(argv: readonly string[], flags: GlobalFlags): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const key = GLOBAL_WITH_VALUE[name];
    if (key === undefined) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '') throw new SensebindError('USAGE', `${name} needs a value`);
    const before = flags[key];
    if (before !== undefined && before !== value) throw new SensebindError('USAGE', `${name} given twice (${before} and ${value})`);
    flags[key] = value;
  }
  return rest;
}

/** ROS 2 launch appends `--ros-args ...` (remappings, parameters); rclnodejs reads those from process.argv itself. */
export function stripRosArgs(argv: string[]): string[] {
  const at = argv.indexOf('--ros-args');
  return at === -1 ? argv : argv.slice(0, at);
}

export async function runCli(rawArgv: string[], io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {}): Promise<number> {
  const argv = stripRosArgs(rawArgv);
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  let parsed: { flags: GlobalFlags; rest: string[] };
  try {
    parsed = splitGlobal(argv);
  } catch (err) {
    stderr.write(`sensebind: ${errorMessage(err)}\n`);
    return 2;
  }
  const { flags, rest } = parsed;
  if (flags.version) {
    stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const [name, ...afterName] = rest;
  let commandArgv: string[];
  try {
    commandArgv = takeGlobalsAfterCommand(afterName, flags);
  } catch (err) {
    stderr.write(`sensebind: ${errorMessage(err)}\n`);
    return 2;
  }
  if (name === undefined || flags.help || name === 'help') {
    const target = name === 'help' ? commandArgv[0] : undefined;
    if (target !== undefined && COMMANDS[target]) {
      const { command } = await COMMANDS[target]!.load();
      stdout.write(`${command.help}\n`);
      return 0;
    }
    stdout.write(usage());
    return name === undefined && !flags.help ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    stderr.write(`sensebind: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  const overrides: Record<string, unknown> = {};
  if (flags.logLevel) overrides['log.level'] = flags.logLevel;
  if (flags.logFormat) overrides['log.format'] = flags.logFormat;
  let logger = createLogger({ level: flags.logLevel ?? 'info', format: (flags.logFormat as LogFormat | undefined) ?? 'auto' });
  let cached: Config | undefined;
  const ctx: CliContext = {
    stdout,
    stderr,
    get logger() {
      return logger;
    },
    configPath: flags.configPath,
    async loadConfig() {
      if (cached) return cached;
      const { config, source } = await loadConfig({ ...(flags.configPath !== undefined ? { path: flags.configPath } : {}), overrides });
      cached = config;
      logger = createLogger({ level: config.log.level, format: config.log.format });
      logger.debug({ source }, 'config loaded');
      return config;
    },
  };
  const { command } = await entry.load();
  if (commandArgv.includes('--help') || commandArgv.includes('-h')) {
    stdout.write(`${command.help}\n`);
    return 0;
  }
  return runCommand(command, commandArgv, ctx);
}

/** Exit code for an error a command threw: 2 for usage and config errors, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  return err instanceof SensebindError && (err.code === 'USAGE' || err.code === 'CONFIG') ? 2 : 1;
}

/** Runs one command, turning what it throws into a message on stderr and an exit code. */
export async function runCommand(command: Command, argv: string[], ctx: CliContext): Promise<number> {
  try {
    return await command.run(argv, ctx);
  } catch (err) {
    if (err instanceof SensebindError) {
      // Some messages already name the command; do not say it twice.
      const prefix = `sensebind ${command.name}: `;
      ctx.stderr.write(`${err.message.startsWith(prefix) ? '' : prefix}${err.message}\n`);
    } else {
      ctx.stderr.write(`sensebind ${command.name}: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    return exitCodeFor(err);
  }
}
