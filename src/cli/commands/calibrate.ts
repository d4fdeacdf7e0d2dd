// `sensebind calibrate`: per-concept thresholds from the robot's own event-free recordings, for a target
// false-event rate, stored in the concept memory state (src/eval/calibrate.ts explains the method).
import { SensebindError } from '../../core/errors.js';
import { hopFlag, numberFlag, parseCommandArgs, type Command } from '../command.js';
import { PIPELINE_FLAGS, PIPELINE_HELP, pipelineOptions } from '../pipeline-flags.js';
import { openPipeline } from '../../pipeline/open.js';
import { runBag } from '../../pipeline/run-bag.js';
import { bagProgress } from '../progress.js';
import { calibrateThresholds, formatCalibrationTable, parseRate, traceScores } from '../../eval/calibrate.js';
import { backgroundExemplars } from '../../eval/background-exemplars.js';
import { SENSOR_MODALITIES } from '../../core/types.js';
import { loadConceptFile } from '../../memory/concept-file.js';
import type { SnapshotEmbeddings } from '../../core/types.js';
import type { ConceptDef } from '../../memory/concept.js';
import type { MemoryState } from '../../memory/state.js';
import { allowed } from '../../match/matrix.js';

const HELP = `Usage: sensebind calibrate <recording> [<recording> ...] [options]

Replays recordings of the robot's normal life (idle, driving, people around: no target events) through
the pipeline, learns each concept's background score distribution (fused and per modality) and sets each
concept's "on" threshold to the lowest value at which its own lifecycle would have started no more events
on these recordings than the target rate allows, plus a margin. Thresholds only rise above the concept
file's values (event-free data cannot show how low a threshold may go and still catch events); a re-run
starts from the concept file again, so calibrate whenever the robot's life changes.

It also teaches a background concept what this robot's normal life looks and sounds like: up to 32
snapshots per modality that cover the recordings become its exemplars (replacing the ones it had), so an
unfamiliar sound is weighed against the robot's own background, not only against the event captions.
The thresholds are then set with those exemplars in place.

Options:
  --rate <r>          target false events per concept, e.g. 1/8h (default), 3/day, 0.5/h
  --margin <x>        added to the lowest threshold that meets the target (default 0.02)
  --hop <s>           seconds between snapshots (default: config window.hopSeconds)
  --background <id>   background concept taught the exemplars (default: nothing_happening, else the
                      first background concept); "none" = thresholds only
  --dry-run           report only; leave the concept memory as it is
  --format <f>        json (default) or table
${PIPELINE_HELP}
The thresholds are written to the concept memory state (--state or config match.stateFile), which
replay, eval and run then use.`;

