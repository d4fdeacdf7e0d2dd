/*
 * sensebind's preprocessing hot loops in C, compiled to WebAssembly with 128-bit SIMD
 * (scripts/build-wasm.mjs; the binary is embedded in kernels-binary.ts). Why: the exact resize is Pillow's
 * own algorithm, and scalar JavaScript against Pillow's C is slower than the PyTorch reference; SIMD does
 * three to four multiply-adds per instruction and runs the same on x86-64 and a Jetson's arm64.
 *
 * Every function here computes exactly what its TypeScript twin computes (resize-pil.ts, depth.ts,
 * resample-sinc.ts, src/core/resample-linear.ts), bit for bit; test/preprocess/wasm.test.ts checks that
 * on real recordings, odd sizes, noise and special values.
 * What keeps it exact:
 *  - 8-bit passes: Pillow's 22-bit fixed point in wrapping int32 arithmetic, whose sums do not depend on
 *    the order of the additions, so lanes may hold channels, rows or columns freely;
 *  - float passes: each output is summed in double from 0, tap by tap, in Pillow's order; SIMD lanes hold
 *    different outputs (two rows, or neighbouring columns), never parts of one sum. No FMA exists in wasm
 *    SIMD and the build passes -ffp-contract=off, so no multiply-add is fused;
 *  - float32 roundings happen where the TypeScript stores into a Float32Array (demote = Math.fround);
 *  - lookup tables hold exact results computed by the same code, for exactly the inputs they are keyed by.
 *
 * Memory is laid out by the caller (kernels.ts): no allocator, no libc, no imports.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name))) 
#define PRECISION_BITS (32 - 8 - 2)

/* ---------------------------------------------------------------------------------------------------- */
/* 8-bit RGB: Pillow's fixed-point resample, vision                                                      */

/*
 * Horizontal pass over `rows` source rows starting at `first` of an interleaved RGB image `width` pixels
 * wide. Output column xx reads bounds[2xx + 1] taps from source pixel bounds[2xx], weights k[xx * ksize ..].
 * Writes planar uint8 [3][rows][n] to `tmp` so the vertical pass reads one channel contiguously.
 * Reads up to 13 bytes past the last pixel: the caller pads the source.
 */
