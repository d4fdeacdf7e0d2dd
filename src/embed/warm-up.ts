/**
 * Synthetic windows that take every preprocessing and graph code path once before the first real tick.
 * Without them the first snapshots pay for JIT compilation, WebAssembly instantiation in each worker and
 * ONNX Runtime's first-run allocations: measured 100-350 ms on the first two ticks with the bundled model
 * (a tick is otherwise about 15 ms), i.e. the first event on a freshly started robot came late.
 */
import type { TaggedWindow } from '../core/types.js';
import type { WindowParams } from '../preprocess/index.js';

/** A camera-sized frame: the resize kernels are the same for any size, so one common size warms them. */
const WIDTH = 320;
const HEIGHT = 240;

/** One zero window per modality that `params` preprocesses (all but text). */
export function warmUpWindows(params: WindowParams): TaggedWindow[] {
  const out: TaggedWindow[] = [];
  const base = { sensorId: 'warm-up', stamp: 0n } as const;
  if (params.vision) {
    out.push({ modality: 'vision', window: { kind: 'frame', sample: { ...base, modality: 'vision', width: WIDTH, height: HEIGHT, rgb: new Uint8Array(WIDTH * HEIGHT * 3) } } });
  }
  if (params.depth) {
    out.push({ modality: 'depth', window: { kind: 'frame', sample: { ...base, modality: 'depth', width: WIDTH, height: HEIGHT, metres: new Float32Array(WIDTH * HEIGHT).fill(1) } } });
  }
  if (params.thermal) {
    out.push({ modality: 'thermal', window: { kind: 'frame', sample: { ...base, modality: 'thermal', width: WIDTH, height: HEIGHT, values: new Float32Array(WIDTH * HEIGHT) } } });
  }
  if (params.audio) {
    const rate = params.audio.sampleRate;
    const n = Math.round(rate * params.audio.clipSeconds * params.audio.liveClips);
    out.push({ modality: 'audio', window: { kind: 'audio', rate, samples: new Float32Array(n), start: 0n, end: BigInt(Math.round((n / rate) * 1e9)), coverage: 1 } });
  }
  if (params.imu) {
    const count = params.imu.samples;
    out.push({ modality: 'imu', window: { kind: 'imu', count, channels: new Float32Array(6 * count), start: 0n, end: BigInt(Math.round(params.imu.windowSeconds * 1e9)), readings: count, coverage: 1 } });
  }
  return out;
}
