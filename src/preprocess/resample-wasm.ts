/**
 * resampleSinc (resample-sinc.ts) run by the WebAssembly kernel: the same per-phase taps and the same
 * double sums in the same order, so the same float32 output, faster.
 */
import type { Kernel } from './resample-sinc.js';
import type { WasmKernels } from './wasm/kernels.js';

/** The kernel's phases packed as the C side reads them: firsts, counts, taps [next][maxTaps]. */
interface Packed {
  firsts: Int32Array;
  counts: Int32Array;
  taps: Float64Array;
  maxTaps: number;
}
const packed = new WeakMap<Kernel, Packed>();

function pack(kernel: Kernel): Packed {
  let p = packed.get(kernel);
  if (p === undefined) {
    const maxTaps = Math.max(1, ...kernel.phases.map((ph) => ph.taps.length));
    const taps = new Float64Array(kernel.next * maxTaps);
    kernel.phases.forEach((ph, j) => taps.set(ph.taps, j * maxTaps));
    p = {
      firsts: Int32Array.from(kernel.phases, (ph) => ph.first),
      counts: Int32Array.from(kernel.phases, (ph) => ph.taps.length),
      taps,
      maxTaps,
    };
    packed.set(kernel, p);
  }
  return p;
}

/** Writes `out` and returns true, or returns false when the kernel's memory cannot hold the input. */
export function resampleSincWasm(wk: WasmKernels, kernel: Kernel, x: Float32Array, out: Float32Array): boolean {
  const { firsts, counts, taps, maxTaps } = pack(kernel);
  const placed = wk.place([x.byteLength, out.byteLength, firsts.byteLength, counts.byteLength, taps.byteLength]);
  if (placed === null) return false;
  const [pX, pOut, pFirsts, pCounts, pTaps] = placed as [number, number, number, number, number];
  wk.f32(pX, x.length).set(x);
  wk.i32(pFirsts, firsts.length).set(firsts);
  wk.i32(pCounts, counts.length).set(counts);
  wk.f64(pTaps, taps.length).set(taps);
  wk.fn.resample_sinc(pX, x.length, pOut, out.length, kernel.orig, kernel.next, kernel.width, pFirsts, pCounts, pTaps, maxTaps);
  out.set(wk.f32(pOut, out.length));
  return true;
}
