// Placeholder until the issue that builds `sensebind demo` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'demo',
  summary: 'not available in this build',
  help: 'sensebind demo: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind demo: not available in this build yet\n');
    return 2;
  },
};
