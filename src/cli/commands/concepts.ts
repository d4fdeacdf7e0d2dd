// Placeholder until the issue that builds `sensebind concepts` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'concepts',
  summary: 'not available in this build',
  help: 'sensebind concepts: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind concepts: not available in this build yet\n');
    return 2;
  },
};
