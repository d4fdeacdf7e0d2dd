/**
 * The one tensor type preprocessing hands to the embedding runtime. `dims` has no batch axis: the runtime
 * stacks windows into batches. Data is row-major (C order), little-endian when written to disk.
 */
export interface Tensor {
  dtype: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** Number of elements a shape holds. */
function elementCount(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

export function float32Tensor(dims: number[], data: Float32Array): Tensor {
  if (data.length !== elementCount(dims)) {
    throw new Error(`tensor data has ${data.length} elements, shape [${dims.join(',')}] needs ${elementCount(dims)}`);
  }
  return { dtype: 'float32', dims, data };
}

/**
 * Where a tensor's values go: `into` (a slice of the caller's batch buffer, so nothing is allocated or
 * copied per window) or a new array. `into` must hold at least `n` values.
 */
export function outputBuffer(n: number, into?: Float32Array): Float32Array {
  if (into === undefined) return new Float32Array(n);
  if (into.length < n) throw new RangeError(`output buffer holds ${into.length} values, the tensor needs ${n}`);
  return into.length === n ? into : into.subarray(0, n);
}

/** The tensor's bytes as raw little-endian values (every platform Node runs on is little-endian). */
export function tensorBytes(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