export const command: Command = {
  name: 'calibrate',
  summary: 'set concept thresholds from event-free recordings for a target false-event rate',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('calibrate', argv, {
      ...PIPELINE_FLAGS,
      rate: { type: 'string' },
      margin: { type: 'string' },
      background: { type: 'string' },
      hop: { type: 'string' },
      'dry-run': { type: 'boolean' },
      format: { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length === 0) throw new SensebindError('USAGE', 'sensebind calibrate: expected at least one recording (see sensebind calibrate --help)');
    const format = values.format ?? 'json';
    if (format !== 'json' && format !== 'table') throw new SensebindError('USAGE', `sensebind calibrate: --format must be json or table, got "${format}"`);
    const ratePerHour = parseRate(values.rate ?? '1/8h');
    const margin = numberFlag('calibrate', 'margin', values.margin, 0.02);
    if (!(margin >= 0 && margin < 0.5)) throw new SensebindError('USAGE', `sensebind calibrate: --margin must be in [0, 0.5), got ${margin}`);
    const config = await ctx.loadConfig();
    const hopSeconds = hopFlag('calibrate', values.hop, config.window.hopSeconds);
    const options = await pipelineOptions(ctx, values);
    const dryRun = values['dry-run'] === true;
    if (!dryRun && options.stateFile === undefined) {
      throw new SensebindError('USAGE', 'sensebind calibrate: the thresholds go into the concept memory state: give --state <file>, set match.stateFile, or use --dry-run');
    }
    const floors = new Map((await loadConceptFile(options.conceptFile)).concepts.map((c) => [c.id, c.thresholds.on]));
    const pipeline = await openPipeline(options, { logger: ctx.logger });
    try {
      const recordings: { bag: string; snapshots: SnapshotEmbeddings[]; durationSeconds: number }[] = [];
      for (const [i, bag] of positionals.entries()) {
        const progress = bagProgress(ctx.stderr, `calibrate ${i + 1}/${positionals.length} ${bag}`);
        const r = await runBag(pipeline, config, bag, { collect: true, hopSeconds, logger: ctx.logger, onTick: progress.onTick }).finally(progress.done);
        recordings.push({ bag, snapshots: r.snapshots, durationSeconds: r.summary.durationSeconds });
        ctx.logger.info({ bag, seconds: Math.round(r.summary.durationSeconds), snapshots: r.snapshots.length }, 'recording embedded');
      }
      const base = pipeline.memory.state;
      const taught = backgroundTarget(base.concepts, values.background);
      const lists = taught === undefined ? undefined : backgroundExemplars(recordings, SENSOR_MODALITIES.filter((m) => allowed(taught, m)), pipeline.memory.maxExemplars);
      // The exemplars map with the taught concept's replaced (unchanged without --background).
      const withTaught = (exemplars: MemoryState['exemplars']) => (taught === undefined || lists === undefined ? exemplars : new Map(exemplars).set(taught.id, lists));
      const state = { ...base, exemplars: withTaught(base.exemplars) };
      // The matcher the agent runs: openPipeline gives it the model's text logit scale and familiarity gate.
      const matcher = pipeline.matcherOptions;
      const rows = calibrateThresholds(traceScores(recordings, state, matcher), state, matcher, { ratePerHour, margin, floors });
      if (!dryRun) {
        const byId = new Map(rows.map((r) => [r.id, r.after]));
        await pipeline.memory.commit((draft) => ({
          ...draft,
          concepts: draft.concepts.map((c) => {
            const after = byId.get(c.id);
            return after === undefined ? c : { ...c, thresholds: { on: after.on, off: after.off } };
          }),
          exemplars: withTaught(draft.exemplars),
        }));
      }
      const exemplarCounts = Object.fromEntries(Object.entries(lists ?? {}).map(([m, l]) => [m, l.length]));
      const seconds = recordings.reduce((a, r) => a + r.durationSeconds, 0);
      const summary = {
        recordings: recordings.map((r) => ({ bag: r.bag, seconds: Math.round(r.durationSeconds * 10) / 10 })),
        hours: Math.round((seconds / 3600) * 1e4) / 1e4,
        ratePerHour,
        allowedEventsPerConcept: Math.floor(ratePerHour * (seconds / 3600) + 1e-9),
        margin,
        backgroundExemplars: taught === undefined ? null : { concept: taught.id, perModality: exemplarCounts },
        stateFile: dryRun ? null : (options.stateFile ?? null),
        written: !dryRun,
      };
      if (format === 'table') {
        const taughtLine = taught === undefined ? 'no background exemplars' : `background exemplars of ${taught.id}: ${Object.entries(exemplarCounts).map(([m, n]) => `${m} ${n}`).join(', ') || 'none (no embeddings)'}`;
        ctx.stdout.write(`${formatCalibrationTable(rows)}\n\n${taughtLine}\n${summary.hours} h of recordings, target ${ratePerHour}/h per concept (${summary.allowedEventsPerConcept} allowed), ${dryRun ? 'dry run: nothing written' : `written to ${summary.stateFile}`}\n`);
      } else {
        ctx.stdout.write(`${JSON.stringify({ ...summary, rows }, null, 2)}\n`);
      }
      return 0;
    } finally {
      await pipeline.close();
    }
  },
};

/** The background concept `calibrate` teaches (--background), or undefined for "none". */
function backgroundTarget(concepts: readonly ConceptDef[], flag: string | undefined): ConceptDef | undefined {
  if (flag === 'none') return undefined;
  const backgrounds = concepts.filter((c) => c.background && c.enabled);
  if (flag !== undefined) {
    const c = backgrounds.find((b) => b.id === flag);
    if (c === undefined) throw new SensebindError('USAGE', `sensebind calibrate: --background ${flag} is not an enabled background concept (background concepts: ${backgrounds.map((b) => b.id).join(', ') || 'none'}; or "none")`);
    return c;
  }
  return backgrounds.find((b) => b.id === 'nothing_happening') ?? backgrounds[0];
}
