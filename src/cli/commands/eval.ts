// Placeholder until the issue that builds `sensebind eval` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'eval',
  summary: 'not available in this build',
  help: 'sensebind eval: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind eval: not available in this build yet\n');
    return 2;
  },
};
