// `sensebind replay`: the agent `sensebind run` builds, on a recorded bag; events to JSONL, a JSON summary on stdout.
import { SensebindError } from '../../core/errors.js';
import { openPipeline } from '../../pipeline/open.js';
import { runBag } from '../../pipeline/run-bag.js';
import { JsonlSink } from '../../sinks/jsonl.js';
import { hopFlag, numberFlag, parseCommandArgs, type Command } from '../command.js';
import { PIPELINE_FLAGS, PIPELINE_HELP, parseModalityList, pipelineOptions } from '../pipeline-flags.js';
import { bagProgress } from '../progress.js';
import { optionalValue, rememberReplay } from '../../recall/remember.js';

const HELP = `Usage: sensebind replay <bag> [options]

Runs the agent that \`sensebind run\` builds (decode, windows, embeddings, concept matching, events) on a
recorded bag (rosbag2 folder or MCAP, MCAP, ROS 1 .bag) on the recording's clock. The config applies
as on the robot: model and threads, topic mapping (ros2.topics), window, matching, rate caps, clips.

Options:
  --speed <x>         1 = real time, 10 = ten times faster, 0 = as fast as possible (default 0)
  --drop <list>       modalities to remove, e.g. audio,imu (shows tolerance of missing sensors)
  --events <file>     write the events to this JSONL file (replaced, not appended; default: config
                      sinks.jsonl.path, appended)
  --hop <s>           seconds between snapshots, > 0 (default: config window.hopSeconds)
  --remember [dir]    write every snapshot's embeddings to a recall store for \`sensebind search\`
                      (default dir: config recall.dir, else .sensebind/recall)
${PIPELINE_HELP}
With live.port set in the config, serves the live view (Foxglove WebSocket, docs/live.md) while it runs.
Prints a JSON summary on stdout (samples, snapshots, events per concept, per-topic decoded/skipped/bad
counts with the first reason, topics found on another clock, timings, live-view counters); logs and, on a
terminal, progress on stderr. Events are not published on MQTT or ROS 2 (use run --bag for that).`;

export const command: Command = {
  name: 'replay',
  summary: 'run the whole pipeline on a recorded bag (MCAP, rosbag2 folder, ROS 1 .bag)',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('replay', optionalValue(argv, '--remember'), {
      ...PIPELINE_FLAGS,
      speed: { type: 'string' },
      drop: { type: 'string' },
      events: { type: 'string' },
      hop: { type: 'string' },
      remember: { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    const bag = positionals[0];
    if (bag === undefined || positionals.length > 1) throw new SensebindError('USAGE', 'sensebind replay: expected exactly one bag path (see sensebind replay --help)');
    const config = await ctx.loadConfig();
    const speed = numberFlag('replay', 'speed', values.speed, 0);
    if (!(speed >= 0)) throw new SensebindError('USAGE', `sensebind replay: --speed must be >= 0 (0 = as fast as possible), got ${values.speed}`);
    const hopSeconds = hopFlag('replay', values.hop, config.window.hopSeconds);
    const drop = parseModalityList('drop', values.drop);
    // --events names this replay's result: replaying twice must not double it (the config's file appends).
    const extraSinks = values.events !== undefined ? [new JsonlSink({ path: values.events, fsync: config.sinks.jsonl.fsync, truncate: true })] : [];
    const pipeline = await openPipeline(await pipelineOptions(ctx, values), { logger: ctx.logger });
    const recall = values.remember !== undefined ? await rememberReplay(pipeline, bag, values.remember, config.recall, hopSeconds, ctx.logger) : undefined;
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    const progress = bagProgress(ctx.stderr, 'replay');
    try {
      const run = await runBag(pipeline, config, bag, {
        speed,
        drop,
        hopSeconds,
        sinks: values.events !== undefined ? 'none' : 'files',
        extraSinks,
        logger: ctx.logger,
        signal: abort.signal,
        onTick: (r) => {
          recall?.onTick(r);
          progress.onTick(r);
        },
      });
      progress.done();
      const remembered = recall ? await recall.finish() : null;
      const perConcept: Record<string, number> = {};
      for (const e of run.summary.events) if (e.type === 'start') perConcept[e.concept.id] = (perConcept[e.concept.id] ?? 0) + 1;
      const out = {
        bag,
        model: pipeline.runtime.modelId,
        drop,
        speed,
        durationSeconds: round(run.summary.durationSeconds),
        wallSeconds: round(run.summary.wallSeconds),
        snapshots: run.summary.ticks,
        skippedSnapshots: run.summary.skippedTicks,
        samples: run.summary.samples,
        dropped: run.summary.dropped,
        topics: run.bag?.topics ?? {},
        clocks: run.bag?.clocks ?? {},
        events: { messages: run.summary.events.length, started: perConcept },
        truths: run.truth.length,
        matcher: pipeline.matcher.stats(),
        eventsFile: values.events ?? (config.sinks.jsonl.path !== '' ? config.sinks.jsonl.path : null),
        lostEvents: run.summary.lostEvents,
        bagDamage: run.bag?.damage ?? null,
        aborted: run.summary.aborted,
        ...(remembered ? { remembered } : {}),
        ...(run.live ? { live: run.live } : {}),
      };
      ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return run.summary.lostEvents > 0 ? 1 : 0;
    } finally {
      progress.done();
      process.off('SIGINT', onSig);
      await recall?.finish();
      await pipeline.close();
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
