// Placeholder until the issue that builds `sensebind preprocess` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'preprocess',
  summary: 'not available in this build',
  help: 'sensebind preprocess: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind preprocess: not available in this build yet\n');
    return 2;
  },
};