EXPORT(h_rgb_planar)
void h_rgb_planar(const uint8_t *src, int width, int first, int rows, int n, const int32_t *bounds,
                  const int32_t *k, int ksize, uint8_t *tmp) {
  const int rowLen = width * 3;
  const int plane = rows * n;
  const v128_t half = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
  /* One pixel's R, G, B bytes zero-extended into three int32 lanes (swizzle indices >= 16 give 0). */
  const v128_t pick = wasm_i8x16_make(0, 16, 16, 16, 1, 16, 16, 16, 2, 16, 16, 16, 16, 16, 16, 16);
  int y = 0;
  /* Two source rows per sweep: one weight splat serves both. */
  for (; y + 1 < rows; y += 2) {
    const uint8_t *ra = src + (y + first) * rowLen;
    const uint8_t *rb = ra + rowLen;
    uint8_t *oa = tmp + y * n;
    for (int xx = 0; xx < n; xx++) {
      const int xmin = bounds[2 * xx];
      const int taps = bounds[2 * xx + 1];
      const int32_t *kk = k + xx * ksize;
      const uint8_t *pa = ra + xmin * 3;
      const uint8_t *pb = rb + xmin * 3;
      v128_t a = half, b = half;
      for (int j = 0; j < taps; j++, pa += 3, pb += 3) {
        const v128_t w = wasm_v128_load32_splat(kk + j);
        a = wasm_i32x4_add(a, wasm_i32x4_mul(wasm_i8x16_swizzle(wasm_v128_load(pa), pick), w));
        b = wasm_i32x4_add(b, wasm_i32x4_mul(wasm_i8x16_swizzle(wasm_v128_load(pb), pick), w));
      }
      /* >> PRECISION_BITS, then the two saturating narrows clamp to [0, 255] as Pillow's clip8 does. */
      a = wasm_i32x4_shr(a, PRECISION_BITS);
      b = wasm_i32x4_shr(b, PRECISION_BITS);
      const v128_t ab = wasm_u8x16_narrow_i16x8(wasm_u16x8_narrow_i32x4(a, b), wasm_u16x8_narrow_i32x4(a, b));
      oa[xx] = wasm_u8x16_extract_lane(ab, 0);
      oa[plane + xx] = wasm_u8x16_extract_lane(ab, 1);
      oa[2 * plane + xx] = wasm_u8x16_extract_lane(ab, 2);
      oa[n + xx] = wasm_u8x16_extract_lane(ab, 4);
      oa[plane + n + xx] = wasm_u8x16_extract_lane(ab, 5);
      oa[2 * plane + n + xx] = wasm_u8x16_extract_lane(ab, 6);
    }
  }
  for (; y < rows; y++) {
    const uint8_t *ra = src + (y + first) * rowLen;
    uint8_t *oa = tmp + y * n;
    for (int xx = 0; xx < n; xx++) {
      const int32_t *kk = k + xx * ksize;
      const uint8_t *pa = ra + bounds[2 * xx] * 3;
      const int taps = bounds[2 * xx + 1];
      v128_t a = half;
      for (int j = 0; j < taps; j++, pa += 3) {
        a = wasm_i32x4_add(a, wasm_i32x4_mul(wasm_i8x16_swizzle(wasm_v128_load(pa), pick), wasm_v128_load32_splat(kk + j)));
      }
      a = wasm_i32x4_shr(a, PRECISION_BITS);
      const v128_t n16 = wasm_u16x8_narrow_i32x4(a, a);
      const v128_t a8 = wasm_u8x16_narrow_i16x8(n16, n16);
      oa[xx] = wasm_u8x16_extract_lane(a8, 0);
      oa[plane + xx] = wasm_u8x16_extract_lane(a8, 1);
      oa[2 * plane + xx] = wasm_u8x16_extract_lane(a8, 2);
    }
  }
}

/* ToTensor + Normalize on float32 lanes: torch's float32 v / 255, - mean, / std, each correctly rounded. */
static inline v128_t normalise4(v128_t ints, v128_t m, v128_t s) {
  const v128_t v = wasm_f32x4_div(wasm_f32x4_convert_i32x4(ints), wasm_f32x4_splat(255.0f));
  return wasm_f32x4_div(wasm_f32x4_sub(v, m), s);
}

static inline v128_t finish8(v128_t acc) {
  acc = wasm_i32x4_shr(acc, PRECISION_BITS);
  return wasm_i32x4_min(wasm_i32x4_max(acc, wasm_i32x4_splat(0)), wasm_i32x4_splat(255));
}

/*
 * Vertical pass over the planar uint8 `tmp` ([3][tmpRows][w], its row 0 is source row `first`), fused with
 * ToTensor + Normalize: writes the float32 tensor [3][outRows][w]. 16 outputs of one channel per sweep.
 */
