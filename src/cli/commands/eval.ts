// `sensebind eval`: event-level precision/recall/F1 of emitted events against a bag's ground truth.
import { readFile } from 'node:fs/promises';
import { SensebindError, errorMessage } from '../../core/errors.js';
import { hopFlag, numberFlag, parseCommandArgs, type Command } from '../command.js';
import { PIPELINE_FLAGS, PIPELINE_HELP, parseModalityList, pipelineOptions } from '../pipeline-flags.js';
import { openPipeline } from '../../pipeline/open.js';
import { runBag } from '../../pipeline/run-bag.js';
import { bagProgress } from '../progress.js';
import { scoreRuns, type ScoredRun } from '../../eval/score-run.js';
import { readBag } from '../../sources/bag.js';
import { parseJsonlEvents } from '../../sinks/jsonl.js';
import { parseTruth, type TruthEvent } from '../../sim/truth.js';
import { EVENT_IDS } from '../../sim/events.js';
import type { MatcherOptions } from '../../match/options.js';
import { collectBags, logRows, studyRows, teachFromTruth } from '../../eval/study.js';
import { tune, withLifecycle, type TunedParams } from '../../eval/tune.js';
import { openSetReport } from '../../eval/open-set.js';

const HELP = `Usage: sensebind eval <bag> [<bag> ...] [options]

Replays each bag through the pipeline (or reads events from --events) and compares the events with the
bag's ground truth on /sensebind/truth. An event matches a truth interval of the same concept when they
overlap (widened by --collar); each truth matches at most one event.

Options:
  --drop <list>       modalities to remove before windowing, e.g. audio or vision,depth
  --events <file>     score these events (JSONL from an earlier replay) instead of running the pipeline
                      (one bag only)
  --collar <s>        seconds added to each side of a truth interval when matching (default 1)
  --hop <s>           seconds between snapshots (default: config window.hopSeconds)
  --study             embed each bag once, then score every condition: all modalities, each one dropped,
                      each one alone; text-only concepts and (with --teach) concepts with exemplars
  --teach <bags>      comma-separated bags whose ground truth teaches exemplars (study only; never the
                      scored bags)
  --exemplars <n>     exemplars taught per concept (default 3)
  --tune <bags>       comma-separated bags to grid-search matching parameters on before the study (never
                      the scored bags); prints the chosen parameters
${PIPELINE_HELP}
Prints JSON on stdout: per concept precision, recall, F1, onset latency; macro and micro averages;
false positives per minute. Bags without ground truth (real event-free recordings) are scored apart as
"openSet": false events per hour by file and in total (every event there is a false one).`;

async function truthOf(bag: string): Promise<{ truth: TruthEvent[]; first?: bigint; last?: bigint }> {
  const truth: TruthEvent[] = [];
  let first: bigint | undefined;
  let last: bigint | undefined;
  for await (const item of readBag(bag)) {
    if (item.kind === 'truth') truth.push(parseTruth(item.text, `${bag} truth at ${item.stamp}`));
    if (item.kind === 'sample') {
      first ??= item.sample.stamp;
      last = item.sample.stamp;
    }
  }
  const out: { truth: TruthEvent[]; first?: bigint; last?: bigint } = { truth };
  if (first !== undefined) out.first = first;
  if (last !== undefined) out.last = last;
  return out;
}

