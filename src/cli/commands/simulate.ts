// Placeholder until the issue that builds `sensebind simulate` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'simulate',
  summary: 'not available in this build',
  help: 'sensebind simulate: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind simulate: not available in this build yet\n');
    return 2;
  },
};
