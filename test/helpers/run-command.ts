// Runs a CLI command in-process exactly as bin/sensebind.js does (main.ts's runCommand: errors become a
// message on stderr and exit code 2 or 1), capturing stdout and stderr.
import { PassThrough } from 'node:stream';
import type { CliContext, Command } from '../../src/cli/command.js';
import { runCommand } from '../../src/cli/main.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/core/log.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCommandCaptured(command: Command, argv: string[], loadConfig: () => Promise<Config>): Promise<CommandResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const ctx: CliContext = {
    stdout,
    stderr,
    logger: createLogger({ level: 'silent', format: 'json' }),
    configPath: undefined,
    loadConfig,
  };
  const code = await runCommand(command, argv, ctx);
  return { code, stdout: out, stderr: err };
}
