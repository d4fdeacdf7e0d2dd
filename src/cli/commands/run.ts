/**
 * `sensebind run`: the agent as a long-lived service (docs/operations.md). Sources come from the config
 * or from `--bag` (a recording replayed at `--speed`, ticking on the recording's clock); sinks, clips,
 * metrics and limits from the config. Runs until SIGTERM/SIGINT and exits 0 after a clean stop.
 */
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { SensebindError, errorMessage } from '../../core/errors.js';
import { createLogger } from '../../core/log.js';
import { assembleService } from '../../service/assemble.js';
import type { ServiceClock } from '../../service/lifecycle.js';
import { applyConceptCommand } from '../../memory/commands.js';
import { subscribeConceptCommands } from '../../ros2/concept-commands.js';
import { Ros2Session } from '../../ros2/session.js';
import { Ros2EventSink } from '../../sinks/ros2.js';
import type { EventSink } from '../../sinks/sink.js';
import { BagSource } from '../../sources/bag.js';
import { Ros2Source } from '../../sources/ros2.js';
import { createSerialSources } from '../../sources/serial.js';
import type { SampleSource } from '../../sources/source.js';
import { numberFlag, parseCommandArgs, type CliContext, type Command } from '../command.js';

const HELP = `usage: sensebind [--config <file>] run [options]

Runs the agent until SIGTERM or SIGINT, then stops cleanly: stops the sources, finishes the snapshot in
flight, ends open events, flushes every sink, publishes "stopped" on MQTT and exits 0 within
service.stopDeadlineSeconds. A second signal exits at once. SIGHUP re-reads the concept file.

options:
  --config <file>          config file (also accepted before "run")
  --bag <file>             replay a recorded bag (MCAP or ROS 1 .bag) as the source, on its own clock
  --speed <x>              bag replay speed: 1 = real time, 10 = ten times faster (default 1)
  --exit-at-end            stop cleanly and exit once every source has ended (bags)
  --concepts <file>        concept file (default: the bundled concepts/default.yaml)
  --concepts-state <file>  persisted concept memory (taught exemplars, run-time edits)
  --metrics-port <n>       override service.metrics.port (0 = off)

Metrics, health, clips, limits: the service section of the config (docs/config.md, docs/operations.md).
On exit, a JSON summary goes to stdout.`;

async function effectiveConfig(ctx: CliContext, configFlag: string | undefined, metricsPort: number | undefined): Promise<Config> {
  let config: Config;
  if (configFlag !== undefined) {
    const loaded = await loadConfig({ path: configFlag });
    config = loaded.config;
  } else {
    config = await ctx.loadConfig();
  }
  if (metricsPort !== undefined) {
    if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
      throw new SensebindError('USAGE', `sensebind run: --metrics-port expects a port 0..65535, got ${metricsPort}`);
    }
    config = { ...config, service: { ...config.service, metrics: { ...config.service.metrics, port: metricsPort } } };
  }
  return config;
}