EXPORT(v_planar_normalise)
void v_planar_normalise(const uint8_t *tmp, int tmpRows, int w, int first, int outRows, const int32_t *bounds,
                        const int32_t *k, int ksize, const float *mean, const float *std, float *out) {
  const v128_t half = wasm_i32x4_splat(1 << (PRECISION_BITS - 1));
  for (int c = 0; c < 3; c++) {
    const uint8_t *plane = tmp + c * tmpRows * w;
    float *op = out + c * outRows * w;
    const v128_t m = wasm_f32x4_splat(mean[c]);
    const v128_t s = wasm_f32x4_splat(std[c]);
    for (int yy = 0; yy < outRows; yy++) {
      const uint8_t *base = plane + (bounds[2 * yy] - first) * w;
      const int taps = bounds[2 * yy + 1];
      const int32_t *kk = k + yy * ksize;
      float *o = op + yy * w;
      int i = 0;
      for (; i + 16 <= w; i += 16) {
        v128_t a0 = half, a1 = half, a2 = half, a3 = half;
        const uint8_t *p = base + i;
        for (int j = 0; j < taps; j++, p += w) {
          const v128_t wt = wasm_v128_load32_splat(kk + j);
          const v128_t v = wasm_v128_load(p);
          const v128_t lo = wasm_u16x8_extend_low_u8x16(v);
          const v128_t hi = wasm_u16x8_extend_high_u8x16(v);
          a0 = wasm_i32x4_add(a0, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(lo), wt));
          a1 = wasm_i32x4_add(a1, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(lo), wt));
          a2 = wasm_i32x4_add(a2, wasm_i32x4_mul(wasm_u32x4_extend_low_u16x8(hi), wt));
          a3 = wasm_i32x4_add(a3, wasm_i32x4_mul(wasm_u32x4_extend_high_u16x8(hi), wt));
        }
        wasm_v128_store(o + i, normalise4(finish8(a0), m, s));
        wasm_v128_store(o + i + 4, normalise4(finish8(a1), m, s));
        wasm_v128_store(o + i + 8, normalise4(finish8(a2), m, s));
        wasm_v128_store(o + i + 12, normalise4(finish8(a3), m, s));
      }
      for (; i < w; i++) {
        int32_t acc = 1 << (PRECISION_BITS - 1);
        const uint8_t *p = base + i;
        for (int j = 0; j < taps; j++, p += w) acc += (int32_t)*p * kk[j];
        acc >>= PRECISION_BITS;
        const float v = (float)(acc < 0 ? 0 : acc > 255 ? 255 : acc);
        o[i] = (v / 255.0f - mean[c]) / std[c];
      }
    }
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Single-channel float ('F' mode): depth and thermal                                                    */

enum { UNITS_NONE = 0, UNITS_DEPTH = 1, UNITS_THERMAL = 2 };

/*
 * The per-pixel unit conversions of depth.ts, same double arithmetic, same float32 rounding at the end.
 * Depth P: [k = baseline * focal, invalidValue, minMetres, maxMetres, clampMax, divisor, disparity (0/1)].
 * Thermal P: [rangeMin, span, clamp (0/1)].
 */
static inline float units(int mode, float x, const double *P) {
  if (mode == UNITS_DEPTH) {
    double m = x;
    if (m != m || m == __builtin_inf() || m == 0) return (float)P[1];
    if (m < P[2]) m = P[2];
    else if (m > P[3]) m = P[3];
    double v = P[6] != 0 ? P[0] / m : m;
    if (v < 0) v = 0;
    else if (v > P[4]) v = P[4];
    return (float)(v / P[5]);
  }
  if (mode == UNITS_THERMAL) {
    double v = ((double)x - P[0]) / P[1];
    if (v != v) v = 0;
    if (P[2] != 0) v = v < 0 ? 0 : v > 1 ? 1 : v;
    return (float)v;
  }
  return x;
}

/*
 * Conversions. A double division costs little next to the loads, converts and compares around it here
 * (measured: SIMD division is no faster than scalar on this class of x86, and lane-wise selects cost more
 * than predictable branches), but it is still most of a conversion. Both conversions therefore go through
 * tables of their exact results where the input allows:
 *  - thermal frames are camera counts, integers almost always (mono8, mono16): a table of units() over
 *    0..65535;
 *  - depth frames are 16UC1 millimetres almost always, which the decoder turned into float32(mm / 1000):
 *    a value is looked up when float32(round(v * 1000) / 1000) gives back exactly v, so the table entry
 *    was computed from this very value.
 * Tables are rebuilt when the parameters change; any other value takes units(). Exact by construction.
 */
#define COUNTS 65536
static float depth_metres[COUNTS]; /* float32(mm / 1000), as decode/image.ts computes it */
static float depth_table[COUNTS];
static double depth_key[7];
static int depth_ready;

static void depth_table_for(const double *P) {
  int same = depth_ready;
  for (int i = 0; i < 7 && same; i++) same = depth_key[i] == P[i];
  if (same) return;
  for (int mm = 0; mm < COUNTS; mm++) {
    depth_metres[mm] = (float)((double)mm / 1000.0);
    depth_table[mm] = units(UNITS_DEPTH, depth_metres[mm], P);
  }
  for (int i = 0; i < 7; i++) depth_key[i] = P[i];
  depth_ready = 1;
}

