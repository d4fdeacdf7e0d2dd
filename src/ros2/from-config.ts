/**
 * Everything ROS 2 sensebind runs, built from the config in one call for the agent/CLI: the shared node
 * (session), the sensor source (when topics are configured), the event sink and the concept command
 * subscription. Returns undefined when `ros2.enabled` is false.
 */
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { Ros2EventSink } from '../sinks/ros2.js';
import { Ros2Source } from '../sources/ros2.js';
import { subscribeConceptCommands, type ConceptCommand } from './concept-commands.js';
import { Ros2Session, type Ros2SessionOptions } from './session.js';

export interface Ros2FromConfigOptions {
  /** @default silent */
  logger?: Logger;
  /** Receive-time clock of the source. @default MonotonicClock */
  clock?: Clock;
  /** Receives concept commands from `ros2.conceptsTopic`; none = not subscribed. */
  onConceptCommand?: (command: ConceptCommand) => void;
  /** The config file path, published as the read-only parameter `config_path`. @default '' */
  configPath?: string;
  /** Transport factory (tests, loopback). @default rclnodejs */
  createTransport?: Ros2SessionOptions['createTransport'];
}

export interface Ros2Io {
  session: Ros2Session;
  source: Ros2Source | undefined;
  sink: Ros2EventSink;
  /** Subscribes the concept command topic once the node is up (no-op without ROS 2 or a handler). */
  startCommands(): Promise<void>;
  close(): Promise<void>;
}

export function ros2FromConfig(config: Config, options: Ros2FromConfigOptions = {}): Ros2Io | undefined {
  const r = config.ros2;
  if (!r.enabled) return undefined;
  const logger = options.logger ?? silentLogger();
  const session = new Ros2Session({
    node: r.node,
    namespace: r.namespace,
    useSimTime: r.useSimTime,
    parameters: { robot_id: config.robot.id, model_dir: config.model.dir, config_path: options.configPath ?? '' },
    ...(options.createTransport !== undefined ? { createTransport: options.createTransport } : {}),
    logger,
  });
  const source = r.topics.length > 0 ? new Ros2Source({ config: r, session, ...(options.clock !== undefined ? { clock: options.clock } : {}), logger }) : undefined;
  const sink = new Ros2EventSink({ config: r, session, logger });
  let closeCommands: (() => void) | undefined;
  return {
    session,
    source,
    sink,
    async startCommands() {
      if (options.onConceptCommand === undefined || r.conceptsTopic === '' || closeCommands !== undefined) return;
      const transport = await session.transport();
      if (transport === undefined) return;
      try {
        const { subscription } = subscribeConceptCommands(transport, r.conceptsTopic, options.onConceptCommand, logger);
        closeCommands = () => subscription.close();
      } catch (err) {
        logger.error({ topic: r.conceptsTopic, err: errorMessage(err) }, 'cannot subscribe to concept commands');
      }
    },
    async close() {
      closeCommands?.();
      await source?.stop();
      await sink.close();
      await session.close();
    },
  };
}
