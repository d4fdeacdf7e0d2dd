/**
 * Vector arithmetic on embeddings. Everything the runtime hands out is unit length: graphs differ in
 * whether they normalise (ImageBind multiplies unit vectors by a logit scale, and its multi-clip audio
 * output is a mean of scaled vectors, which is not unit length), so the runtime always re-normalises and
 * keeps the scale beside the vector. Concept prototypes and taught exemplars are normalised means too.
 *
 * A zero or non-finite vector has no direction: the functions return undefined for it and the caller,
 * which knows where the vector came from, says so. Inputs are never modified.
 */

/** L2 norm. */
export function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** A new unit-length copy; undefined for a zero or non-finite vector. */
export function normalized(v: Float32Array): Float32Array | undefined {
  const n = norm(v);
  if (!(n > 0) || !Number.isFinite(n)) return undefined;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! / n;
  return out;
}

/**
 * Mean of equally long vectors, re-normalised (the average of unit vectors is shorter than 1); undefined
 * for no vectors or a zero/non-finite mean. Vectors of different lengths are a bug upstream: thrown.
 */
export function meanNormalized(vectors: readonly Float32Array[]): Float32Array | undefined {
  const first = vectors[0];
  if (first === undefined) return undefined;
  const sum = new Float32Array(first.length);
  for (const v of vectors) {
    if (v.length !== sum.length) throw new Error(`cannot average embeddings of lengths ${sum.length} and ${v.length}`);
    for (let i = 0; i < v.length; i++) sum[i]! += v[i]!;
  }
  return normalized(sum);
}

/** Cosine of two unit vectors (their dot product). */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Cosine of any two vectors (fp16-rounded rows, a query not normalised); 0 when either is zero. */
export function cosine(a: Float32Array, b: Float32Array): number {
  const n = norm(a) * norm(b);
  return n > 0 ? dot(a, b) / n : 0;
}
