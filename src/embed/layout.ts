/**
 * How preprocessed tensors map onto a graph's input, and the graph's output back onto embeddings. Pure
 * functions, no ONNX Runtime, so the shape rules are tested on their own.
 *
 * A request is one embedding. Its tensor (no batch axis) becomes one or more graph items whose raw
 * outputs are averaged before the single normalisation, so every multi-part case means "the mean
 * direction of the parts", as ImageBind's own clip averaging does:
 *  - dims equal the graph's item shape (-1 axes match anything): one item;
 *  - one extra leading axis [S, ...item]: S items (e.g. 3 audio clips for a graph taking one clip);
 *  - a leading clip axis of a different length than the graph's fixed one (live audio: 1 clip, graph: 3):
 *    S % C == 0 packs the clips C at a time; otherwise each clip is repeated C times, which yields that
 *    clip's own embedding because the graph averages its C identical clips.
 */
import { SensebindError } from '../core/errors.js';
import type { Tensor } from '../preprocess/tensor.js';
import type { GraphDtype } from './manifest.js';

export interface GraphItem {
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** Compact shape text: [-1,3,224,224]. */
export function shapeText(dims: readonly number[]): string {
  return `[${dims.join(',')}]`;
}

function fits(pattern: readonly number[], dims: readonly number[]): boolean {
  return pattern.length === dims.length && pattern.every((p, i) => p === -1 || p === dims[i]);
}

function count(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

function slice(data: Float32Array | BigInt64Array, start: number, length: number): Float32Array | BigInt64Array {
  return data.subarray(start, start + length);
}

function repeat(data: Float32Array | BigInt64Array, times: number): Float32Array | BigInt64Array {
  const out = data instanceof Float32Array ? new Float32Array(data.length * times) : new BigInt64Array(data.length * times);
  // The two branches differ only in element type; set() is typed per array.
  for (let i = 0; i < times; i++) (out as Float32Array).set(data as Float32Array, i * data.length);
  return out;
}

/**
 * Splits one request tensor into the graph items whose outputs make its embedding.
 * `itemShape` is the graph input shape without the batch axis; `where` names the modality in errors.
 */
export function planItems(tensor: Tensor, itemShape: readonly number[], graphDtype: GraphDtype, where: string): GraphItem[] {
  const wantInt = graphDtype === 'int64';
  if ((tensor.dtype === 'int64') !== wantInt) {
    throw new SensebindError('INPUT', `${where}: the graph takes ${graphDtype} input, the preprocessed tensor is ${tensor.dtype}`);
  }
  const dims = tensor.dims;
  if (tensor.data.length !== count(dims)) {
    throw new SensebindError('INPUT', `${where}: tensor data has ${tensor.data.length} elements, its shape ${shapeText(dims)} needs ${count(dims)}`);
  }
  if (fits(itemShape, dims)) return [{ dims: [...dims], data: tensor.data }];
  const inner = dims.slice(1);
  const s = dims[0] ?? 0;
  if (dims.length === itemShape.length + 1 && fits(itemShape, inner)) {
    const n = count(inner);
    return Array.from({ length: s }, (_, i) => ({ dims: [...inner], data: slice(tensor.data, i * n, n) }));
  }
  const c = itemShape[0] ?? -1;
  if (dims.length === itemShape.length && c > 0 && s > 0 && fits(itemShape.slice(1), inner)) {
    const n = count(inner);
    const itemDims = [c, ...inner];
    if (s % c === 0) {
      return Array.from({ length: s / c }, (_, i) => ({ dims: itemDims, data: slice(tensor.data, i * c * n, c * n) }));
    }
    return Array.from({ length: s }, (_, i) => ({ dims: itemDims, data: repeat(slice(tensor.data, i * n, n), c) }));
  }
  throw new SensebindError(
    'INPUT',
    `${where}: a preprocessed tensor of shape ${shapeText(dims)} does not fit the graph input ${shapeText([-1, ...itemShape])} ` +
      '(check the manifest\'s input.shape against its preprocess parameters)',
  );
}

/** Concatenates items of identical dims into one batch buffer, padding with copies of the first to `batch`. */
export function stackItems(items: readonly GraphItem[], batch: number): Float32Array | BigInt64Array {
  const first = items[0];
  if (first === undefined) throw new Error('stackItems: no items');
  const n = first.data.length;
  const out = first.data instanceof Float32Array ? new Float32Array(n * batch) : new BigInt64Array(n * batch);
  for (let i = 0; i < batch; i++) (out as Float32Array).set((items[i] ?? first).data as Float32Array, i * n);
  return out;
}

/**
 * Raw output rows of one batch, per item: output dims [N, ...middle, D]; middle axes (clips, frames) are
 * averaged. Returns the first `used` items' unnormalised vectors.
 */
export function splitOutput(data: Float32Array, dims: readonly number[], used: number, embeddingDim: number, where: string): Float32Array[] {
  const d = dims[dims.length - 1];
  const n = dims[0];
  if (dims.length < 2 || d !== embeddingDim || n === undefined || n < used) {
    throw new SensebindError('MODEL', `${where}: graph output shape ${shapeText(dims)}, expected [batch,${embeddingDim}] (manifest embeddingDim ${embeddingDim})`);
  }
  const rows = count(dims.slice(1, -1));
  const out: Float32Array[] = [];
  for (let i = 0; i < used; i++) {
    const v = new Float32Array(d);
    for (let r = 0; r < rows; r++) {
      const base = (i * rows + r) * d;
      for (let k = 0; k < d; k++) v[k]! += data[base + k]!;
    }
    if (rows > 1) for (let k = 0; k < d; k++) v[k]! /= rows;
    out.push(v);
  }
  return out;
}
