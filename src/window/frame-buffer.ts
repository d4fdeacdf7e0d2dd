/**
 * The newest frame of one frame modality (camera, depth, thermal). Frames older than the current one are
 * late and dropped; a repeated stamp is a duplicate and dropped; both are counted.
 */
import { LatestSlot } from '../core/latest-slot.js';
import type { DepthSample, FrameWindow, ThermalSample, VisionSample } from '../core/types.js';

export interface FrameBufferStats {
  frames: number;
  outOfOrder: number;
  duplicates: number;
  replacedUnread: number;
}

export class FrameBuffer<S extends VisionSample | DepthSample | ThermalSample> {
  readonly #slot = new LatestSlot<S>();
  #outOfOrder = 0;
  #duplicates = 0;

  get end(): bigint | undefined {
    return this.#slot.peek()?.stamp;
  }

  push(frame: S): void {
    const current = this.#slot.peek();
    if (current) {
      if (frame.stamp === current.stamp) {
        this.#duplicates++;
        return;
      }
      if (frame.stamp < current.stamp) {
        this.#outOfOrder++;
        return;
      }
    }
    this.#slot.set(frame);
  }

  window(): FrameWindow<S> | undefined {
    const sample = this.#slot.take() ?? this.#slot.peek();
    return sample ? { kind: 'frame', sample } : undefined;
  }

  stats(): FrameBufferStats {
    const s = this.#slot.stats();
    return { frames: s.written, outOfOrder: this.#outOfOrder, duplicates: this.#duplicates, replacedUnread: s.replacedUnread };
  }
}