static inline double depth_value(float m, const double *P) {
  /* The range test comes first (it also rejects NaN, 16UC1's 0 after decoding) so the conversion to int
     is always defined; units() maps whatever is not a table value. */
  if (m >= 0.0f && m < 65.5f) {
    const int mm = (int)(m * 1000.0f + 0.5f);
    if (mm < COUNTS && depth_metres[mm] == m) return depth_table[mm];
  }
  return units(UNITS_DEPTH, m, P);
}

/*
 * Depth units for rows ra, rb into interleaved pairs: four values per step (two of each row) through the
 * table when each is a table value or NaN (invalid: REP-117 NaN, or 16UC1's 0 after decoding), else
 * depth_value() one by one.
 */
static int depth_pairs(const float *ra, const float *rb, int span, const double *P, double *pairs, int use_table) {
  if (!use_table) {
    for (int x = 0; x < span; x++) {
      pairs[2 * x] = units(UNITS_DEPTH, ra[x], P);
      pairs[2 * x + 1] = units(UNITS_DEPTH, rb[x], P);
    }
    return 0;
  }
  depth_table_for(P);
  int misses = 0;
  const double invalid = (float)P[1];
  const v128_t zero = wasm_f32x4_splat(0.0f), top = wasm_f32x4_splat(65.5f);
  const v128_t k1000 = wasm_f32x4_splat(1000.0f), half = wasm_f32x4_splat(0.5f);
  int x = 0;
  for (; x + 2 <= span; x += 2) {
    const v128_t ab = wasm_i32x4_shuffle(wasm_v128_load64_zero(ra + x), wasm_v128_load64_zero(rb + x), 0, 4, 1, 5);
    const v128_t nan = wasm_f32x4_ne(ab, ab);
    const v128_t inside = wasm_v128_and(wasm_f32x4_ge(ab, zero), wasm_f32x4_lt(ab, top));
    if (wasm_i32x4_all_true(wasm_v128_or(inside, nan))) {
      /* NaN lanes truncate to 0 (saturating): a valid index whose entry is ignored below. */
      const v128_t mm = wasm_i32x4_trunc_sat_f32x4(wasm_f32x4_add(wasm_f32x4_mul(ab, k1000), half));
      const int i0 = wasm_i32x4_extract_lane(mm, 0), i1 = wasm_i32x4_extract_lane(mm, 1);
      const int i2 = wasm_i32x4_extract_lane(mm, 2), i3 = wasm_i32x4_extract_lane(mm, 3);
      const v128_t back = wasm_f32x4_make(depth_metres[i0], depth_metres[i1], depth_metres[i2], depth_metres[i3]);
      if (wasm_i32x4_all_true(wasm_v128_or(wasm_f32x4_eq(back, ab), nan))) {
        const int isnan = wasm_i32x4_bitmask(nan);
        pairs[2 * x] = isnan & 1 ? invalid : depth_table[i0];
        pairs[2 * x + 1] = isnan & 2 ? invalid : depth_table[i1];
        pairs[2 * x + 2] = isnan & 4 ? invalid : depth_table[i2];
        pairs[2 * x + 3] = isnan & 8 ? invalid : depth_table[i3];
        continue;
      }
    }
    /* Not all table values (metres from another source, or clamped specials): exact, value by value. */
    misses++;
    pairs[2 * x] = units(UNITS_DEPTH, ra[x], P);
    pairs[2 * x + 1] = units(UNITS_DEPTH, rb[x], P);
    pairs[2 * x + 2] = units(UNITS_DEPTH, ra[x + 1], P);
    pairs[2 * x + 3] = units(UNITS_DEPTH, rb[x + 1], P);
  }
  for (; x < span; x++) {
    pairs[2 * x] = depth_value(ra[x], P);
    pairs[2 * x + 1] = depth_value(rb[x], P);
  }
  return misses;
}

static float thermal_table[COUNTS];
static double thermal_key[3];
static int thermal_ready;

