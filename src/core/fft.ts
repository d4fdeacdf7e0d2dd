/**
 * Power spectrum of a real frame (power-of-two length N) via one complex FFT of N/2 points and the usual
 * split step. Float64 throughout; tables are built once per size.
 *
 * Speed (one FFT per 10 ms fbank frame): the complex FFT is radix-2 decimation in time on bit-reversed
 * input, with pairs of stages merged into radix-4 butterflies (radix-2^2: twiddles W, W^2, W^3 of the
 * second stage), so 256 points take four passes over the data instead of eight; the bit-reversed load is
 * fused into the first (multiplication-free) pass; the split step produces bins k and N/2 - k from one
 * pair of loads. Twiddles come from cos/sin per entry (no recurrences), so accuracy is that of the
 * textbook radix-2 FFT (relative error ~1e-15).
 */

interface Plan {
  n: number;
  half: number;
  rev: Uint32Array;
  /** Merged passes after the first: span h (butterfly covers 4h points) and where its twiddles start. */
  passes: { h: number; at: number }[];
  /** Per pass, per j < h: W^1, W^2, W^3 (re, im) with W = e^{-2 pi i j / 4h}: 6 values each. */
  tw: Float64Array;
  /** A last radix-2 stage when log2(N/2) is odd: its span, and twiddles e^{-2 pi i j / 2h} (re, im). */
  lastH: number;
  lastTw: Float64Array;
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
  // Stages of span 1 and 2 form the first pass; then spans (4, 8), (16, 32), ... while both fit.
  const passes: Plan['passes'] = [];
  let at = 0;
  let h = 4;
  for (; 4 * h <= half; h *= 4) {
    passes.push({ h, at });
    at += 6 * h;
  }
  const tw = new Float64Array(at);
  for (const { h: ph, at: a } of passes) {
    for (let j = 0; j < ph; j++) {
      for (let m = 1; m <= 3; m++) {
        const angle = (-2 * Math.PI * m * j) / (4 * ph);
        tw[a + 6 * j + 2 * (m - 1)] = Math.cos(angle);
        tw[a + 6 * j + 2 * (m - 1) + 1] = Math.sin(angle);
      }
    }
  }
  const lastH = 2 * h <= half ? h : 0;
  const lastTw = new Float64Array(2 * lastH);
  for (let j = 0; j < lastH; j++) {
    lastTw[2 * j] = Math.cos((-2 * Math.PI * j) / (2 * lastH));
    lastTw[2 * j + 1] = Math.sin((-2 * Math.PI * j) / (2 * lastH));
  }
  const wr = new Float64Array(half);
  const wi = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    wr[k] = Math.cos((2 * Math.PI * k) / n);
    wi[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  p = { n, half, rev, passes, tw, lastH, lastTw, wr, wi, re: new Float64Array(half), im: new Float64Array(half) };
  plans.set(n, p);
  return p;
}

/**
 * Writes |X[k]|^2 (or |X[k]| when `power` is false) for k = 0 .. N/2 into `out` (length N/2 + 1).
 * `frame` has N real values.
 */
export function realSpectrum(frame: Float64Array, out: Float64Array, power: boolean): void {
  const p = planFor(frame.length);
  const { half, rev, re, im } = p;
  // Bit-reversed load and the first two stages (twiddles 1 and -i: no multiplications) in one pass.
  for (let a = 0; a < half; a += 4) {
    const q0 = 2 * rev[a]!, q1 = 2 * rev[a + 1]!, q2 = 2 * rev[a + 2]!, q3 = 2 * rev[a + 3]!;
    const r0 = frame[q0]!, i0 = frame[q0 + 1]!, r1 = frame[q1]!, i1 = frame[q1 + 1]!;
    const r2 = frame[q2]!, i2 = frame[q2 + 1]!, r3 = frame[q3]!, i3 = frame[q3 + 1]!;
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
  fftPasses(p);
  split(p, out, power);
}

/** The merged radix-4 passes (stages of span h and 2h at once) and the odd radix-2 stage if any. */
function fftPasses(p: Plan): void {
  const { half, passes, tw, re, im } = p;
  for (const { h, at } of passes) {
    const span = 4 * h;
    for (let j = 0; j < h; j++) {
      const t = at + 6 * j;
      const w1r = tw[t]!, w1i = tw[t + 1]!, w2r = tw[t + 2]!, w2i = tw[t + 3]!, w3r = tw[t + 4]!, w3i = tw[t + 5]!;
      for (let a = j; a < half; a += span) {
        const b = a + h, c = b + h, d = c + h;
        const x0r = re[a]!, x0i = im[a]!;
        const br = re[b]!, bi = im[b]!;
        const cr = re[c]!, ci = im[c]!;
        const dr = re[d]!, di = im[d]!;
        // Stage h pairs (a, b) and (c, d) with W^2; stage 2h pairs (a, c) with W and (b, d) with -iW.
        const x1r = br * w2r - bi * w2i, x1i = br * w2i + bi * w2r;
        const x2r = cr * w1r - ci * w1i, x2i = cr * w1i + ci * w1r;
        const x3r = dr * w3r - di * w3i, x3i = dr * w3i + di * w3r;
        const y0r = x0r + x1r, y0i = x0i + x1i, y1r = x0r - x1r, y1i = x0i - x1i;
        const sr = x2r + x3r, si = x2i + x3i, dr2 = x2r - x3r, di2 = x2i - x3i;
        re[a] = y0r + sr;
        im[a] = y0i + si;
        re[c] = y0r - sr;
        im[c] = y0i - si;
        // y1 -/+ i (x2 - x3)
        re[b] = y1r + di2;
        im[b] = y1i - dr2;
        re[d] = y1r - di2;
        im[d] = y1i + dr2;
      }
    }
  }
  const h = p.lastH;
  if (h > 0) {
    const lt = p.lastTw;
    for (let j = 0; j < h; j++) {
      const c = lt[2 * j]!;
      const s = lt[2 * j + 1]!;
      const a = j;
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

/**
 * X[k] = E[k] + W^k O[k] with E = (Z[k] + conj Z[M-k]) / 2, O = (Z[k] - conj Z[M-k]) / 2i (M = N/2).
 * For k' = M - k, E[k'] = conj E[k], O[k'] = conj O[k] and W^k' = -conj W^k, so X[k'] = conj(E - W^k O):
 * one pair of loads gives both bins.
 */
function split(p: Plan, out: Float64Array, power: boolean): void {
  const { half, wr, wi, re, im } = p;
  const z0r = re[0]!;
  const z0i = im[0]!;
  const x0 = z0r + z0i;
  const xm = z0r - z0i;
  out[0] = power ? x0 * x0 : Math.abs(x0);
  out[half] = power ? xm * xm : Math.abs(xm);
  const mid = half >> 1;
  for (let k = 1; k <= mid; k++) {
    const b = half - k;
    const zr = re[k]!;
    const zi = im[k]!;
    const cr = re[b]!;
    const ci = im[b]!;
    // conj Z[b] = cr - i ci
    const er = (zr + cr) * 0.5;
    const ei = (zi - ci) * 0.5;
    const or = (zi + ci) * 0.5;
    const oi = (cr - zr) * 0.5;
    const twr = wr[k]!;
    const twi = wi[k]!;
    const tr = twr * or - twi * oi;
    const ti = twr * oi + twi * or;
    const ar = er + tr;
    const ai = ei + ti;
    const br2 = er - tr;
    const bi2 = ei - ti;
    const pa = ar * ar + ai * ai;
    const pb = br2 * br2 + bi2 * bi2;
    // Bin k last: at k = M/2 (k === b) it keeps the E + W^k O form.
    if (power) {
      out[b] = pb;
      out[k] = pa;
    } else {
      out[b] = Math.sqrt(pb);
      out[k] = Math.sqrt(pa);
    }
  }
}
