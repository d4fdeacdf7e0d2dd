/**
 * The agent clock of a process with a ROS 2 node: the wall-anchored monotonic clock (MonotonicClock) until
 * the node is up and whenever the node runs on wall time, and the node's ROS time when use_sim_time is on
 * (time from /clock, as `ros2 bag play --clock` or a simulator publishes it). The service ticks and ages
 * windows on it, and the ROS 2 source stamps receptions with it, so a bag played with --clock is seen in
 * the bag's own time, as `sensebind replay` sees it.
 */
import { MonotonicClock, type Clock } from '../core/clock.js';
import type { StampNs } from '../core/types.js';
import type { Ros2Transport } from './transport.js';

export class Ros2NodeClock implements Clock {
  readonly #wall: Clock;
  #transport: Ros2Transport | undefined;

  constructor(wall: Clock = new MonotonicClock()) {
    this.#wall = wall;
  }

  /** Called by the session once the node exists. */
  attach(transport: Ros2Transport): void {
    this.#transport = transport;
  }

  /** Whether time comes from /clock. */
  get simTime(): boolean {
    return this.#transport?.rosTime?.().simTime === true;
  }

  /** False while use_sim_time is on and no /clock message has arrived yet (ROS time is then 0). */
  get started(): boolean {
    const t = this.#transport?.rosTime?.();
    return t === undefined || !t.simTime || t.now > 0n;
  }

  now(): StampNs {
    const t = this.#transport?.rosTime?.();
    return t !== undefined && t.simTime ? t.now : this.#wall.now();
  }
}
