/**
 * Loads the WebAssembly SIMD kernels (kernels.c, embedded in kernels-binary.ts) once per process, and lays
 * out their memory for each call. The kernels have no allocator: a call asks `place` for its buffers (input
 * copies, scratch, output) at 16-byte aligned offsets above the module's static data, the memory grows when
 * a larger frame arrives, and it is reused by every later call (it never shrinks: about 28 MB after a 4K
 * RGB frame, 36 MB after a 4K float depth frame, 0.9 MB of tables included). Synchronous and
 * single-threaded like the rest of preprocessing, so no two calls share the layout.
 *
 * When WebAssembly SIMD is unavailable, or SENSEBIND_WASM=0 is set, `wasmKernels()` returns null and callers
 * use the TypeScript implementations, which compute the same values more slowly.
 */
import { KERNELS_WASM_BASE64 } from './kernels-binary.js';

type Ptr = number;

// The project compiles against ES2023 + @types/node, which carry no WebAssembly types (lib.dom does): the
// little of the API used here is declared, and resolves to Node's global at run time.
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface KernelExports {
  memory: WasmMemory;
  __heap_base: { value: number };
  h_rgb_planar(src: Ptr, width: number, first: number, rows: number, n: number, bounds: Ptr, k: Ptr, ksize: number, tmp: Ptr): void;
  v_planar_normalise(tmp: Ptr, tmpRows: number, w: number, first: number, outRows: number, bounds: Ptr, k: Ptr, ksize: number, mean: Ptr, std: Ptr, out: Ptr): void;
  h_float(src: Ptr, width: number, first: number, tmpRows: number, colFirst: number, span: number, n: number, bounds: Ptr, k: Ptr, ksize: number, mode: number, params: Ptr, pairs: Ptr, tmp: Ptr): void;
  v_float(tmp: Ptr, w: number, first: number, outRows: number, bounds: Ptr, k: Ptr, ksize: number, normalise: number, mean: number, std: number, out: Ptr): void;
  resample_linear(times: Ptr, n: number, ch: Ptr, nch: number, first: number, step: number, count: number, scale: Ptr, out: Ptr): void;
  resample_sinc(x: Ptr, n: number, out: Ptr, outLen: number, orig: number, next: number, width: number, firsts: Ptr, counts: Ptr, taps: Ptr, maxTaps: number): void;
}

/** 'auto': the kernels when wasmKernels() has them, else TypeScript; 'typescript': always the TypeScript port. */
export type Engine = 'auto' | 'typescript';

export interface WasmKernels {
  fn: KernelExports;
  /**
   * Offsets for buffers of the given byte sizes (each 16-byte aligned, with 16 spare bytes after it because
   * some kernels read a vector past their last element), growing the memory if needed; null when it cannot
   * grow that far (the caller then uses TypeScript). Invalidates views taken before the call.
   */
  place(sizes: readonly number[]): Ptr[] | null;
  /** Views on the current memory (take them after `place`). */
  u8(ptr: Ptr, n: number): Uint8Array;
  i32(ptr: Ptr, n: number): Int32Array;
  f32(ptr: Ptr, n: number): Float32Array;
  f64(ptr: Ptr, n: number): Float64Array;
}

const PAGE = 65536;
const align16 = (x: number) => (x + 15) & ~15;

let loaded: WasmKernels | null | undefined;
let failure: string | undefined;

function load(): WasmKernels {
  const module = new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  const fn = new WebAssembly.Instance(module, {}).exports as unknown as KernelExports;
  const heapBase = align16(fn.__heap_base.value);
  const mem = fn.memory;
  return {
    fn,
    place(sizes) {
      let top = heapBase;
      const offsets = sizes.map((s) => {
        const at = top;
        top = align16(top + s + 16);
        return at;
      });
      const missing = top - mem.buffer.byteLength;
      if (missing > 0) {
        try {
          mem.grow(Math.ceil(missing / PAGE));
        } catch {
          return null; // beyond wasm32's 4 GiB or the process's memory: too large a frame for the kernels
        }
      }
      return offsets;
    },
    u8: (ptr, n) => new Uint8Array(mem.buffer, ptr, n),
    i32: (ptr, n) => new Int32Array(mem.buffer, ptr, n),
    f32: (ptr, n) => new Float32Array(mem.buffer, ptr, n),
    f64: (ptr, n) => new Float64Array(mem.buffer, ptr, n),
  };
}

/** The kernels, or null when they cannot run here (see wasmUnavailableReason) or SENSEBIND_WASM=0. */
export function wasmKernels(): WasmKernels | null {
  if (loaded !== undefined) return loaded;
  if (process.env['SENSEBIND_WASM'] === '0') {
    failure = 'disabled by SENSEBIND_WASM=0';
    loaded = null;
    return loaded;
  }
  try {
    loaded = load();
  } catch (err) {
    // A runtime without WebAssembly SIMD (Node < 16.4, or a build with it turned off) rejects the module.
    failure = err instanceof Error ? err.message : String(err);
    loaded = null;
  }
  return loaded;
}

/** Why wasmKernels() is null (for `sensebind doctor` and logs), or null when the kernels are in use. */
export function wasmUnavailableReason(): string | null {
  wasmKernels();
  return failure ?? null;
}
