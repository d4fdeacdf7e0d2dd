// Placeholder until the issue that builds `sensebind run` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'run',
  summary: 'not available in this build',
  help: 'sensebind run: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind run: not available in this build yet\n');
    return 2;
  },
};
