// `sensebind concepts`: list, add, remove, enable, disable and teach concepts in a persisted concept memory.
import { SensebindError } from '../../core/errors.js';
import { SENSOR_MODALITIES, type SensorModality } from '../../core/types.js';
import { numberFlag, parseCommandArgs, requireFlag, type Command } from '../command.js';
import { PIPELINE_FLAGS, parseModalityList, pipelineOptions } from '../pipeline-flags.js';
import type { Config } from '../../config/schema.js';
import { openPipeline } from '../../pipeline/open.js';
import { runBag } from '../../pipeline/run-bag.js';
import { bagProgress } from '../progress.js';
import { exemplarsFromSnapshots } from '../../memory/exemplar.js';
import { ConceptMemory } from '../../memory/memory.js';
import { applyConceptCommand, type ConceptCommand, type ConceptCommandReply } from '../../memory/commands.js';
import type { ConceptInput } from '../../memory/concept.js';
import { MATCH_DEFAULTS } from '../../config/match.js';
import { formatCalibrationTable } from '../../eval/calibrate.js';

const DEFAULT_STATE = '.sensebind/concepts.sbm';

const HELP = `Usage: sensebind concepts <action> [args] [options]

Edits the persisted concept memory (--state; default: config match.stateFile, else ${DEFAULT_STATE});
the first edit seeds it from --concepts (default: the bundled concepts/default.yaml). \`sensebind run\`
uses the same memory when config match.stateFile names that file.

Actions:
  list                          concepts with thresholds, modalities and exemplar counts (JSON)
  add <id> [--label <text>] [--prompt <text> ...] [--modalities a,b] [--on x --off y]
           [--cooldown s] [--needs-one-of a,b] [--body-motion] [--background] [--replace]
                                embeds the prompts with the model; --replace overwrites a concept
                                with the same id (else an existing id is refused); --needs-one-of:
                                it fires only while one of these gives evidence; --body-motion: a
                                motion of the robot's body, ruled out while the IMU is at rest
  remove <id> | enable <id> | disable <id>
  teach <id> --bag <file> --from <s> --to <s> [--modalities a,b]
                                the mean embedding of the bag's snapshots between --from and --to
                                (seconds from the bag's start) becomes one exemplar per modality
  background freeze | unfreeze | reset | status
                                the live background estimate (config match.background): stop or
                                resume its learning, forget it, or ask how it stands; a running
                                agent on the same state file follows within seconds
  background show [--format table|json]
                                the estimate per concept, as calibrate's table (default table)

Options:
  --state <file>      concept memory file (default: config match.stateFile, else ${DEFAULT_STATE})
  --concepts <file>   concept file that seeds a new memory
  --model <dir>       model folder (default: config model.dir)
Prints the command's reply as JSON; exit 1 when the memory refused the command.`;

export const command: Command = {
  name: 'concepts',
  summary: 'list, add, remove, teach concepts in the concept memory',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('concepts', argv, {
      ...PIPELINE_FLAGS,
      label: { type: 'string' },
      prompt: { type: 'string', multiple: true },
      modalities: { type: 'string' },
      on: { type: 'string' },
      off: { type: 'string' },
      cooldown: { type: 'string' },
      background: { type: 'boolean' },
      'needs-one-of': { type: 'string' },
      'body-motion': { type: 'boolean' },
      replace: { type: 'boolean' },
      bag: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help === true || positionals.length === 0) {
      ctx.stdout.write(`${HELP}\n`);
      return values.help === true ? 0 : 2;
    }
    const [action, id, ...rest] = positionals;
    if (rest.length > 0) throw new SensebindError('USAGE', `sensebind concepts: unexpected arguments ${rest.join(' ')}`);
    const config = await ctx.loadConfig();
    const stateFile = values.state ?? (config.match.stateFile !== '' ? config.match.stateFile : DEFAULT_STATE);
    const options = await pipelineOptions(ctx, { ...values, state: stateFile });
    const needId = () => {
      if (id === undefined) throw new SensebindError('USAGE', `sensebind concepts ${action}: expected a concept id`);
      return id;
    };
    let cmd: ConceptCommand;
    switch (action) {
      case 'list': {
        const memory = await ConceptMemory.open({ stateFile, conceptFile: options.conceptFile as string, logger: ctx.logger });
        return reply(ctx, await applyConceptCommand(memory, { op: 'list' }));
      }
      case 'remove':
      case 'enable':
      case 'disable':
        cmd = { op: action, id: needId() };
        break;
      case 'add': {
        const concept: ConceptInput = { id: needId() };
        if (values.label !== undefined) concept.label = values.label;
        if (values.prompt !== undefined) concept.prompts = values.prompt;
        if (values.modalities !== undefined) concept.modalities = parseModalityList('modalities', values.modalities);
        if (values.on !== undefined || values.off !== undefined) {
          concept.thresholds = { on: numberFlag('concepts', 'on', requireFlag('concepts', 'on', values.on), 0), off: numberFlag('concepts', 'off', requireFlag('concepts', 'off', values.off), 0) };
        }
        if (values.cooldown !== undefined) concept.cooldownSeconds = numberFlag('concepts', 'cooldown', values.cooldown, 0);
        if (values['needs-one-of'] !== undefined) concept.needsOneOf = parseModalityList('needs-one-of', values['needs-one-of']);
        if (values['body-motion'] === true) concept.bodyMotion = true;
        if (values.background === true) concept.background = true;
        cmd = values.replace === true ? { op: 'add', concept, replace: true } : { op: 'add', concept };
        break;
      }
      case 'teach': {
        const bag = requireFlag('concepts', 'bag', values.bag);
        const from = numberFlag('concepts', 'from', requireFlag('concepts', 'from', values.from), 0);
        const to = numberFlag('concepts', 'to', requireFlag('concepts', 'to', values.to), 0);
        if (!(to > from)) throw new SensebindError('USAGE', `sensebind concepts teach: --to (${to}) must be after --from (${from})`);
        const wanted: SensorModality[] = values.modalities !== undefined ? parseModalityList('modalities', values.modalities) : [...SENSOR_MODALITIES];
        const embeddings = await bagRangeEmbeddings(config, options, bag, from, to, wanted, ctx);
        cmd = { op: 'teach', id: needId(), embeddings };
        if (values.modalities !== undefined) cmd.modalities = wanted;
        break;
      }
      case 'background':
        return background(ctx, options, id, values.format);
      default:
        throw new SensebindError('USAGE', `sensebind concepts: unknown action "${String(action)}" (list, add, remove, enable, disable, teach, background)`);
    }
    const pipeline = await openPipeline(options, { logger: ctx.logger });
    try {
      return reply(ctx, await pipeline.control.apply(cmd, 'cli'));
    } finally {
      await pipeline.close();
    }
  },
};

