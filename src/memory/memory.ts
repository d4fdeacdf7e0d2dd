/**
 * The concept memory: the concepts the agent matches against, their prototypes for the current model, and
 * the exemplars taught from live data. One owner (the agent) holds it; changes go through `commit`, which
 * builds the next state aside, embeds what changed, persists it, and only then swaps it in, so a failed
 * change leaves the memory exactly as it was. Listeners (the matcher) hear about each swap.
 *
 * Several processes may edit one state file (the running agent, `sensebind concepts`, a second agent).
 * A commit holds `<file>.lock` (file-lock.ts) from reading to renaming: under it, when the file changed
 * since this process last read or wrote it, the file's state becomes the base the edit applies to, so an
 * edit acknowledged by any process is never overwritten by another's stale copy. `followFile` lets a
 * running agent pick up other processes' edits without waiting for its own next commit.
 */
import { unwatchFile, watchFile } from 'node:fs';
import { SENSOR_MODALITIES, type SensorModality, type SnapshotEmbeddings, type StampNs } from '../core/types.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { BUILTIN_DEFAULTS, type ConceptDef, type ConceptDefaults } from './concept.js';
import { loadConceptFile } from './concept-file.js';
import { fileStamp, loadState, saveState } from './persist.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { emptyState, type MemoryState, type ModalityVectorLists, type ModalityVectors } from './state.js';

/** Turns concept definitions into per-modality prototype vectors with a text encoder (src/match/prototypes.ts). */
export interface PrototypeBuilder {
  modelId: string;
  build(concepts: readonly ConceptDef[]): Promise<Map<string, ModalityVectors>>;
}

export interface ConceptMemoryOptions {
  /** Where the state is persisted; in memory only when absent. */
  stateFile?: string;
  /** Embeds prototypes; without it the memory holds definitions and exemplars only. */
  builder?: PrototypeBuilder;
  logger?: Logger;
  /** Exemplars kept per concept and modality; the oldest go first. @default 32 */
  maxExemplars?: number;
  /** Seconds of recent snapshots kept for `teach` without a bag. @default 10 */
  recentSeconds?: number;
  /** Lock settings for the state file. @default FileLock's (stale after 30 s without refresh, give up after 120 s) */
  lock?: FileLockOptions;
}

export type MemoryListener = (state: MemoryState) => void;

export class ConceptMemory {
  #state: MemoryState;
  #byId: Map<string, ConceptDef>;
  readonly #stateFile: string | undefined;
  readonly #builder: PrototypeBuilder | undefined;
  readonly #logger: Logger | undefined;
  readonly #listeners = new Set<MemoryListener>();
  readonly maxExemplars: number;
  readonly #recentNs: bigint;
  readonly #recent: SnapshotEmbeddings[] = [];
  #version = 0;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #lock: FileLockOptions | undefined;
  /** fileStamp of the state file as this process last read or wrote it. */
  #diskStamp: string | undefined;

  constructor(state: MemoryState, options: ConceptMemoryOptions = {}, diskStamp?: string) {
    const { stateFile, builder, logger, maxExemplars = 32, recentSeconds = 10, lock } = options;
    this.#lock = lock;
    this.#diskStamp = diskStamp;
    this.#state = state;
    this.#byId = new Map(state.concepts.map((c) => [c.id, c]));
    this.#stateFile = stateFile;
    this.#builder = builder;
    this.#logger = logger;
    this.maxExemplars = maxExemplars;
    this.#recentNs = BigInt(Math.round(recentSeconds * 1e9));
  }

  /**
   * Opens a memory: the persisted state when `stateFile` holds a good one, else the concept file (seed),
   * else empty. Prototypes missing for the builder's model are embedded (and persisted) before returning.
   */
  static async open(options: ConceptMemoryOptions & { conceptFile?: string; defaults?: ConceptDefaults }): Promise<ConceptMemory> {
    let state: MemoryState | undefined;
    let stamp: string | undefined;
    if (options.stateFile !== undefined) {
      // Stamp before reading: a save in between makes the stamp older than the content, which only costs a re-read.
      stamp = await fileStamp(options.stateFile);
      const loaded = await loadState(options.stateFile);
      if (loaded !== undefined) {
        if (loaded.rejected !== undefined) options.logger?.warn({ file: options.stateFile, reason: loaded.rejected }, 'concept memory: main file rejected, using the last good copy');
        state = loaded.state;
      }
    }
    if (state === undefined && options.conceptFile !== undefined) {
      const file = await loadConceptFile(options.conceptFile);
      state = { ...emptyState(file.defaults), concepts: file.concepts };
    }
    state ??= emptyState(options.defaults ?? BUILTIN_DEFAULTS);
    const memory = new ConceptMemory(state, options, stamp);
    await memory.ensurePrototypes();
    return memory;
  }

