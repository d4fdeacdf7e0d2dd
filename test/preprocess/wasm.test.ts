// The WebAssembly SIMD kernels (src/preprocess/wasm/kernels.c) against their TypeScript twins: every output
// value must be the same float32, bit for bit (Object.is, so -0 and NaN count), on real recordings, odd
// sizes, noise (every clamp taken) and the REP-117 specials. The golden tests then cover both at once.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dataFile, mustData } from '../helpers/data.js';
import { parseConfig } from '../../src/config/load.js';
import { checkPreprocessKernels } from '../../src/doctor/checks.js';
import { depthTensor, thermalTensor, type FloatImage } from '../../src/preprocess/depth.js';
import { readGreyImage, readRgbImage } from '../../src/preprocess/image-file.js';
import { imuTensorFromReadings } from '../../src/preprocess/imu.js';
import { parseImuCsv } from '../../src/preprocess/imu-csv.js';
import { defaultPreprocess } from '../../src/preprocess/params.js';
import { resampleSinc } from '../../src/preprocess/resample-sinc.js';
import { visionTensor, type RgbImage } from '../../src/preprocess/vision.js';
import { readWav } from '../../src/preprocess/wav.js';
import { KERNELS_SOURCE_SHA256 } from '../../src/preprocess/wasm/kernels-binary.js';
import { wasmKernels, wasmUnavailableReason } from '../../src/preprocess/wasm/kernels.js';


/**
 * A real 8-bit grey camera frame: a EuRoC frame where the shared data folder is here, else the bundled
 * rtabmap colour frame converted to grey by libvips.
 */
async function greyFrame(): Promise<FloatImage> {
  const euroc = dataFile('camera_imu/euroc_v1_01_micro/mav0/cam0/data');
  if (euroc !== undefined) return readGreyImage(join(euroc, readdirSync(euroc).sort()[0]!));
  const { data, info } = await sharp(mustData('depth/rtabmap/rgb/17.jpg')).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, values: Float32Array.from(data) };
}
const defaultConfig = parseConfig({}, 'test');

/** Indices where two float32 arrays differ bitwise, or throws on length mismatch. */
function differing(a: Float32Array, b: Float32Array): number[] {
  expect(a.length).toBe(b.length);
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) out.push(i);
  return out;
}

