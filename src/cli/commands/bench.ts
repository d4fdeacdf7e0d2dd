/**
 * `sensebind bench <name>`: runs a benchmark compiled from src/bench/<name>.ts. A bench module either
 * exports `main(argv)` or runs on import; it prints its figures as JSON on stdout.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { SensebindError } from '../../core/errors.js';
import type { Command } from '../command.js';

const benchDir = new URL('../../bench/', import.meta.url);

async function available(): Promise<string[]> {
  try {
    const files = await readdir(fileURLToPath(benchDir));
    return files.filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
  } catch {
    return [];
  }
}

export const command: Command = {
  name: 'bench',
  summary: 'run a benchmark',
  help: [
    'usage: sensebind bench <name> [bench options]',
    '',
    'Runs one benchmark and prints its figures as JSON. `sensebind bench list` lists them.',
    'Benchmarks compare ratios measured in one run; absolute numbers depend on the machine.',
  ].join('\n'),
  async run(argv, ctx) {
    const [name, ...rest] = argv;
    const names = await available();
    if (name === undefined || name === 'list') {
      ctx.stdout.write(`${names.join('\n')}\n`);
      return name === undefined ? 2 : 0;
    }
    if (!names.includes(name)) throw new SensebindError('USAGE', `no benchmark "${name}" (available: ${names.join(', ') || 'none'})`);
    const mod = (await import(new URL(`${name}.js`, benchDir).href)) as { main?: (argv: string[]) => Promise<unknown> };
    if (typeof mod.main === 'function') await mod.main(rest);
    return 0;
  },
};