  get state(): MemoryState {
    return this.#state;
  }
  /** Increments on every committed change. */
  get version(): number {
    return this.#version;
  }
  get defaults(): ConceptDefaults {
    return this.#state.defaults;
  }
  get modelId(): string | undefined {
    return this.#builder?.modelId;
  }
  concepts(): readonly ConceptDef[] {
    return this.#state.concepts;
  }
  get(id: string): ConceptDef | undefined {
    return this.#byId.get(id);
  }
  exemplars(id: string): ModalityVectorLists {
    return this.#state.exemplars.get(id) ?? {};
  }
  prototypes(id: string): ModalityVectors | undefined {
    return this.#state.prototypes?.byConcept.get(id);
  }

  onChange(listener: MemoryListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Embeds prototypes that are missing (new concepts, another model) and persists when anything changed.
   * Without a builder there is nothing to embed, and nothing is written (`concepts list` stays read-only).
   */
  async ensurePrototypes(): Promise<void> {
    if (this.#builder === undefined) return;
    await this.commit((s) => s);
  }

  /**
   * Re-reads the state file when another process saved it (polled every `intervalMs`), so CLI, MQTT or
   * ROS 2 edits made through another process reach this one's matcher. Returns the stop function.
   */
  followFile(intervalMs = 2000): () => void {
    const file = this.#stateFile;
    if (file === undefined) return () => {};
    const onChange = () => {
      void fileStamp(file)
        .then((stamp) => {
          if (stamp !== undefined && stamp !== this.#diskStamp) return this.commit((s) => s);
          return undefined;
        })
        .catch((err: unknown) => this.#logger?.warn({ file, err: errorMessage(err) }, 'concept memory: re-reading the state file failed; keeping the current concepts'));
    };
    watchFile(file, { interval: intervalMs, persistent: false }, onChange);
    return () => unwatchFile(file, onChange);
  }

  /**
   * Applies `mutate` to a copy of the state, embeds prototypes of concepts whose text changed, persists,
   * then swaps. Commits run one at a time in call order. Throws (and changes nothing) on any failure.
   */
  commit(mutate: (draft: MemoryState) => MemoryState): Promise<void> {
    const run = this.#queue.then(() => this.#commitNow(mutate));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #commitNow(mutate: (draft: MemoryState) => MemoryState): Promise<void> {
    const file = this.#stateFile;
    if (file === undefined) return this.#apply(this.#state, mutate, undefined);
    await withFileLock(
      file,
      async () => {
        // Under the lock: the file is the truth; another process may have saved since we last looked.
        let base = this.#state;
        const stamp = await fileStamp(file);
        if (stamp !== undefined && stamp !== this.#diskStamp) {
          const loaded = await loadState(file);
          if (loaded !== undefined) {
            base = loaded.state;
            this.#logger?.info({ file, concepts: base.concepts.length }, 'concept memory: another process saved the state file; applying on top of it');
          }
          this.#diskStamp = stamp;
        }
        await this.#apply(base, mutate, file);
      },
      this.#lock,
    );
  }

  /** mutate -> prototypes -> persist -> swap; `base` is the current state or the one just read from the file. */
  async #apply(base: MemoryState, mutate: (draft: MemoryState) => MemoryState, file: string | undefined): Promise<void> {
    const current = this.#state;
    const draft: MemoryState = {
      defaults: base.defaults,
      concepts: [...base.concepts],
      exemplars: new Map(base.exemplars),
      prototypes: base.prototypes,
    };
    if (base.background !== undefined) draft.background = base.background;
    const mutated = mutate(draft);
    // A mutation that changed nothing returns the draft as it was: keep `base` so nothing is re-written.
    const next = sameContent(mutated, base) ? base : mutated;
    const ids = new Set<string>();
    for (const c of next.concepts) {
      if (ids.has(c.id)) throw new SensebindError('INPUT', `concept memory: duplicate concept id "${c.id}"`);
      ids.add(c.id);
    }
    if (next !== base) for (const id of next.exemplars.keys()) if (!ids.has(id)) next.exemplars.delete(id);
    const rebuilt = await this.#withPrototypes(next, base);
    if (rebuilt !== base && file !== undefined) {
      await saveState(file, rebuilt);
      this.#diskStamp = await fileStamp(file);
    }
    if (rebuilt === current) return;
    this.#state = rebuilt;
    this.#byId = new Map(rebuilt.concepts.map((c) => [c.id, c]));
    this.#version++;
    for (const l of this.#listeners) l(rebuilt);
  }

  /** Returns `next` with prototypes for every concept under the builder's model (reusing unchanged ones). */
  async #withPrototypes(next: MemoryState, previous: MemoryState): Promise<MemoryState> {
    const builder = this.#builder;
    if (builder === undefined) return next;
    const old = next.prototypes?.modelId === builder.modelId ? next.prototypes : undefined;
    const prevById = new Map(previous.concepts.map((c) => [c.id, c]));
    const todo: ConceptDef[] = [];
    const byConcept = new Map<string, ModalityVectors>();
    for (const c of next.concepts) {
      const have = old?.byConcept.get(c.id);
      const before = prevById.get(c.id);
      const sameText = before !== undefined && sameTextDefinition(before, c);
      if (have !== undefined && (sameText || before === undefined)) byConcept.set(c.id, have);
      else todo.push(c);
    }
    if (todo.length === 0 && old !== undefined && byConcept.size === old.byConcept.size && next === previous) return next;
    if (todo.length > 0) {
      this.#logger?.info({ concepts: todo.length, model: builder.modelId }, 'concept memory: embedding prototypes');
      const built = await builder.build(todo);
      for (const c of todo) {
        const v = built.get(c.id);
        if (v === undefined) throw new SensebindError('MODEL', `concept memory: the text encoder returned no prototype for "${c.id}"`);
        byConcept.set(c.id, v);
      }
    }
    const dim = firstDim(byConcept) ?? old?.dim ?? 0;
    return { ...next, prototypes: { modelId: builder.modelId, dim, byConcept } };
  }

  /** Called by the matcher for each snapshot: keeps the last `recentSeconds` for `teach`. */
  observe(snapshot: SnapshotEmbeddings): void {
    this.#recent.push(snapshot);
    const cutoff = snapshot.stamp - this.#recentNs;
    while (this.#recent.length > 0 && (this.#recent[0] as SnapshotEmbeddings).stamp < cutoff) this.#recent.shift();
  }

  /** Snapshots observed in the last `seconds` (newest last). */
  recent(seconds: number): SnapshotEmbeddings[] {
    const last = this.#recent[this.#recent.length - 1];
    if (last === undefined) return [];
    const cutoff: StampNs = last.stamp - BigInt(Math.round(seconds * 1e9));
    return this.#recent.filter((s) => s.stamp >= cutoff);
  }
}

/** Whether a mutation left the state as it was (same objects in the same places). */
function sameContent(a: MemoryState, b: MemoryState): boolean {
  if (a === b) return true;
  if (a.defaults !== b.defaults || a.prototypes !== b.prototypes || a.background !== b.background) return false;
  if (a.concepts.length !== b.concepts.length || a.exemplars.size !== b.exemplars.size) return false;
  for (let i = 0; i < a.concepts.length; i++) if (a.concepts[i] !== b.concepts[i]) return false;
  for (const [id, v] of a.exemplars) if (b.exemplars.get(id) !== v) return false;
  return true;
}

function firstDim(map: Map<string, ModalityVectors>): number | undefined {
  for (const v of map.values()) for (const m of SENSOR_MODALITIES) if (v[m] !== undefined) return (v[m] as Float32Array).length;
  return undefined;
}

/** Whether two definitions embed to the same prototypes. */
function sameTextDefinition(a: ConceptDef, b: ConceptDef): boolean {
  return JSON.stringify([a.prompts, a.templates]) === JSON.stringify([b.prompts, b.templates]);
}

export type { SensorModality };
