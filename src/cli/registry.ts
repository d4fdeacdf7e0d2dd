/**
 * Every sub-command, in one place. Each entry loads its module lazily.
 * To add a command: create src/cli/commands/<name>.ts exporting `command: Command`, then add one line here.
 */
import type { Command } from './command.js';

export interface CommandEntry {
  summary: string;
  load: () => Promise<{ command: Command }>;
}

export const COMMANDS: Record<string, CommandEntry> = {
  run: { summary: 'run the agent on live sources until SIGTERM/SIGINT', load: () => import('./commands/run.js') },
  replay: { summary: 'run the whole pipeline on a recorded bag (MCAP, ROS 1 .bag)', load: () => import('./commands/replay.js') },
  demo: { summary: 'simulate a scene and replay it in real time with the bundled model (npm start)', load: () => import('./commands/demo.js') },
  preprocess: { summary: 'turn one input file into the exact tensor a model expects', load: () => import('./commands/preprocess.js') },
  embed: { summary: 'embed one input file or text with a model', load: () => import('./commands/embed.js') },
  simulate: { summary: 'write a simulated robot sensor bag with ground truth', load: () => import('./commands/simulate.js') },
  dataset: { summary: 'export training tensors from simulated bags', load: () => import('./commands/dataset.js') },
  eval: { summary: 'score emitted events against a bag\'s ground truth', load: () => import('./commands/eval.js') },
  calibrate: { summary: 'set concept thresholds from event-free recordings for a target false-event rate', load: () => import('./commands/calibrate.js') },
  concepts: { summary: 'list, add, remove, teach concepts in the concept memory', load: () => import('./commands/concepts.js') },
  search: { summary: 'search the remembered embeddings by text or example (recall)', load: () => import('./commands/search.js') },
  bench: { summary: 'run a benchmark from bench/', load: () => import('./commands/bench.js') },
  doctor: { summary: 'check this machine: Node, ONNX Runtime providers, ROS 2, serial ports, models', load: () => import('./commands/doctor.js') },
  config: { summary: 'print the effective configuration (config print)', load: () => import('./commands/config.js') },
};
