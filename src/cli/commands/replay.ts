// `sensebind replay`: the whole pipeline on a recorded bag, events to JSONL, a JSON summary on stdout.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SensebindError } from '../../core/errors.js';
import { numberFlag, parseCommandArgs, type Command } from '../command.js';
import { PIPELINE_FLAGS, PIPELINE_HELP, pipelineOptions } from '../../eval/cli-flags.js';
import { openPipeline, parseModalityList, runBag } from '../../eval/run-bag.js';
import { startLiveFeed, type LiveFeed } from '../../live/feed.js';
import { JsonlSink } from '../../sinks/jsonl.js';
import type { EventSink } from '../../sinks/sink.js';

const HELP = `Usage: sensebind replay <bag> [options]

Runs the whole pipeline (decode, windows, embeddings, concept matching, events) on a recorded bag
(rosbag2 MCAP, MCAP, ROS 1 .bag) on the recording's clock.

Options:
  --speed <x>         1 = real time, 10 = ten times faster, 0 = as fast as possible (default 0)
  --drop <list>       modalities to remove, e.g. audio,imu (shows tolerance of missing sensors)
  --events <file>     append events to this JSONL file
  --hop <s>           seconds between snapshots (default: config window.hopSeconds)
${PIPELINE_HELP}
With live.port set in the config, serves the live view (Foxglove WebSocket, docs/live.md) while it runs.
Prints a JSON summary on stdout (samples, snapshots, events per concept, timings, live-view counters);
logs on stderr.`;

export const command: Command = {
  name: 'replay',
  summary: 'run the whole pipeline on a recorded bag (MCAP, ROS 1 .bag)',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('replay', argv, {
      ...PIPELINE_FLAGS,
      speed: { type: 'string' },
      drop: { type: 'string' },
      events: { type: 'string' },
      hop: { type: 'string' },
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
    if (speed < 0) throw new SensebindError('USAGE', `sensebind replay: --speed must be >= 0, got ${speed}`);
    const hopSeconds = numberFlag('replay', 'hop', values.hop, config.window.hopSeconds);
    const drop = parseModalityList('drop', values.drop);
    const sinks: EventSink[] = [];
    const eventsPath = values.events ?? (config.sinks.jsonl.path !== '' ? config.sinks.jsonl.path : undefined);
    if (eventsPath !== undefined) {
      // The file exists after a replay even when no event fired (an empty result is a result).
      await mkdir(dirname(eventsPath), { recursive: true });
      await appendFile(eventsPath, '');
      sinks.push(new JsonlSink({ path: eventsPath, fsync: config.sinks.jsonl.fsync }));
    }
    const pipeline = await openPipeline(await pipelineOptions(ctx, values));
    let live: LiveFeed | undefined;
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    try {
      live = await startLiveFeed(config.live, { hopSeconds, logger: ctx.logger });
      const run = await runBag(pipeline, bag, { speed, drop, hopSeconds, sinks, logger: ctx.logger, signal: abort.signal, onTick: (r) => live?.onTick(r) });
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
        samples: run.summary.samples,
        dropped: run.summary.dropped,
        events: { messages: run.summary.events.length, started: perConcept },
        truths: run.truth.length,
        matcher: pipeline.matcher.stats(),
        eventsFile: eventsPath ?? null,
        bagDamage: run.bag?.damage ?? null,
        aborted: run.summary.aborted,
        ...(live ? { live: live.stats() } : {}),
      };
      ctx.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      await Promise.all(sinks.map((s) => s.close()));
      await live?.close();
      await pipeline.close();
    }
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