static void thermal_table_for(const double *P) {
  if (thermal_ready && thermal_key[0] == P[0] && thermal_key[1] == P[1] && thermal_key[2] == P[2]) return;
  for (int i = 0; i < COUNTS; i++) thermal_table[i] = units(UNITS_THERMAL, (float)i, P);
  for (int i = 0; i < 3; i++) thermal_key[i] = P[i];
  thermal_ready = 1;
}

/*
 * thermal_units() of two values, one per f64x2 lane: the same subtraction and division; NaN -> 0 by
 * masking; the clamp with pmax/pmin, which differ from the branches only in the sign of a zero (pmax(0,
 * -0) is +0), and a zero's sign cannot reach a resize output, whose sums start from +0; float32 rounding.
 */
static inline v128_t thermal2(v128_t x, v128_t lo, v128_t span, int clamp) {
  v128_t v = wasm_f64x2_div(wasm_f64x2_sub(x, lo), span);
  v = wasm_v128_andnot(v, wasm_f64x2_ne(v, v));
  if (clamp) v = wasm_f64x2_pmin(wasm_f64x2_splat(1.0), wasm_f64x2_pmax(wasm_f64x2_splat(0.0), v));
  return wasm_f64x2_promote_low_f32x4(wasm_f32x4_demote_f64x2_zero(v));
}

/*
 * Thermal units for rows ra, rb into interleaved pairs: four values per step through the table when all
 * four are integers in 0..65535 (-0 reads the entry of +0: a zero's sign cannot reach a resize output,
 * whose sums start from +0), thermal2() otherwise. Returns the steps that missed the table.
 */
static int thermal_pairs(const float *ra, const float *rb, int n, const double *P, double *pairs, int use_table) {
  if (use_table) thermal_table_for(P);
  const v128_t limit = wasm_i32x4_splat(COUNTS);
  const v128_t lo = wasm_f64x2_splat(P[0]), span = wasm_f64x2_splat(P[1]);
  const int clamp = P[2] != 0;
  int misses = 0;
  int x = 0;
  for (; x + 2 <= n; x += 2) {
    const v128_t ab = wasm_i32x4_shuffle(wasm_v128_load64_zero(ra + x), wasm_v128_load64_zero(rb + x), 0, 4, 1, 5);
    if (use_table) {
      const v128_t i = wasm_i32x4_trunc_sat_f32x4(ab);
      const v128_t counts = wasm_v128_and(wasm_f32x4_eq(wasm_f32x4_convert_i32x4(i), ab), wasm_u32x4_lt(i, limit));
      if (wasm_i32x4_all_true(counts)) {
        pairs[2 * x] = thermal_table[wasm_i32x4_extract_lane(i, 0)];
        pairs[2 * x + 1] = thermal_table[wasm_i32x4_extract_lane(i, 1)];
        pairs[2 * x + 2] = thermal_table[wasm_i32x4_extract_lane(i, 2)];
        pairs[2 * x + 3] = thermal_table[wasm_i32x4_extract_lane(i, 3)];
        continue;
      }
      misses++;
    }
    wasm_v128_store(pairs + 2 * x, thermal2(wasm_f64x2_promote_low_f32x4(ab), lo, span, clamp));
    wasm_v128_store(pairs + 2 * x + 2, thermal2(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(ab, ab, 2, 3, 2, 3)), lo, span, clamp));
  }
  for (; x < n; x++) {
    pairs[2 * x] = units(UNITS_THERMAL, ra[x], P);
    pairs[2 * x + 1] = units(UNITS_THERMAL, rb[x], P);
  }
  return misses;
}

/* No conversion: the rows' float32 values as interleaved double pairs. */
static void plain_pairs(const float *ra, const float *rb, int span, double *pairs) {
  int x = 0;
  for (; x + 2 <= span; x += 2) {
    const v128_t ab = wasm_i32x4_shuffle(wasm_v128_load64_zero(ra + x), wasm_v128_load64_zero(rb + x), 0, 4, 1, 5);
    wasm_v128_store(pairs + 2 * x, wasm_f64x2_promote_low_f32x4(ab));
    wasm_v128_store(pairs + 2 * x + 2, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(ab, ab, 2, 3, 2, 3)));
  }
  for (; x < span; x++) {
    pairs[2 * x] = ra[x];
    pairs[2 * x + 1] = rb[x];
  }
}

