// Placeholder until the issue that builds `sensebind dataset` lands; it says so instead of pretending.
import type { Command } from '../command.js';

export const command: Command = {
  name: 'dataset',
  summary: 'not available in this build',
  help: 'sensebind dataset: not available in this build yet',
  async run(_argv, ctx) {
    ctx.stderr.write('sensebind dataset: not available in this build yet\n');
    return 2;
  },
};
