/**
 * One ROS 2 node per sensebind process, shared by the ROS 2 source, the event sink and the concept
 * command topic. Opening it never throws for a missing ROS 2: `transport()` resolves undefined and the
 * reason is logged once, so the agent keeps running its other sources and sinks.
 */
import { SensebindError, errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { Ros2NodeClock } from './node-clock.js';
import { RclnodejsTransport } from './rclnodejs-transport.js';
import type { ParameterValue, Ros2Transport } from './transport.js';

export interface Ros2SessionOptions {
  /** @default 'sensebind' */
  node?: string;
  /** @default '' */
  namespace?: string;
  /** Read-only node parameters describing the main settings (e.g. robot_id, model_dir). @default {} */
  parameters?: Record<string, ParameterValue>;
  /** Node time from /clock (the use_sim_time parameter). @default false */
  useSimTime?: boolean;
  /** Makes the transport. @default rclnodejs (RclnodejsTransport.create) */
  createTransport?: (options: { node: string; namespace: string; useSimTime: boolean }) => Promise<Ros2Transport>;
  /** @default silent */
  logger?: Logger;
}

export class Ros2Session {
  /** The agent clock of this process: the node's ROS time once the node is up (see Ros2NodeClock). */
  readonly clock = new Ros2NodeClock();
  #options: Ros2SessionOptions;
  #log: Logger;
  #transport: Promise<Ros2Transport | undefined> | undefined;
  #unavailable: string | undefined;

  constructor(options: Ros2SessionOptions = {}) {
    this.#options = { ...options };
    this.#log = options.logger ?? silentLogger();
  }

  /** Why ROS 2 is unavailable, once `transport()` has found out; undefined when it is available (or untried). */
  get unavailableReason(): string | undefined {
    return this.#unavailable;
  }

  /** The shared transport, or undefined when ROS 2 is not available (reason logged once). */
  transport(): Promise<Ros2Transport | undefined> {
    this.#transport ??= this.#open();
    return this.#transport;
  }

  async #open(): Promise<Ros2Transport | undefined> {
    const { node = 'sensebind', namespace = '', parameters = {}, useSimTime = false, createTransport = (o) => RclnodejsTransport.create(o) } = this.#options;
    try {
      const transport = await createTransport({ node, namespace, useSimTime });
      this.clock.attach(transport);
      try {
        transport.declareParameters(parameters);
      } catch (err) {
        this.#log.warn({ err: errorMessage(err) }, 'could not declare ROS 2 parameters');
      }
      this.#log.info({ node, namespace, transport: transport.description, simTime: this.clock.simTime }, 'ROS 2 node started');
      return transport;
    } catch (err) {
      this.#unavailable = err instanceof SensebindError ? err.message : `ROS 2 is not available: ${errorMessage(err)}`;
      this.#log.error({ reason: this.#unavailable }, 'ROS 2 is not available; the other sources and sinks keep running');
      return undefined;
    }
  }

  async close(): Promise<void> {
    const t = await this.#transport;
    this.#transport = Promise.resolve(undefined);
    await t?.close();
  }
}
