// Placeholder until the issue that builds `sensebind bench` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'bench',
  summary: 'not available in this build',
  help: 'sensebind bench: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind bench: not available in this build yet\n');
    return 2;
  },
};