const BACKGROUND_ACTIONS = ['freeze', 'unfreeze', 'reset', 'status', 'show'] as const;

/** `concepts background <action>`: through the control plane like every other command; `show` prints the table. */
async function background(ctx: Parameters<Command['run']>[1], options: Awaited<ReturnType<typeof pipelineOptions>>, action: string | undefined, format = 'table'): Promise<number> {
  const a = BACKGROUND_ACTIONS.find((x) => x === action);
  if (a === undefined) throw new SensebindError('USAGE', `sensebind concepts background: expected one of ${BACKGROUND_ACTIONS.join(', ')}${action === undefined ? '' : `, got "${action}"`}`);
  if (format !== 'table' && format !== 'json') throw new SensebindError('USAGE', `sensebind concepts background: --format must be table or json, got "${format}"`);
  // The estimate is read even where this process's config has it off: the file is what is asked about.
  const bg = options.background ?? MATCH_DEFAULTS.background;
  const pipeline = await openPipeline({ ...options, background: bg.mode === 'off' ? { ...bg, mode: 'learn' } : bg }, { logger: ctx.logger });
  try {
    if (a !== 'show') return reply(ctx, await pipeline.control.apply({ op: 'background', action: a }, 'cli'));
    const status = (await pipeline.control.apply({ op: 'background', action: 'status' }, 'cli')).background;
    const rows = pipeline.background?.rows() ?? [];
    if (format === 'json') {
      ctx.stdout.write(`${JSON.stringify({ ...status, mode: bg.mode, rows }, null, 2)}\n`);
    } else {
      const where = options.stateFile === undefined ? 'in memory only (no state file)' : `beside ${options.stateFile}`;
      ctx.stdout.write(`${formatCalibrationTable(rows)}\n\nmode ${bg.mode}, ${status?.frozen === true ? 'frozen' : 'learning'}, target ${bg.ratePerHour}/h per concept; thresholds apply after ${bg.minHours} h of evidence, at most ${bg.maxRaise} above the concept's own; estimate ${where}\n`);
    }
    return 0;
  } finally {
    await pipeline.close();
  }
}

function reply(ctx: Parameters<Command['run']>[1], r: ConceptCommandReply): number {
  ctx.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  if (!r.ok) ctx.stderr.write(`sensebind concepts: ${r.error ?? 'refused'}\n`);
  return r.ok ? 0 : 1;
}

/** Mean embedding per modality of a bag's snapshots between `from` and `to` seconds after its first sample. */
async function bagRangeEmbeddings(
  config: Config,
  options: Awaited<ReturnType<typeof pipelineOptions>>,
  bag: string,
  from: number,
  to: number,
  wanted: SensorModality[],
  ctx: Parameters<Command['run']>[1],
): Promise<Partial<Record<SensorModality, number[][]>>> {
  // A throwaway pipeline without the state file: replaying must not touch the memory being edited.
  const pipeline = await openPipeline({ ...options, stateFile: undefined }, { logger: ctx.logger });
  try {
    const progress = bagProgress(ctx.stderr, `teach ${bag}`);
    const run = await runBag(pipeline, config, bag, { collect: true, logger: ctx.logger, onTick: progress.onTick }).finally(progress.done);
    const first = run.summary.first ?? 0n;
    const lo = first + BigInt(Math.round(from * 1e9));
    const hi = first + BigInt(Math.round(to * 1e9));
    if (!run.snapshots.some((s) => s.stamp >= lo && s.stamp <= hi)) throw new SensebindError('INPUT', `${bag}: no snapshots between ${from} s and ${to} s (the bag covers ${run.summary.durationSeconds.toFixed(1)} s)`);
    const out: Partial<Record<SensorModality, number[][]>> = {};
    for (const [m, mean] of Object.entries(exemplarsFromSnapshots(run.snapshots, wanted, { start: lo, end: hi }))) {
      out[m as SensorModality] = [Array.from(mean)];
    }
    if (Object.keys(out).length === 0) throw new SensebindError('INPUT', `${bag}: none of ${wanted.join(', ')} is present between ${from} s and ${to} s`);
    return out;
  } finally {
    await pipeline.close();
  }
}
