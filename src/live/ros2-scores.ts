/**
 * The live score stream on ROS 2: every snapshot's score message (messages.ts) as std_msgs/String JSON on
 * `ros2.scoresTopic` (`~/scores`), for ROS tools and `ros2 topic echo`. Best-effort: a snapshot's scores
 * are superseded by the next one, so the QoS keeps only the newest few. Without ROS 2 the output is off,
 * counted and logged once.
 */
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { StampNs } from '../core/types.js';
import type { Ros2Session } from '../ros2/session.js';
import type { Ros2Publisher } from '../ros2/transport.js';
import type { ScoresMessage } from './messages.js';
import type { ScoreRecorder } from './feed.js';

const SCORES_QOS = { reliability: 'best_effort', durability: 'volatile', depth: 5 } as const;

export class Ros2ScoresPublisher implements ScoreRecorder {
  readonly #topic: string;
  readonly #session: Ros2Session;
  readonly #log: Logger;
  #publisher: Ros2Publisher | undefined;
  // eslint-disable-next-line no-unused-private-class-members -- read by `??=`: the publisher opens once
  #opening: Promise<void> | undefined;
  #stats = { published: 0, dropped: 0, errors: 0 };
  #logged = false;

  constructor(options: { topic: string; session: Ros2Session; logger?: Logger }) {
    this.#topic = options.topic;
    this.#session = options.session;
    this.#log = options.logger ?? silentLogger();
  }

  recordScores(_stamp: StampNs, message: ScoresMessage): void {
    if (this.#publisher === undefined) {
      // The node starts asynchronously; scores before it is up are dropped (counted), not queued.
      this.#opening ??= this.#open();
      this.#stats.dropped++;
      return;
    }
    try {
      this.#publisher.publish({ data: JSON.stringify(message) });
      this.#stats.published++;
    } catch (err) {
      this.#stats.errors++;
      this.#logOnce('publishing scores on ROS 2 failed; further failures are counted, not logged', err);
    }
  }

  stats(): { published: number; dropped: number; errors: number } {
    return { ...this.#stats };
  }

  async #open(): Promise<void> {
    const transport = await this.#session.transport();
    if (transport === undefined) return this.#logOnce('ROS 2 unavailable: scores are counted as dropped', this.#session.unavailableReason);
    try {
      this.#publisher = transport.publisher(this.#topic, 'std_msgs/msg/String', SCORES_QOS);
    } catch (err) {
      this.#logOnce(`cannot publish scores on ${this.#topic}`, err);
    }
  }

  #logOnce(message: string, err: unknown): void {
    if (this.#logged) return;
    this.#logged = true;
    this.#log.warn({ topic: this.#topic, err: errorMessage(err) }, message);
  }
}
