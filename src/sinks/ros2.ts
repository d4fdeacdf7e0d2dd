/**
 * Events out on ROS 2: every event as std_msgs/String holding the event JSON (the same payload as JSONL
 * and MQTT) on `~/events`, and, where vision_msgs is installed, start/update events as
 * vision_msgs/msg/Classification {header, results: [{class_id: concept id, score}]} on
 * `~/classification` for ROS tools that understand detections. Publishing is local to the node (DDS
 * queues it), so write() resolves at once; without ROS 2 or without vision_msgs the affected output is
 * off, counted and logged once, and the other outputs keep going.
 *
 * The publishers are created with the sink (when the node comes up), not at the first event, so tools
 * that discover topics from the graph can subscribe before anything happened. flush() waits until the
 * reliable subscribers have acknowledged what was published (bounded), so the events ended at shutdown
 * are delivered before the node is destroyed. An event that could not be published is counted as
 * dropped (and as an error): a stop that dropped events is not clean.
 */
import type { SenseEvent } from '../core/types.js';
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Ros2Config } from '../config/ros2.js';
import { toRosTime } from '../core/ros-time.js';
import type { Ros2Session } from '../ros2/session.js';
import type { Ros2Publisher } from '../ros2/transport.js';
import type { EventSink, SinkStats } from './sink.js';

export interface Ros2EventSinkOptions {
  config: Ros2Config;
  session: Ros2Session;
  /** @default silent */
  logger?: Logger;
}

/** The vision_msgs/Classification message for an event (ROS 2 Humble+ field names). */
export function classificationMessage(event: SenseEvent): object {
  const stamp = BigInt(event.end ?? event.start);
  return {
    header: { stamp: toRosTime(stamp < 0n ? 0n : stamp), frame_id: event.robot },
    results: [{ class_id: event.concept.id, score: event.score }],
  };
}

const EVENT_QOS = { reliability: 'reliable', durability: 'volatile', depth: 100 } as const;

export class Ros2EventSink implements EventSink {
  readonly name = 'ros2';
  #config: Ros2Config;
  #session: Ros2Session;
  #log: Logger;
  #publishers: Promise<{ events?: Ros2Publisher; classification?: Ros2Publisher }> | undefined;
  #stats: SinkStats = { written: 0, dropped: 0, pending: 0, errors: 0 };
  #unavailableLogged = false;
  #errorLogged = false;

  constructor(options: Ros2EventSinkOptions) {
    this.#config = options.config;
    this.#session = options.session;
    this.#log = options.logger ?? silentLogger();
    void this.#open(); // never rejects: every failure is logged and counted inside
  }

  /** Resolves once the publishers exist (or are known to be unavailable). */
  async ready(): Promise<void> {
    await this.#open();
  }

  #open(): Promise<{ events?: Ros2Publisher; classification?: Ros2Publisher }> {
    this.#publishers ??= (async () => {
      const transport = await this.#session.transport();
      if (transport === undefined) return {};
      const out: { events?: Ros2Publisher; classification?: Ros2Publisher } = {};
      const { eventsTopic, classificationTopic } = this.#config;
      if (eventsTopic !== '') {
        try {
          out.events = transport.publisher(eventsTopic, 'std_msgs/msg/String', EVENT_QOS);
        } catch (err) {
          this.#log.error({ topic: eventsTopic, err: errorMessage(err) }, 'cannot publish events on ROS 2');
        }
      }
      if (classificationTopic !== '') {
        try {
          out.classification = transport.publisher(classificationTopic, 'vision_msgs/msg/Classification', EVENT_QOS);
        } catch (err) {
          this.#log.warn({ topic: classificationTopic, err: errorMessage(err) }, 'vision_msgs not available: Classification output off (events still go out as std_msgs/String)');
        }
      }
      return out;
    })();
    return this.#publishers;
  }

  async write(event: SenseEvent): Promise<void> {
    const pubs = await this.#open();
    if (pubs.events === undefined && pubs.classification === undefined) {
      this.#stats.dropped++;
      if (!this.#unavailableLogged) {
        this.#unavailableLogged = true;
        this.#log.warn({ reason: this.#session.unavailableReason }, 'ROS 2 event output unavailable; events are counted as dropped');
      }
      return;
    }
    try {
      pubs.events?.publish({ data: JSON.stringify(event) });
      if (event.type !== 'end') pubs.classification?.publish(classificationMessage(event));
      this.#stats.written++;
    } catch (err) {
      this.#stats.errors++;
      this.#stats.dropped++;
      if (!this.#errorLogged) {
        this.#errorLogged = true;
        this.#log.error({ err: errorMessage(err) }, 'publishing an event on ROS 2 failed; further failures are counted, not logged');
      }
    }
  }

  /**
   * Waits until reliable subscribers acknowledged every event published (at most `deadlineMs`, 2 s by
   * default). The wait blocks the event loop (rmw's wait_for_all_acked is synchronous); it is called at
   * stop and takes milliseconds on a healthy graph. Without subscribers it returns at once.
   */
  async flush(deadlineMs = 2000): Promise<void> {
    const pubs = await this.#open();
    for (const [topic, pub] of [[this.#config.eventsTopic, pubs.events], [this.#config.classificationTopic, pubs.classification]] as const) {
      if (pub?.waitForAllAcked === undefined) continue;
      try {
        if (!pub.waitForAllAcked(Math.max(1, Math.min(deadlineMs, 2000)))) {
          this.#log.warn({ topic, deadlineMs }, 'not every ROS 2 subscriber acknowledged the events before the deadline');
        }
      } catch (err) {
        this.#log.debug({ topic, err: errorMessage(err) }, 'waiting for ROS 2 acknowledgements is not supported here');
      }
    }
  }

  async close(): Promise<void> {
    // the session (shared with the source) owns the node
  }

  stats(): SinkStats {
    return { ...this.#stats, detail: this.#session.unavailableReason !== undefined ? { unavailable: this.#session.unavailableReason } : {} };
  }
}
