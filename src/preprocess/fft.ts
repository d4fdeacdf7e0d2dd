/**
 * Power spectrum of a real frame (power-of-two length N) via one complex FFT of N/2 points and the usual
 * split step. Float64 throughout; tables are built once per size.
 */

interface Plan {
  n: number;
  half: number;
  rev: Uint32Array;
  /** Twiddles of the N/2-point FFT. */
  cos: Float64Array;
  sin: Float64Array;
  /** Split-step twiddles e^{-2 pi i k / N}, k < N/2. */
  wr: Float64Array;
  wi: Float64Array;
  re: Float64Array;
  im: Float64Array;
}

const plans = new Map<number, Plan>();

function planFor(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  if (n < 8 || (n & (n - 1)) !== 0) throw new RangeError(`FFT size ${n} is not a power of two >= 8`);
  const half = n / 2;
  const bits = Math.log2(half);
  const rev = new Uint32Array(half);
  for (let i = 0; i < half; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const cos = new Float64Array(half / 2);
  const sin = new Float64Array(half / 2);
  for (let i = 0; i < half / 2; i++) {
    cos[i] = Math.cos((2 * Math.PI * i) / half);
    sin[i] = -Math.sin((2 * Math.PI * i) / half);
  }
  const wr = new Float64Array(half);
  const wi = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    wr[k] = Math.cos((2 * Math.PI * k) / n);
    wi[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  p = { n, half, rev, cos, sin, wr, wi, re: new Float64Array(half), im: new Float64Array(half) };
  plans.set(n, p);
  return p;
}

/**
 * Writes |X[k]|^2 (or |X[k]| when `power` is false) for k = 0 .. N/2 into `out` (length N/2 + 1).
 * `frame` has N real values.
 */
export function realSpectrum(frame: Float64Array, out: Float64Array, power: boolean): void {
  const p = planFor(frame.length);
  const { half, rev, cos, sin, wr, wi, re, im } = p;
  for (let i = 0; i < half; i++) {
    const r = rev[i]!;
    re[r] = frame[2 * i]!;
    im[r] = frame[2 * i + 1]!;
  }
  // First two stages as one radix-4 pass: their twiddles are 1 and -i, so no multiplications.
  for (let a = 0; a < half; a += 4) {
    const r0 = re[a]!, i0 = im[a]!, r1 = re[a + 1]!, i1 = im[a + 1]!;
    const r2 = re[a + 2]!, i2 = im[a + 2]!, r3 = re[a + 3]!, i3 = im[a + 3]!;
    const sr0 = r0 + r1, si0 = i0 + i1, dr0 = r0 - r1, di0 = i0 - i1;
    const sr1 = r2 + r3, si1 = i2 + i3, dr1 = r2 - r3, di1 = i2 - i3;
    re[a] = sr0 + sr1;
    im[a] = si0 + si1;
    re[a + 2] = sr0 - sr1;
    im[a + 2] = si0 - si1;
    // (dr1 + i di1) * -i = di1 - i dr1
    re[a + 1] = dr0 + di1;
    im[a + 1] = di0 - dr1;
    re[a + 3] = dr0 - di1;
    im[a + 3] = di0 + dr1;
  }
  for (let size = 8; size <= half; size *= 2) {
    const h = size / 2;
    const step = half / size;
    for (let j = 0, t = 0; j < h; j++, t += step) {
      const c = cos[t]!;
      const s = sin[t]!;
      for (let a = j; a < half; a += size) {
        const b = a + h;
        const br = re[b]!;
        const bi = im[b]!;
        const xr = br * c - bi * s;
        const xi = br * s + bi * c;
        const ar = re[a]!;
        const ai = im[a]!;
        re[b] = ar - xr;
        im[b] = ai - xi;
        re[a] = ar + xr;
        im[a] = ai + xi;
      }
    }
  }
  // Split: X[k] = E[k] + W^k O[k], E = (Z[k] + conj Z[M-k]) / 2, O = (Z[k] - conj Z[M-k]) / 2i.
  for (let k = 0; k <= half; k++) {
    const a = k === half ? 0 : k;
    const b = k === 0 ? 0 : half - k;
    const zr = re[a]!;
    const zi = im[a]!;
    const cr = re[b]!;
    const ci = -im[b]!;
    const er = (zr + cr) / 2;
    const ei = (zi + ci) / 2;
    // (z - c) / (2i) = (zi - ci) / 2 - i (zr - cr) / 2
    const or = (zi - ci) / 2;
    const oi = -(zr - cr) / 2;
    const twr = k === half ? -1 : wr[k]!;
    const twi = k === half ? 0 : wi[k]!;
    const xr = er + twr * or - twi * oi;
    const xi = ei + twr * oi + twi * or;
    const e = xr * xr + xi * xi;
    out[k] = power ? e : Math.sqrt(e);
  }
}
