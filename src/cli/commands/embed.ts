// Placeholder until the issue that builds `sensebind embed` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'embed',
  summary: 'not available in this build',
  help: 'sensebind embed: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind embed: not available in this build yet\n');
    return 2;
  },
};