/** Deterministic noise (xorshift32): the same cases on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function noiseRgb(width: number, height: number, seed: number): RgbImage {
  const r = rng(seed);
  return { width, height, rgb: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(r() * 256)) };
}

describe('WebAssembly kernels', () => {
  it('run here (Node 20 has WebAssembly SIMD) and were built from the committed kernels.c', async () => {
    expect(await checkPreprocessKernels(defaultConfig)).toMatchObject({ name: 'preprocess kernels', status: 'ok' });
    expect(wasmUnavailableReason()).toBeNull();
    expect(wasmKernels()).not.toBeNull();
    const source = readFileSync(resolve('src/preprocess/wasm/kernels.c'));
    // A mismatch means kernels.c changed without `npm run build:wasm` (needs clang + lld).
    expect(createHash('sha256').update(source).digest('hex')).toBe(KERNELS_SOURCE_SHA256);
  });

  describe('vision (Pillow bicubic + crop + normalise)', () => {
    const p = defaultPreprocess('vision');
    const same = (img: RgbImage) => {
      const a = visionTensor(img, p, 'wasm').data as Float32Array;
      const b = visionTensor(img, p, 'ts', undefined, 'typescript').data as Float32Array;
      expect(differing(a, b)).toEqual([]);
    };

    it('real frames: TUM RGB-D colour and an rtabmap RGB-D colour frame', async () => {
      same(await readRgbImage(mustData('depth/tum/TUM_color.png')));
      const rgbDir = mustData('depth/rtabmap/rgb');
      same(await readRgbImage(join(rgbDir, readdirSync(rgbDir).sort()[0]!)));
    });

    it.each([
      [225, 225],
      [300, 301],
      [17, 1000],
      [1000, 17],
      [4000, 230],
      [226, 640],
      [1, 300],
      [3, 3],
    ])('noise %ix%i (up- and downscaling, every clamp)', (w, h) => {
      same(noiseRgb(w, h, w * 7919 + h));
    });

    it('bilinear and other mean/std', () => {
      const img = noiseRgb(333, 250, 5);
      const q = { ...p, interpolation: 'bilinear' as const, mean: [0.1, 0.5, 0.9] as [number, number, number], std: [0.2, 0.3, 0.7] as [number, number, number] };
      expect(differing(visionTensor(img, q).data as Float32Array, visionTensor(img, q, 'x', undefined, 'typescript').data as Float32Array)).toEqual([]);
    });
  });

  describe('depth and thermal (Pillow float resize + units + normalise)', () => {
    const dp = defaultPreprocess('depth');
    const tp = defaultPreprocess('thermal');
    const sameDepth = (img: FloatImage, q = dp) =>
      expect(differing(depthTensor(img, q).data as Float32Array, depthTensor(img, q, undefined, 'typescript').data as Float32Array)).toEqual([]);
    const sameThermal = (img: FloatImage, q = tp) =>
      expect(differing(thermalTensor(img, q).data as Float32Array, thermalTensor(img, q, undefined, 'typescript').data as Float32Array)).toEqual([]);

    it('a real 16UC1 frame in metres with NaN, +-Inf, 0, too near and too far injected', async () => {
      const png = await readGreyImage(mustData('depth/rtabmap/depth/17.png'));
      const metres = png.values.map((v) => v / 1000);
      const r = rng(17);
      const specials = [NaN, Infinity, -Infinity, 0, -0, 0.001, 1e6, -3];
      for (let i = 0; i < 2000; i++) metres[Math.floor(r() * metres.length)] = specials[i % specials.length]!;
      const img = { width: png.width, height: png.height, values: metres };
      sameDepth(img);
      sameDepth(img, { ...dp, representation: 'metres', invalidValue: -1 });
      sameDepth(img, { ...dp, clampMax: 20, divisor: 3, minMetres: 0.5, maxMetres: 4 });
      // As decode/image.ts delivers 16UC1 (0 -> NaN): the kernel's millimetre table path, holes included.
      sameDepth({ ...img, values: png.values.map((v) => (v === 0 ? NaN : v / 1000)) });
      // TUM's 5000 units per metre: values the millimetre table does not hold.
      const tum = await readGreyImage(mustData('depth/tum/TUM_depth.png'));
      sameDepth({ width: tum.width, height: tum.height, values: tum.values.map((v) => (v === 0 ? NaN : v / 5000)) });
    });

    it('odd sizes of random metres', () => {
      for (const [w, h] of [[225, 300], [1000, 31], [5, 7], [640, 225]] as const) {
        const r = rng(w + h);
        sameDepth({ width: w, height: h, values: Float32Array.from({ length: w * h }, () => r() * 12) });
      }
    });

    it('a real grey frame as thermal counts, and counts that are not table entries', async () => {
      const grey = await greyFrame();
      sameThermal({ width: grey.width, height: grey.height, values: grey.values });
      const r = rng(3);
      const mixed = grey.values.map((v, i) => (i % 97 === 0 ? v + 0.5 : i % 101 === 0 ? -v - 1 : i % 103 === 0 ? 70000 + v : v));
      mixed[5] = NaN;
      mixed[6] = Infinity;
      mixed[7] = -Infinity;
      mixed[8] = -0;
      const img = { width: grey.width, height: grey.height, values: mixed };
      sameThermal(img);
      // New parameters rebuild the kernel's table; no clamp lets values leave [0, 1].
      sameThermal(img, { ...tp, rangeMin: 20, rangeMax: 60000, clamp: false });
      sameThermal(img, { ...tp, rangeMin: 300, rangeMax: 10, clamp: true });
      sameThermal({ width: 400, height: 300, values: Float32Array.from({ length: 120000 }, () => r() * 65535) }, { ...tp, rangeMin: 0, rangeMax: 65535 });
    });
  });

  describe('audio resampler (torchaudio sinc)', () => {
    const opts = defaultPreprocess('audio').resample;
    const same = (x: Float32Array, from: number, to: number) =>
      expect(differing(resampleSinc(x, from, to, opts), resampleSinc(x, from, to, opts, undefined, 'typescript'))).toEqual([]);

    it('a real 44.1 kHz recording and other rates and lengths', async () => {
      const dog = (await readWav(mustData('audio/esc10/dog_bark__1-100032-A.wav'))).channels[0]!;
      same(dog.subarray(0, 88200), 44100, 16000);
      same(dog, 44100, 16000);
      const r = rng(9);
      for (const [n, from, to] of [[48000, 48000, 16000], [7, 44100, 16000], [500, 22050, 16000], [8000, 8000, 16000], [1, 48000, 16000], [3333, 11025, 16000]] as const) {
        same(Float32Array.from({ length: n }, () => r() * 2 - 1), from, to);
      }
    });
  });

  describe('IMU (linear resampling onto the model grid)', () => {
    const p = defaultPreprocess('imu');
    const same = (t: Float64Array, ch: Float32Array[], start: number, q = p) =>
      expect(differing(imuTensorFromReadings(t, ch, start, q).data as Float32Array, imuTensorFromReadings(t, ch, start, q, undefined, 'typescript').data as Float32Array)).toEqual([]);

    it('windows across a real walk (x-io, 400 Hz), before, inside and past its ends, reordered and scaled', () => {
      const rows = readFileSync(mustData('imu/xio_walk/short_walk.csv'), 'utf8').trim().split('\n').slice(1).map((r) => r.split(',').map(Number));
      const csv = ['t,ax,ay,az,gx,gy,gz', ...rows.map((v) => [v[0], v[4], v[5], v[6], v[1], v[2], v[3]].join(','))].join('\n');
      const walk = parseImuCsv(csv, 'short_walk.csv', { units: { acc: 'g', gyro: 'deg/s' } });
      const q = { ...p, scale: [1, 2, 0.5, 1, 3, 1], channelOrder: ['gx', 'gy', 'gz', 'ax', 'ay', 'az'] as typeof p.channelOrder };
      const t0 = walk.t[0]!;
      const tEnd = walk.t[walk.t.length - 1]!;
      for (const s of [t0 - 6, t0 - 2.5, t0, t0 + 5.013, (t0 + tEnd) / 2, tEnd - 4, tEnd - 0.1, tEnd + 1]) {
        same(walk.t, walk.channels, s);
        same(walk.t, walk.channels, s, q);
      }
    });

    it('jitter, duplicate and out-of-order stamps, NaN times and values', () => {
      const r = rng(11);
      const n = 900;
      const t = Float64Array.from({ length: n }, (_, i) => i / 180 + (r() - 0.5) / 400);
      t[100] = t[99]!;
      t[200] = t[198]! - 0.01;
      t[300] = NaN;
      const ch = Array.from({ length: 6 }, () => Float32Array.from({ length: n }, () => (r() - 0.5) * 20));
      ch[2]![50] = NaN;
      ch[3]![60] = -0;
      ch[4]![70] = Infinity;
      for (const s of [-1, 0, 0.2, 1.4, 4]) same(t, ch, s);
    });
  });

  describe('SENSEBIND_WASM=0', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.resetModules();
    });
    it('turns the kernels off and says why; results are unchanged', async () => {
      vi.stubEnv('SENSEBIND_WASM', '0');
      vi.resetModules();
      const k = await import('../../src/preprocess/wasm/kernels.js');
      expect(k.wasmKernels()).toBeNull();
      expect(k.wasmUnavailableReason()).toMatch(/SENSEBIND_WASM=0/);
      const doctor = await import('../../src/doctor/checks.js');
      expect(await doctor.checkPreprocessKernels(defaultConfig)).toMatchObject({ status: 'warn', detail: expect.stringMatching(/TypeScript fallback.*SENSEBIND_WASM=0/) });
      const v = await import('../../src/preprocess/vision.js');
      const img = noiseRgb(320, 240, 1);
      expect(differing(v.visionTensor(img, defaultPreprocess('vision')).data as Float32Array, visionTensor(img, defaultPreprocess('vision')).data as Float32Array)).toEqual([]);
    });
  });
});
