/**
 * The memory's state as one immutable value: definitions, taught exemplars and the prototype vectors the
 * current model gave them. Commands build a new state and swap it in only when everything (prototypes,
 * persistence) succeeded, which is what makes a bad command change nothing.
 */
import type { SensorModality } from '../core/types.js';
import type { ConceptDef, ConceptDefaults } from './concept.js';

/** Unit vectors per modality. */
export type ModalityVectors = Partial<Record<SensorModality, Float32Array>>;
export type ModalityVectorLists = Partial<Record<SensorModality, Float32Array[]>>;

export interface PrototypeTable {
  /** The text model that produced the vectors; a different model invalidates them. */
  modelId: string;
  dim: number;
  /** Concept id -> per-modality prototype (several modalities may share one vector). */
  byConcept: Map<string, ModalityVectors>;
}

/**
 * The user's hold on the live background estimate (src/match/background-live.ts): kept in the memory so
 * that a freeze or reset sent to any process (CLI, MQTT, ROS 2) reaches the running agent through the
 * state file like any concept edit. The estimate itself is the agent's and lives beside the file.
 */
export interface BackgroundControl {
  /** The estimate stops learning; what it learnt still applies. */
  frozen: boolean;
  /** Incremented by each reset: an estimate learnt under an older value is discarded. */
  resets: number;
}

export const NO_BACKGROUND_CONTROL: BackgroundControl = { frozen: false, resets: 0 };

export interface MemoryState {
  defaults: ConceptDefaults;
  concepts: ConceptDef[];
  exemplars: Map<string, ModalityVectorLists>;
  prototypes: PrototypeTable | undefined;
  /** Absent = NO_BACKGROUND_CONTROL. */
  background?: BackgroundControl;
}

export function emptyState(defaults: ConceptDefaults): MemoryState {
  return { defaults, concepts: [], exemplars: new Map(), prototypes: undefined };
}
