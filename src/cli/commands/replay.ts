// Placeholder until the issue that builds `sensebind replay` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'replay',
  summary: 'not available in this build',
  help: 'sensebind replay: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind replay: not available in this build yet\n');
    return 2;
  },
};
