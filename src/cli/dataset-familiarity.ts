// `sensebind dataset familiarity`: the familiarity gate's table (src/match/familiarity.ts) from recordings
// with ground truth, e.g. simulated training scenes (never the scenes the figures are measured on).
import { writeFile } from 'node:fs/promises';
import { SensebindError, cannotWrite } from '../core/errors.js';
import { numberFlag, requireFlag, type Command } from './command.js';
import { pipelineOptions } from './pipeline-flags.js';
import { collectBags } from '../eval/study.js';
import { buildFamiliarity } from '../eval/familiarity-build.js';
import { serializeFamiliarityTable } from '../match/familiarity.js';

export async function familiarityCommand(
  bags: string[],
  values: { model?: string | undefined; concepts?: string | undefined; state?: string | undefined; out?: string | undefined; 'per-modality'?: string | undefined; 'core-from'?: string | undefined },
  ctx: Parameters<Command['run']>[1],
): Promise<number> {
  if (bags.length < 2) throw new SensebindError('USAGE', 'sensebind dataset familiarity: give at least two recordings with ground truth (each is left out once to set the floors)');
  const out = requireFlag('dataset', 'out', values.out);
  const perModality = numberFlag('dataset', 'per-modality', values['per-modality'], 32);
  if (!(Number.isInteger(perModality) && perModality >= 1)) throw new SensebindError('USAGE', `sensebind dataset: --per-modality must be a whole number >= 1, got ${perModality}`);
  const coreFromSeconds = numberFlag('dataset', 'core-from', values['core-from'], 1);
  if (!(coreFromSeconds >= 0)) throw new SensebindError('USAGE', `sensebind dataset: --core-from must be >= 0 s, got ${coreFromSeconds}`);
  const config = await ctx.loadConfig();
  // Without the gate: a table for a retrained model must be buildable while the old one is in place.
  const { familiarity: _old, ...options } = await pipelineOptions(ctx, values);
  const started = Date.now();
  const collected = await collectBags(bags, config, options, ctx.logger);
  const events = collected.collected.reduce((a, b) => a + b.truth.length, 0);
  if (events === 0) throw new SensebindError('INPUT', `sensebind dataset familiarity: no ground truth (/sensebind/truth) in ${bags.join(', ')}`);
  const modelId = collected.collected.flatMap((b) => b.snapshots.flatMap((s) => Object.values(s.embeddings).map((e) => e.modelId)))[0];
  const dim = collected.state.prototypes?.dim;
  if (modelId === undefined || dim === undefined) throw new SensebindError('INPUT', `sensebind dataset familiarity: nothing was embedded from ${bags.join(', ')}`);
  const table = buildFamiliarity(collected.collected, collected.state.concepts, { id: modelId, dim }, { perModality, coreFromSeconds });
  try {
    await writeFile(out, serializeFamiliarityTable(table));
  } catch (err) {
    throw cannotWrite('familiarity file', out, err);
  }
  const entries = Object.fromEntries([...table.concepts].map(([id, e]) => [id, Object.fromEntries(Object.entries(e).map(([m, x]) => [m, { exemplars: x.count, heldIn: x.heldIn.length }]))]));
  ctx.stdout.write(`${JSON.stringify({ out, modelId, dim, scenes: bags.length, events, perModality, coreFromSeconds, entries, wallSeconds: Math.round((Date.now() - started) / 1000) })}\n`);
  return 0;
}