export const command: Command = {
  name: 'eval',
  summary: "score emitted events against a bag's ground truth",
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('eval', argv, {
      ...PIPELINE_FLAGS,
      drop: { type: 'string' },
      events: { type: 'string' },
      collar: { type: 'string' },
      hop: { type: 'string' },
      study: { type: 'boolean' },
      teach: { type: 'string' },
      exemplars: { type: 'string' },
      tune: { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new SensebindError('USAGE', 'sensebind eval: expected a bag path (see sensebind eval --help)');
    const collarSeconds = numberFlag('eval', 'collar', values.collar, 1);
    const drop = parseModalityList('drop', values.drop);
    if (values.study === true) return runStudy(positionals, values, ctx);
    const runs: (ScoredRun & { bag: string })[] = [];
    if (values.events !== undefined) {
      if (positionals.length !== 1) throw new SensebindError('USAGE', 'sensebind eval: --events scores one bag; give exactly one');
      const bag = positionals[0] as string;
      let text: string;
      try {
        text = await readFile(values.events, 'utf8');
      } catch (err) {
        throw new SensebindError('INPUT', `sensebind eval: cannot read --events ${values.events}: ${errorMessage(err)}`);
      }
      const events = parseJsonlEvents(text, `--events ${values.events}`);
      const t = await truthOf(bag);
      const durationSeconds = t.first !== undefined && t.last !== undefined ? Number(t.last - t.first) / 1e9 : 0;
      const run: ScoredRun & { bag: string } = { bag, events, truth: t.truth, durationSeconds };
      if (t.last !== undefined) run.end = t.last;
      runs.push(run);
    } else {
      const config = await ctx.loadConfig();
      const hopSeconds = hopFlag('eval', values.hop, config.window.hopSeconds);
      const options = await pipelineOptions(ctx, values);
      for (const [i, bag] of positionals.entries()) {
        // A fresh pipeline per bag: running statistics and lifecycles start clean, as on a robot's boot.
        const pipeline = await openPipeline(options, { logger: ctx.logger });
        const progress = bagProgress(ctx.stderr, `eval ${i + 1}/${positionals.length} ${bag}`);
        try {
          const r = await runBag(pipeline, config, bag, { drop, hopSeconds, logger: ctx.logger, onTick: progress.onTick }).finally(progress.done);
          const run: ScoredRun & { bag: string } = { bag, events: r.summary.events, truth: r.truth, durationSeconds: r.summary.durationSeconds };
          if (r.summary.last !== undefined) run.end = r.summary.last;
          runs.push(run);
          ctx.logger.info({ bag, events: r.summary.events.length, truths: r.truth.length }, 'bag evaluated');
        } finally {
          await pipeline.close();
        }
      }
    }
    const eventFree = runs.filter((r) => r.truth.length === 0);
    const scored = eventFree.length < runs.length ? runs.filter((r) => r.truth.length > 0) : runs;
    const report = scoreRuns(scored, { collarSeconds, concepts: EVENT_IDS.filter((id) => scored.some((r) => r.truth.some((t) => t.label === id) || r.events.some((e) => e.concept.id === id))) });
    const openSet = eventFree.length > 0 ? openSetReport(eventFree) : null;
    ctx.stdout.write(`${JSON.stringify({ bags: positionals, drop, collarSeconds, ...report, openSet }, null, 2)}\n`);
    return 0;
  },
};

function bagList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

async function runStudy(
  bags: string[],
  values: { teach?: string | undefined; exemplars?: string | undefined; tune?: string | undefined; hop?: string | undefined; model?: string | undefined; concepts?: string | undefined; state?: string | undefined },
  ctx: Parameters<Command['run']>[1],
): Promise<number> {
  const config = await ctx.loadConfig();
  const hopSeconds = hopFlag('eval', values.hop, config.window.hopSeconds);
  const perConcept = numberFlag('eval', 'exemplars', values.exemplars, 3);
  const teachBags = bagList(values.teach);
  const tuneBags = bagList(values.tune);
  for (const b of [...teachBags, ...tuneBags]) {
    if (bags.includes(b)) throw new SensebindError('USAGE', `sensebind eval: ${b} is both scored and used for --teach/--tune; held-out bags must stay unseen`);
  }
  const options = { ...(await pipelineOptions(ctx, values)), hopSeconds };
  const t0 = performance.now();
  const scored = await collectBags(bags, config, options, ctx.logger);
  const concepts = EVENT_IDS.filter((id) => scored.state.concepts.some((c) => c.id === id && !c.background));
  // The agent's familiarity gate (config match.familiarity) applies to every condition, as it does live.
  let matcher: MatcherOptions = { calibration: { textScale: scored.textScale }, ...(scored.familiarity ? { familiarity: scored.familiarity } : {}) };
  let state = scored.state;
  let tuned: TunedParams | undefined;
  if (tuneBags.length > 0) {
    const t = await collectBags(tuneBags, config, options, ctx.logger);
    tuned = tune(t.collected, t.state, matcher, t.modalities, concepts);
    matcher = tuned.matcher;
    state = withLifecycle(state, tuned.thresholds, tuned.minDurationSeconds);
    ctx.logger.info({ objective: tuned.objective }, 'tuned on the --tune bags');
  }
  const rows = studyRows(scored.collected, state, matcher, scored.modalities, concepts, 'text-only: ');
  logRows(ctx.logger, rows);
  if (teachBags.length > 0) {
    const teach = await collectBags(teachBags, config, options, ctx.logger);
    const taught = teachFromTruth(state, teach.collected, perConcept);
    const exRows = studyRows(scored.collected, taught, matcher, scored.modalities, concepts, `${perConcept} exemplars: `);
    logRows(ctx.logger, exRows);
    rows.push(...exRows);
  }
  const out = {
    bags,
    teach: teachBags,
    tune: tuneBags,
    model: options.modelDir,
    hopSeconds,
    minutes: Math.round((scored.collected.reduce((a, b) => a + b.durationSeconds, 0) / 60) * 100) / 100,
    truths: scored.collected.reduce((a, b) => a + b.truth.length, 0),
    tuned: tuned === undefined ? null : { ...tuned.matcher, familiarity: tuned.matcher.familiarity === undefined ? undefined : 'on', thresholds: tuned.thresholds, minDurationSeconds: tuned.minDurationSeconds, objective: tuned.objective },
    rows,
    wallSeconds: Math.round(performance.now() - t0) / 1000,
  };
  ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
