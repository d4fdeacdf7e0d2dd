/**
 * Writes a simulation to a rosbag2 MCAP with the project's writer (src/bag/mcap-writer.ts). Topics are
 * declared up front in a fixed order and the latched AudioInfo goes first, so the same seed gives the
 * same bytes.
 */
import { Ros2McapWriter } from '../bag/mcap-writer.js';
import { AUDIO_RATE } from './audio.js';
import { audioInfoMessage, DEFAULT_SIM_TOPICS, SIM_TYPES, toRosMessage, type SimTopics } from './ros-messages.js';
import type { Simulation } from './simulator.js';

export interface BagWriteProgress {
  /** Simulated seconds written so far. */
  seconds: number;
  messages: number;
}

export interface WriteBagOptions {
  topics?: SimTopics;
  /** Called about once per simulated second. */
  onProgress?: (p: BagWriteProgress) => void;
  /**
   * The header stamp of each message from its role and log time (default: the log time), so a bag can
   * hold a sensor on another clock (an hour off, a boot clock, one bogus stamp) as robots record them.
   */
  headerStamp?: (role: keyof SimTopics, logTime: bigint) => bigint;
}

export interface BagSummary {
  path: string;
  seconds: number;
  messages: Record<keyof SimTopics, number>;
  events: number;
}

export async function writeSimulationBag(sim: Simulation, path: string, options: WriteBagOptions = {}): Promise<BagSummary> {
  const topics = options.topics ?? DEFAULT_SIM_TOPICS;
  const writer = await Ros2McapWriter.open(path);
  const counts: Record<keyof SimTopics, number> = { image: 0, depth: 0, imu: 0, audio: 0, audioInfo: 0, truth: 0 };
  try {
    writer.addTopic(topics.image, SIM_TYPES.image, { reliability: 'best_effort', depth: 5 });
    writer.addTopic(topics.depth, SIM_TYPES.depth, { reliability: 'best_effort', depth: 5 });
    writer.addTopic(topics.imu, SIM_TYPES.imu, { reliability: 'best_effort', depth: 5 });
    writer.addTopic(topics.audio, SIM_TYPES.audio, { reliability: 'reliable', depth: 10 });
    writer.addTopic(topics.audioInfo, SIM_TYPES.audioInfo, { reliability: 'reliable', durability: 'transient_local', depth: 1 });
    writer.addTopic(topics.truth, SIM_TYPES.truth, { reliability: 'reliable', durability: 'transient_local', depth: 100 });
    await writer.write(topics.audioInfo, sim.options.startStamp, audioInfoMessage(AUDIO_RATE));
    counts.audioInfo++;
    let lastReport = -1;
    let total = 1;
    for await (const item of sim.items()) {
      let out = toRosMessage(item, topics);
      const header = options.headerStamp?.(out.role, item.stamp) ?? item.stamp;
      if (header !== item.stamp) out = toRosMessage({ ...item, stamp: header }, topics);
      await writer.write(out.topic, item.stamp, out.message);
      counts[out.role]++;
      total++;
      const seconds = Number(item.stamp - sim.options.startStamp) / 1e9;
      if (options.onProgress !== undefined && Math.floor(seconds) > lastReport) {
        lastReport = Math.floor(seconds);
        options.onProgress({ seconds, messages: total });
      }
    }
  } finally {
    await writer.close();
  }
  return { path, seconds: sim.script.duration, messages: counts, events: sim.script.events.length };
}
