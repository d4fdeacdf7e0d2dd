import { stringify } from 'yaml';
import { SensebindError } from '../../core/errors.js';
import type { Command } from '../command.js';

export const command: Command = {
  name: 'config',
  summary: 'print the effective configuration',
  help: [
    'usage: sensebind [--config <file>] config print [--json]',
    '',
    'Prints the effective configuration: the file (if any) validated, every default filled in.',
    '  --json   print JSON instead of YAML',
  ].join('\n'),
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub !== 'print') throw new SensebindError('USAGE', `expected "config print", got "${sub ?? ''}"`);
    const config = await ctx.loadConfig();
    ctx.stdout.write(rest.includes('--json') ? `${JSON.stringify(config, null, 2)}\n` : stringify(config));
    return 0;
  },
};
