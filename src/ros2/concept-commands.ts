/**
 * Concept commands over ROS 2: std_msgs/String messages on `~/concepts` holding one JSON object, e.g.
 * {"op":"add","concept":{"id":"glass","label":"glass breaking","prompts":["glass breaking"]}},
 * {"op":"enable","id":"glass"}, {"op":"disable","id":"glass"}, {"op":"remove","id":"glass"},
 * {"op":"teach","id":"glass","seconds":2}. sensebind's concept memory (issue 6) interprets them; this
 * module only parses and hands them over, counting and logging (once) what does not parse.
 */
import { errorMessage } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Ros2Subscription, Ros2Transport } from './transport.js';

export interface ConceptCommand {
  op: string;
  [key: string]: unknown;
}

export function parseConceptCommand(text: string): ConceptCommand {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`concept command is not JSON: ${errorMessage(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { op?: unknown }).op !== 'string') {
    throw new Error('concept command must be a JSON object with a string "op"');
  }
  return value as ConceptCommand;
}

export function subscribeConceptCommands(
  transport: Ros2Transport,
  topic: string,
  onCommand: (command: ConceptCommand) => void,
  logger: Logger = silentLogger(),
): { subscription: Ros2Subscription; stats: () => { received: number; bad: number } } {
  let received = 0;
  let bad = 0;
  const subscription = transport.subscribe(topic, 'std_msgs/msg/String', { reliability: 'reliable', durability: 'volatile', depth: 10 }, (message) => {
    received++;
    try {
      onCommand(parseConceptCommand(String((message as { data?: unknown }).data ?? '')));
    } catch (err) {
      if (bad++ === 0) logger.warn({ topic: subscription.topic, reason: errorMessage(err) }, 'bad concept command; further ones are counted, not logged');
    }
  });
  return { subscription, stats: () => ({ received, bad }) };
}
