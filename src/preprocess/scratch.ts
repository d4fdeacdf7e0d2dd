/**
 * Reusable scratch buffers for the large intermediates of one preprocessing call (resize passes, converted
 * depth/thermal values, fbank rows). A fresh megabyte-sized typed array is zero-filled memory from the OS,
 * and touching its pages costs more than the arithmetic done on it; reusing a buffer per named slot avoids
 * that. Safe because every preprocessing function is synchronous: no two calls interleave on one thread.
 * Never return a scratch buffer to a caller.
 */

const f32 = new Map<string, Float32Array>();
const f64 = new Map<string, Float64Array>();
const u8 = new Map<string, Uint8Array>();

function take<T extends Float32Array | Float64Array | Uint8Array>(pool: Map<string, T>, slot: string, n: number, make: (n: number) => T): T {
  let buf = pool.get(slot);
  if (buf === undefined || buf.length < n) {
    buf = make(n);
    pool.set(slot, buf);
  }
  return buf.subarray(0, n) as T;
}

export const scratchF32 = (slot: string, n: number): Float32Array => take(f32, slot, n, (k) => new Float32Array(k));
export const scratchF64 = (slot: string, n: number): Float64Array => take(f64, slot, n, (k) => new Float64Array(k));
export const scratchU8 = (slot: string, n: number): Uint8Array => take(u8, slot, n, (k) => new Uint8Array(k));