/*
 * Horizontal float pass: rows [first, first + tmpRows) of `src` (width wide), converted by `mode` over the
 * columns [colFirst, colFirst + span) the outputs read, into float32 tmp [tmpRows][n]. Two rows per sweep,
 * one per f64x2 lane; `pairs` is scratch for span interleaved double pairs.
 */
EXPORT(h_float)
void h_float(const float *src, int width, int first, int tmpRows, int colFirst, int span, int n, const int32_t *bounds,
             const double *k, int ksize, int mode, const double *P, double *pairs, float *tmp) {
  int depth_table = 1, thermal_table_on = 1;
  for (int y = 0; y < tmpRows; y += 2) {
    const int two = y + 1 < tmpRows;
    const float *ra = src + (y + first) * width + colFirst;
    const float *rb = two ? ra + width : ra;
    /* A frame whose first rows are mostly not table values (32FC1 metres from the sensor, another depth
       scale, radiometric float thermal) skips the tables from then on: failed lookups only add work. */
    if (mode == UNITS_DEPTH) {
      if (depth_pairs(ra, rb, span, P, pairs, depth_table) * 8 > span) depth_table = 0;
    } else if (mode == UNITS_THERMAL) {
      if (thermal_pairs(ra, rb, span, P, pairs, thermal_table_on) * 8 > span) thermal_table_on = 0;
    }
    else plain_pairs(ra, rb, span, pairs);
    float *oa = tmp + y * n;
    for (int xx = 0; xx < n; xx++) {
      const double *p = pairs + 2 * (bounds[2 * xx] - colFirst);
      const double *kk = k + xx * ksize;
      const int taps = bounds[2 * xx + 1];
      v128_t acc = wasm_f64x2_splat(0.0);
      for (int j = 0; j < taps; j++, p += 2) acc = wasm_f64x2_add(acc, wasm_f64x2_mul(wasm_v128_load(p), wasm_v128_load64_splat(kk + j)));
      oa[xx] = (float)wasm_f64x2_extract_lane(acc, 0);
      if (two) oa[n + xx] = (float)wasm_f64x2_extract_lane(acc, 1);
    }
  }
}

/*
 * Vertical float pass over tmp ([..][w], row 0 = source row `first`) into out [outRows][w], then
 * torch's float32 (x - mean) / std when `normalise` is set. Four columns per sweep (two f64x2 sums).
 */
EXPORT(v_float)
void v_float(const float *tmp, int w, int first, int outRows, const int32_t *bounds, const double *k, int ksize,
             int normalise, float mean, float std, float *out) {
  const v128_t m = wasm_f32x4_splat(mean);
  const v128_t s = wasm_f32x4_splat(std);
  for (int yy = 0; yy < outRows; yy++) {
    const float *base = tmp + (bounds[2 * yy] - first) * w;
    const int taps = bounds[2 * yy + 1];
    const double *kk = k + yy * ksize;
    float *o = out + yy * w;
    int i = 0;
    for (; i + 4 <= w; i += 4) {
      v128_t lo = wasm_f64x2_splat(0.0), hi = lo;
      const float *p = base + i;
      for (int j = 0; j < taps; j++, p += w) {
        const v128_t v = wasm_v128_load(p);
        const v128_t wt = wasm_v128_load64_splat(kk + j);
        lo = wasm_f64x2_add(lo, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(v), wt));
        hi = wasm_f64x2_add(hi, wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3)), wt));
      }
      v128_t f = wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
      if (normalise) f = wasm_f32x4_div(wasm_f32x4_sub(f, m), s);
      wasm_v128_store(o + i, f);
    }
    for (; i < w; i++) {
      double a = 0;
      const float *p = base + i;
      for (int j = 0; j < taps; j++, p += w) a += (double)*p * kk[j];
      float f = (float)a;
      o[i] = normalise ? (f - mean) / std : f;
    }
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* Audio: torchaudio's polyphase sinc resampler (resample-sinc.ts)                                         */

