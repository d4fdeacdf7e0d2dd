/**
 * sharp (libvips), loaded on first use: importing it costs about 0.3 s of start-up, paid by every process
 * and every preprocessing worker, while raw camera topics and the default resizer never need it.
 */
import type sharpType from 'sharp';

let loading: Promise<typeof sharpType> | undefined;

export function loadSharp(): Promise<typeof sharpType> {
  loading ??= import('sharp').then((m) => m.default);
  return loading;
}
