/**
 * Connects the MQTT command plumbing to the concept memory (src/memory/commands.ts): the memory validates
 * and applies atomically; this maps its reply onto the sink's CommandOutcome. Kept apart from the sink so
 * the sink does not depend on the memory (tests and other hosts inject their own handler).
 */
import type { ConceptMemory } from '../../memory/memory.js';
import { applyConceptCommand } from '../../memory/commands.js';
import type { MqttSink } from '../mqtt.js';
import type { ConceptCommandHandler } from './commands.js';

export function memoryCommandHandler(memory: ConceptMemory): ConceptCommandHandler {
  return async (command) => {
    const reply = await applyConceptCommand(memory, command);
    if (!reply.ok) {
      const message = reply.error ?? `command "${reply.op}" refused`;
      return { ok: false, code: message.startsWith('invalid command') ? 'INVALID' : 'REFUSED', message };
    }
    return { ok: true, result: reply, changed: reply.op !== 'list' };
  };
}

/**
 * Republishes the retained concept list (and Home Assistant discovery) whenever the memory changes by any
 * route (SIGHUP reload, CLI, ROS 2 commands), not only by MQTT commands. Returns the unsubscribe function.
 */
export function followConceptMemory(sink: Pick<MqttSink, 'conceptsChanged'>, memory: ConceptMemory): () => void {
  return memory.onChange(() => void sink.conceptsChanged());
}