/* One output of the resampler, exactly as resample-sinc.ts sums it. */
static inline float sinc_one(const float *x, int n, int base, int count, const double *t) {
  const int kLo = base < 0 ? -base : 0;
  const int kHi = count < n - base ? count : n - base;
  double s = 0;
  for (int k = kLo; k < kHi; k++) s += (double)x[base + k] * t[k];
  return (float)s;
}

/*
 * out[i] = sum_k x[base + k] * taps[phase][k] over the in-range taps, summed in double from 0 in tap order,
 * where phase = i % next, base = (i / next) * orig - width + firsts[phase]. taps is [next][maxTaps].
 * Outputs i and i + next share their taps (same phase, input shifted by orig): they are summed side by
 * side in one f64x2, each in its own lane, wherever both lie wholly inside the input.
 */
EXPORT(resample_sinc)
void resample_sinc(const float *x, int n, float *out, int outLen, int orig, int next, int width, const int32_t *firsts,
                   const int32_t *counts, const double *taps, int maxTaps) {
  const int blocks = outLen / next;
  int m = 0;
  for (; m + 1 < blocks; m += 2) {
    for (int ph = 0; ph < next; ph++) {
      const int base0 = m * orig - width + firsts[ph];
      const int base1 = base0 + orig;
      const int count = counts[ph];
      const double *t = taps + ph * maxTaps;
      float *o = out + m * next + ph;
      if (base0 < 0 || base1 + count > n) {
        o[0] = sinc_one(x, n, base0, count, t);
        o[next] = sinc_one(x, n, base1, count, t);
        continue;
      }
      const float *x0 = x + base0;
      const float *x1 = x + base1;
      v128_t acc = wasm_f64x2_splat(0.0);
      for (int k = 0; k < count; k++) {
        const v128_t v = wasm_f64x2_promote_low_f32x4(wasm_v128_load32_lane(x1 + k, wasm_v128_load32_zero(x0 + k), 1));
        acc = wasm_f64x2_add(acc, wasm_f64x2_mul(v, wasm_v128_load64_splat(t + k)));
      }
      o[0] = (float)wasm_f64x2_extract_lane(acc, 0);
      o[next] = (float)wasm_f64x2_extract_lane(acc, 1);
    }
  }
  for (int i = m * next; i < outLen; i++) {
    const int mm = i / next, ph = i - mm * next;
    out[i] = sinc_one(x, n, mm * orig - width + firsts[ph], counts[ph], taps + ph * maxTaps);
  }
}

/* ---------------------------------------------------------------------------------------------------- */
/* IMU: linear resampling onto an even grid (src/core/resample-linear.ts)                                */

/*
 * resampleLinear's loop for `nch` channels (channel-major float32 [nch][n] aligned with `times`), from
 * reading j = 0: step k at first + k * step holds reading j when t <= times[j], the last reading past the
 * end, else interpolates v0 + (v1 - v0) * f in double, rounded to float32, then times scale[c] unless it
 * is 1. Same operations in the same order as the TypeScript, so the same float32 values.
 */
EXPORT(resample_linear)
void resample_linear(const double *times, int n, const float *ch, int nch, double first, double step, int count,
                     const double *scale, float *out) {
  int j = 0;
  for (int k = 0; k < count; k++) {
    const double t = first + k * step;
    while (j + 1 < n && times[j + 1] <= t) j++;
    const double t0 = times[j];
    int a = j, b = j;
    double f = 0;
    if (t <= t0 || j + 1 >= n) {
      a = b = t <= t0 ? j : n - 1;
    } else {
      const double t1 = times[j + 1];
      b = j + 1;
      f = t1 > t0 ? (t - t0) / (t1 - t0) : 0;
    }
    for (int c = 0; c < nch; c++) {
      const double v0 = ch[c * n + a];
      const float v = f == 0 ? (float)v0 : (float)(v0 + ((double)ch[c * n + b] - v0) * f);
      out[c * count + k] = scale[c] == 1 ? v : (float)((double)v * scale[c]);
    }
  }
}
