// Tags test windows with their modality for EmbeddingRuntime.embedWindows / preprocessWindow. The product
// builds tagged windows from snapshots (core/types.ts taggedWindows); tests hold loose windows of one
// modality, so the pairing is asserted here, once.
import type { ModalityWindows, SensorModality, TaggedWindow } from '../../src/core/types.js';

export function tagged<M extends SensorModality>(modality: M, windows: readonly NonNullable<ModalityWindows[M]>[]): TaggedWindow[] {
  return windows.map((window) => ({ modality, window }) as TaggedWindow);
}
