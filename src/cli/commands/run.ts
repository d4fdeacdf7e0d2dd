/**
 * `sensebind run`: the agent as a long-lived service (docs/operations.md), built by src/pipeline/build.ts
 * like every other entry point. Sources come from the config (serial, ROS 2) or from `--bag` (a recording
 * replayed at `--speed`, ticking on the recording's clock); sinks, clips, metrics and limits from the
 * config. Runs until SIGTERM/SIGINT and exits 0 after a clean stop (1 when events were lost).
 */
import { access } from 'node:fs/promises';
import { SensebindError, errorMessage } from '../../core/errors.js';
import { buildAgent } from '../../pipeline/build.js';
import { openPipeline } from '../../pipeline/open.js';
import { pipelineOptionsFromConfig } from '../../pipeline/options.js';
import { numberFlag, parseCommandArgs, type Command } from '../command.js';

const HELP = `usage: sensebind [--config <file>] run [options]

Runs the agent until SIGTERM or SIGINT, then stops cleanly: stops the sources, finishes the snapshot in
flight, ends open events, flushes every sink, publishes "stopped" on MQTT and exits 0 within
service.stopDeadlineSeconds. A second signal exits at once. SIGHUP re-reads the concept file.

options:
  --bag <file>             replay a recorded bag (MCAP or ROS 1 .bag) as the source, on its own clock
  --speed <x>              bag replay speed: 1 = real time, 10 = ten times faster (default 1)
  --exit-at-end            stop cleanly and exit once the bag has been played (exit 1 if it gave no samples)
  --concepts <file>        concept file (default: the bundled concepts/default.yaml)
  --concepts-state <file>  persisted concept memory (taught exemplars, run-time edits)
  --metrics-port <n>       override service.metrics.port (0 = off)

Metrics, health, clips, limits: the service section of the config (docs/config.md, docs/operations.md).
On exit, a JSON summary goes to stdout.`;

export const command: Command = {
  name: 'run',
  summary: 'run the agent as a service until SIGTERM/SIGINT (metrics, health, clips, clean stop)',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      bag: { type: 'string' },
      speed: { type: 'string' },
      'exit-at-end': { type: 'boolean' },
      concepts: { type: 'string' },
      'concepts-state': { type: 'string' },
      'metrics-port': { type: 'string' },
    });
    if (positionals.length > 0) throw new SensebindError('USAGE', `sensebind run: unexpected argument "${positionals[0]}" (see sensebind run --help)`);
    const speed = numberFlag('run', 'speed', values.speed, 1);
    if (!(speed > 0)) throw new SensebindError('USAGE', `sensebind run: --speed must be > 0 (a service paces its sources; replay --speed 0 runs as fast as possible), got ${values.speed}`);
    let config = await ctx.loadConfig();
    if (values['metrics-port'] !== undefined) {
      const port = numberFlag('run', 'metrics-port', values['metrics-port'], 0);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SensebindError('USAGE', `sensebind run: --metrics-port expects a port 0..65535, got ${values['metrics-port']}`);
      config = { ...config, service: { ...config.service, metrics: { ...config.service.metrics, port } } };
    }
    if (values.bag !== undefined) {
      try {
        await access(values.bag);
      } catch (err) {
        throw new SensebindError('INPUT', `sensebind run: --bag ${values.bag}: ${errorMessage(err)}`);
      }
    }
    const logger = ctx.logger;

    // A crash must not look like a clean stop: log it and exit 1 so systemd restarts the agent.
    const fatal = (what: string) => (err: unknown) => {
      logger.fatal({ err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, `${what}; exiting`);
      process.exit(1);
    };
    process.on('uncaughtException', fatal('uncaught exception'));
    process.on('unhandledRejection', fatal('unhandled promise rejection'));

    const options = pipelineOptionsFromConfig(config, { concepts: values.concepts, state: values['concepts-state'] });
    const pipeline = await openPipeline(options, { logger: logger.child({ stage: 'pipeline' }) });
    try {
      const built = await buildAgent(pipeline, config, {
        mode: values.bag !== undefined ? { kind: 'bag', path: values.bag, speed } : { kind: 'live' },
        logger,
        stopAtEnd: values['exit-at-end'] === true,
        configPath: ctx.configPath ?? '',
      });
      const { service } = built;
      service.handleSignals();
      await built.start();
      const code = await service.stopped;
      const stats = built.agent.stats();
      const intake = service.intake();
      const samples = Object.values(intake.samples).reduce((a, b) => a + b, 0);
      ctx.stdout.write(
        `${JSON.stringify({
          stopped: code.reason,
          clean: code.clean,
          stopSeconds: Number(code.seconds.toFixed(3)),
          samples,
          ticks: stats.ticks,
          skippedTicks: service.ticker().skipped,
          events: stats.events,
          lostEvents: code.lostEvents,
          sinks: Object.fromEntries(built.sinks.map((s) => [s.name, s.stats()])),
          clips: built.clips?.stats().written ?? 0,
          // Per source: received/decoded/skipped/bad and, for bag and ROS 2, `<topic>.decoded/skipped/bad`.
          sources: Object.fromEntries(built.sources.map((s) => [s.name, s.stats()])),
        })}\n`,
      );
      await built.close();
      if (built.bag && samples === 0) {
        ctx.stderr.write(`sensebind run: --bag ${built.bag.path} gave no sensor samples\n`);
        return 1;
      }
      return code.clean ? 0 : 1;
    } finally {
      await pipeline.close();
    }
  },
};