export const command: Command = {
  name: 'run',
  summary: 'run the agent as a service until SIGTERM/SIGINT (metrics, health, clips, clean stop)',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('run', argv, {
      config: { type: 'string' },
      bag: { type: 'string' },
      speed: { type: 'string' },
      'exit-at-end': { type: 'boolean' },
      concepts: { type: 'string' },
      'concepts-state': { type: 'string' },
      'metrics-port': { type: 'string' },
    });
    if (positionals.length > 0) throw new SensebindError('USAGE', `sensebind run: unexpected argument "${positionals[0]}" (see sensebind run --help)`);
    const speed = numberFlag('run', 'speed', values.speed, 1);
    if (speed <= 0) throw new SensebindError('USAGE', `sensebind run: --speed must be > 0 (a service paces its sources), got ${speed}`);
    const metricsPort = values['metrics-port'] !== undefined ? numberFlag('run', 'metrics-port', values['metrics-port'], 0) : undefined;
    const config = await effectiveConfig(ctx, values.config, metricsPort);
    const logger = values.config !== undefined ? createLogger({ level: config.log.level, format: config.log.format }) : ctx.logger;

    // A crash must not look like a clean stop: log it and exit 1 so systemd restarts the agent.
    const fatal = (what: string) => (err: unknown) => {
      logger.fatal({ err: errorMessage(err), stack: err instanceof Error ? err.stack : undefined }, `${what}; exiting`);
      process.exit(1);
    };
    process.on('uncaughtException', fatal('uncaught exception'));
    process.on('unhandledRejection', fatal('unhandled promise rejection'));

    const sources: SampleSource[] = [];
    let clock: ServiceClock = 'wall';
    const ends: Promise<unknown>[] = [];
    if (values.bag !== undefined) {
      const bag = new BagSource(values.bag, { speed, logger: logger.child({ source: 'bag' }) });
      sources.push(bag);
      ends.push(bag.finished);
      clock = 'samples';
    }
    sources.push(...createSerialSources(config.serial, { logger: logger.child({ source: 'serial' }) }));
    const extraSinks: EventSink[] = [];
    let ros2: Ros2Session | undefined;
    if (config.ros2.enabled) {
      ros2 = new Ros2Session({
        node: config.ros2.node,
        namespace: config.ros2.namespace,
        useSimTime: config.ros2.useSimTime,
        parameters: { robot_id: config.robot.id, model_dir: config.model.dir },
        logger: logger.child({ ros2: config.ros2.node }),
      });
      if (config.ros2.topics.length > 0) sources.push(new Ros2Source({ config: config.ros2, session: ros2, logger: logger.child({ source: 'ros2' }) }));
      extraSinks.push(new Ros2EventSink({ config: config.ros2, session: ros2, logger: logger.child({ sink: 'ros2' }) }));
    }
    if (sources.length === 0) {
      throw new SensebindError('USAGE', 'sensebind run: no source: give --bag <file>, or configure serial ports or ROS 2 topics (docs/config.md)');
    }

    const assembled = await assembleService(config, {
      logger,
      sources,
      clock,
      ...(values.concepts !== undefined ? { conceptFile: values.concepts } : {}),
      ...(values['concepts-state'] !== undefined ? { conceptStateFile: values['concepts-state'] } : {}),
      extraSinks,
      ...(ros2 ? { wallClock: ros2.clock } : {}),
    });
    const { service } = assembled;
    if (ros2 && config.ros2.conceptsTopic !== '') {
      const transport = await ros2.transport();
      if (transport) {
        const commandLog = logger.child({ ros2: 'concepts' });
        subscribeConceptCommands(transport, config.ros2.conceptsTopic, (cmd) => {
          void applyConceptCommand(assembled.memory, cmd).then(
            (reply) => commandLog.info({ command: cmd.op, reply }, 'concept command (ROS 2)'),
            (err: unknown) => commandLog.warn({ command: cmd.op, err: errorMessage(err) }, 'concept command failed'),
          );
        }, commandLog);
      }
    }
    service.handleSignals();
    try {
      await service.start();
    } catch (err) {
      await service.stop('start failed');
      throw err;
    }
    if (values['exit-at-end']) {
      void Promise.all(ends).then(() => {
        logger.info('every source has ended (--exit-at-end)');
        void service.stop('sources ended');
      });
    }
    const code = await service.stopped;
    const stats = assembled.agent.stats();
    ctx.stdout.write(
      `${JSON.stringify({
        stopped: code.reason,
        clean: code.clean,
        stopSeconds: Number(code.seconds.toFixed(3)),
        ticks: stats.ticks,
        events: stats.events,
        sinks: Object.fromEntries(assembled.sinks.map((s) => [s.name, s.stats()])),
        clips: assembled.clips?.stats().written ?? 0,
      })}\n`,
    );
    assembled.metrics?.close();
    await assembled.close();
    await ros2?.close();
    return code.clean ? 0 : 1;
  },
};
