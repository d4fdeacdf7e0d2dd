/**
 * The concept control plane: the one way a running agent's concept memory changes. MQTT commands, ROS 2
 * commands, SIGHUP reloads and the CLI all call `apply` or `reload`; the memory validates and commits
 * atomically, the reply carries a code (OK / INVALID / REFUSED) that each transport maps onto its own
 * reply, and every change is logged once here with where it came from.
 */
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { applyConceptCommand, type ConceptCommandReply } from '../memory/commands.js';
import { loadConceptFile } from '../memory/concept-file.js';
import type { ConceptMemory } from '../memory/memory.js';
import type { LiveBackground } from '../match/background-live.js';
import type { ConceptCommandHandler } from '../sinks/mqtt/commands.js';

export type CommandOrigin = 'mqtt' | 'ros2' | 'cli' | 'sighup';

export class ConceptControl {
  readonly memory: ConceptMemory;
  readonly #conceptFile: string;
  readonly #logger: Logger;
  readonly #background: LiveBackground | undefined;

  constructor(memory: ConceptMemory, options: { conceptFile: string; logger: Logger; background?: LiveBackground }) {
    this.memory = memory;
    this.#conceptFile = options.conceptFile;
    this.#logger = options.logger;
    this.#background = options.background;
  }

  /** Validates and applies one command; never throws (the reply says what happened). */
  async apply(command: unknown, origin: CommandOrigin): Promise<ConceptCommandReply> {
    const reply = await applyConceptCommand(this.memory, command, { surface: origin === 'cli' ? 'cli' : 'message' });
    // The memory knows the freeze and reset; the estimate (this process's, when on) knows the rest.
    if (reply.background !== undefined) {
      if (this.#background) reply.background = { ...reply.background, ...this.#background.status() };
      else reply.background.mode = 'off';
    }
    const fields = { origin, op: reply.op, id: reply.id, code: reply.code, version: reply.version };
    if (reply.ok) {
      const readOnly = reply.op === 'list' || (reply.op === 'background' && (command as { action?: unknown }).action === 'status');
      if (!readOnly) this.#logger.info(fields, 'concept command applied');
    } else {
      this.#logger.warn({ ...fields, err: reply.error }, 'concept command not applied');
    }
    return reply;
  }

  /** The MQTT sink's command handler (src/sinks/mqtt/commands.ts) over `apply`. */
  mqttHandler(): ConceptCommandHandler {
    return async (command) => {
      const reply = await this.apply(command, 'mqtt');
      if (!reply.ok) return { ok: false, code: reply.code, message: reply.error ?? `command "${reply.op}" refused` };
      return { ok: true, result: reply, changed: reply.op !== 'list' && reply.op !== 'background' };
    };
  }

  /**
   * SIGHUP: re-reads the concept file and applies its definitions (thresholds, prompts, enabled flags):
   * concepts in the file replace those with the same id, concepts added at run time (commands, teach)
   * stay, exemplars stay. The matcher follows the memory and keeps running events of surviving concepts.
   * Resolves with a one-line summary; throws (keeping the old concepts) when the file is bad.
   */
  async reload(): Promise<string> {
    const file = await loadConceptFile(this.#conceptFile);
    const fromFile = new Set(file.concepts.map((c) => c.id));
    let kept = 0;
    await this.memory.commit((draft) => {
      const runtimeOnly = draft.concepts.filter((c) => !fromFile.has(c.id));
      kept = runtimeOnly.length;
      return { ...draft, defaults: file.defaults, concepts: [...file.concepts, ...runtimeOnly] };
    });
    return `${file.concepts.length} concepts from ${this.#conceptFile}, ${kept} added at run time kept`;
  }

  /** Calls `onChange` after every change by any route; returns the unsubscribe function. */
  follow(onChange: () => Promise<void> | void): () => void {
    return this.memory.onChange(() => {
      Promise.resolve(onChange()).catch((err: unknown) => this.#logger.warn({ err: errorMessage(err) }, 'concept change follower failed'));
    });
  }
}
