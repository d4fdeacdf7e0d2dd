import { copyFile, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { MODALITIES } from '../../src/core/types.js';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { setDeviceProbe, type DeviceProbe } from '../../src/embed/providers.js';
import { sha256File } from '../../src/embed/hash.js';
import { dot, norm, normalized } from '../../src/core/vector.js';
import { preprocessFile } from '../../src/preprocess/index.js';
import { audioWindow, cameraFrames, data, depthWindow, escClip, imuWindow, thermalWindow, visionWindow } from './real-data.js';
import { tagged } from '../helpers/tagged.js';

const TINY = resolve('test/fixtures/models/imagebind-tiny');
const frames = cameraFrames;

function expectUnit(v: Float32Array): void {
  expect(v.length).toBe(1024);
  expect(norm(v)).toBeCloseTo(1, 5);
}

function expectClose(a: Float32Array, b: Float32Array, eps = 1e-5): void {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  expect(max).toBeLessThan(eps);
}

function captureLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', format: 'json', destination }), lines };
}

async function copyModel(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sensebind-model-'));
  for (const f of await readdir(TINY)) await copyFile(join(TINY, f), join(dir, f));
  return dir;
}

describe('EmbeddingRuntime on the ImageBind-signature test model', () => {
  let rt: EmbeddingRuntime;
  let cacheDir: string;

  beforeAll(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'sensebind-cache-'));
    rt = await EmbeddingRuntime.open(TINY, { providers: ['cpu'], cacheDir });
  });
  afterAll(async () => rt.close());

  it('embeds every modality from real recordings: 1024-d, unit length, the model scale beside it', async () => {
    const [f0] = await frames();
    const results = {
      vision: await rt.embedWindows(tagged('vision', [await visionWindow(data('depth/rtabmap/rgb/17.jpg'))]), 7n),
      audio: await rt.embedWindows(tagged('audio', [await audioWindow(escClip('dog_bark__1-100032-A.wav').path, 5)]), 7n),
      depth: await rt.embedWindows(tagged('depth', [await depthWindow(data('depth/rtabmap/depth/17.png'))]), 7n),
      thermal: await rt.embedWindows(tagged('thermal', [await thermalWindow(f0!)]), 7n),
      imu: await rt.embedWindows(tagged('imu', [await imuWindow(data('imu/xio_walk/short_walk.csv'), 10)]), 7n),
      text: await rt.embedText(['a dog barking']),
    };
    const scales = { vision: 1, audio: 20, depth: 5, thermal: 10, imu: 5, text: 100 };
    for (const m of MODALITIES) {
      const [e] = results[m];
      expectUnit(e!.vector);
      expect(e).toMatchObject({ modality: m, scale: scales[m], modelId: 'imagebind-tiny@1.0.0', stamp: m === 'text' ? 0n : 7n });
      expect(rt.provider(m)).toBe('cpu');
    }
    expect(rt.modalities()).toEqual([...MODALITIES]);
  });

  it('is deterministic and tells different inputs apart', async () => {
    const a = await audioWindow(escClip('rain__1-17367-A.wav').path, 5);
    // Without the shared folder both are the bundled dog bark: another part of it is another input.
    const rooster = escClip('rooster__1-27724-A.wav');
    const b = await audioWindow(rooster.path, rooster.bundled ? 2.5 : 5);
    const [a1, b1] = await rt.embedWindows(tagged('audio', [a, b]), 0n);
    const [a2] = await rt.embedWindows(tagged('audio', [a]), 0n);
    const [a3] = await rt.embedWindows(tagged('audio', [a]), 0n);
    expect(Array.from(a3!.vector)).toEqual(Array.from(a2!.vector)); // same call shape: bit-identical
    expectClose(a1!.vector, a2!.vector, 1e-6); // another batch size may take another kernel path
    expect(dot(a1!.vector, b1!.vector)).toBeLessThan(0.9999);
  });

  it('gives the same vectors batched as one at a time (dynamic batch, fixed batch 1, fp16)', async () => {
    const paths = (await frames()).slice(0, 4);
    const vision = await Promise.all(paths.map(visionWindow));
    const thermal = await Promise.all(paths.map(thermalWindow));
    const depth = [await depthWindow(data('depth/rtabmap/depth/17.png')), await depthWindow(data('depth/rtabmap/depth/154.png')), await depthWindow(data('depth/tum/TUM_depth.png'), 5000)];
    const imu = await Promise.all([2, 9, 20].map((s) => imuWindow(data('imu/xio_walk/short_walk.csv'), s)));
    const before = rt.stats().modalities;
    const cases = [
      ['vision', vision],
      ['thermal', thermal],
      ['depth', depth],
      ['imu', imu],
    ] as const;
    for (const [m, windows] of cases) {
      const runs0 = rt.stats().modalities[m]!.runs;
      const batched = await rt.embedWindows(tagged(m, windows), [1n, 2n, 3n, 4n].slice(0, windows.length));
      const runs = rt.stats().modalities[m]!.runs - runs0;
      // Dynamic batch axis: one graph call for the whole batch; thermal's graph takes batch 1 only.
      expect(runs).toBe(m === 'thermal' ? windows.length : 1);
      expect(batched.map((e) => e.stamp)).toEqual([1n, 2n, 3n, 4n].slice(0, windows.length));
      for (let i = 0; i < windows.length; i++) {
        const [single] = await rt.embedWindows(tagged(m, [windows[i]!]), 0n);
        // fp16 I/O rounds differently per batch position only within half precision.
        expectClose(batched[i]!.vector, single!.vector, m === 'depth' ? 2e-3 : 1e-5);
      }
      expect(dot(batched[0]!.vector, batched[1]!.vector)).toBeLessThan(0.99999);
    }
    expect(before.vision!.maxBatchSeen).toBeLessThanOrEqual(rt.stats().modalities.vision!.maxBatchSeen);
    expect(rt.stats().modalities.vision!.maxBatchSeen).toBeGreaterThanOrEqual(4);
  });

  it('coalesces concurrent requests for one modality into a shared graph call', async () => {
    const windows = await Promise.all((await frames()).slice(4, 10).map(visionWindow));
    const runs0 = rt.stats().modalities.vision!.runs;
    const out = await Promise.all(windows.map((w, i) => rt.embedWindows(tagged('vision', [w]), BigInt(i))));
    expect(out.map((o) => o[0]!.stamp)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    expect(rt.stats().modalities.vision!.runs - runs0).toBeLessThan(windows.length);
  });

  it('reuses finished window tensors as later windows\' buffers without mixing windows up', async () => {
    const windows = await Promise.all((await frames()).slice(0, 5).map(visionWindow));
    const oneByOne = async () => {
      const out: Float32Array[] = [];
      for (const w of windows) out.push((await rt.embedWindows(tagged('vision', [w]), 0n))[0]!.vector);
      return out;
    };
    const first = await oneByOne();
    // Concurrent requests take spare buffers and hand them back in another order; a failing window too.
    const broken = { ...windows[0]!, sample: { ...windows[0]!.sample, width: 0 } };
    await Promise.all(windows.map((w) => rt.embedWindows(tagged('vision', [w]), 0n)));
    await expect(rt.embedWindows(tagged('vision', [broken]), 0n)).rejects.toThrow(/vision window 0: preprocessing failed: .*0x/);
    const again = await oneByOne();
    again.forEach((v, i) => expect(Array.from(v), `window ${i}`).toEqual(Array.from(first[i]!)));
  });

  it('averages audio clips and re-normalises: a file\'s 3 clips, one live clip, two clips', async () => {
    const params = rt.manifest.modalities.audio!.preprocess;
    const file = await preprocessFile('audio', escClip('chainsaw__1-116765-A.wav').path, params);
    expect(file.dims).toEqual([3, 1, 128, 204]);
    const block = 128 * 204;
    const clip = (i: number) => ({ dtype: 'float32' as const, dims: [1, 1, 128, 204], data: (file.data as Float32Array).slice(i * block, (i + 1) * block) });
    const [all, c0, c1] = await rt.embedTensors('audio', [file, clip(0), clip(1)]);
    for (const e of [all!, c0!, c1!]) expectUnit(e.vector);
    // The graph averages the scaled outputs of its three clips; the runtime's vector is that mean re-normalised.
    const [pair] = await rt.embedTensors('audio', [{ dtype: 'float32', dims: [2, 1, 128, 204], data: (file.data as Float32Array).slice(0, 2 * block) }]);
    const expected = normalized(Float32Array.from(c0!.vector, (x, i) => x + c1!.vector[i]!))!;
    expectClose(pair!.vector, expected, 1e-5);
    expect(dot(all!.vector, c0!.vector)).toBeLessThan(0.99999);
  });

  it('refuses a tensor that does not fit the graph, naming both shapes, without breaking the modality', async () => {
    await expect(rt.embedTensors('imu', [{ dtype: 'float32', dims: [6, 100], data: new Float32Array(600) }])).rejects.toThrow(/imu input: .*\[6,100\].*\[-1,6,2000\]/);
    const audio = await audioWindow(escClip('rain__1-17367-A.wav').path, 2);
    await expect(rt.embedWindows([...tagged('audio', [audio]), { modality: 'imu', window: { kind: 'imu', count: 0, channels: new Float32Array(0), start: 0n, end: 0n, readings: 0, coverage: 0 } }], 0n)).rejects.toThrow(/window 1 is imu, the batch is audio/);
    const [ok] = await rt.embedWindows(tagged('imu', [await imuWindow(data('imu/xio_walk/short_walk.csv'), 3)]), 0n);
    expectUnit(ok!.vector);
  });
});

describe('text embedding cache', () => {
  it('serves prompts from disk after a restart without running the text graph, and survives a corrupt file', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'sensebind-cache-'));
    const prompts = ['glass breaking', 'a dog barking', 'a robot tipping over', 'glass breaking'];
    const first = await EmbeddingRuntime.open(TINY, { providers: ['cpu'], cacheDir });
    const a = await first.embedText(prompts);
    expect(Array.from(a[3]!.vector)).toEqual(Array.from(a[0]!.vector));
    expect(first.stats().textCache).toMatchObject({ entries: 3, misses: 3 });
    await first.close();

    const second = await EmbeddingRuntime.open(TINY, { providers: ['cpu'], cacheDir });
    const b = await second.embedText(prompts);
    b.forEach((e, i) => expect(Array.from(e.vector)).toEqual(Array.from(a[i]!.vector)));
    expect(second.stats().textCache).toMatchObject({ entries: 3, hits: 3, misses: 0 });
    expect(second.stats().modalities.text).toMatchObject({ state: 'idle', runs: 0 });
    await second.close();

    const [file] = await readdir(cacheDir);
    await writeFile(join(cacheDir, file!), (await readFile(join(cacheDir, file!), 'utf8')).slice(0, -40));
    const third = await EmbeddingRuntime.open(TINY, { providers: ['cpu'], cacheDir });
    const c = await third.embedText(prompts);
    c.forEach((e, i) => expectClose(e.vector, a[i]!.vector, 1e-6));
    expect(third.stats().textCache).toMatchObject({ entries: 3, hits: 2, misses: 1, corrupt: 1 });
    await third.close();
  });
});

// Which GPUs exist is a property of the machine; the device probe is replaced (setDeviceProbe) so the
// "no GPU" branch runs the same on CPU-only machines and on robots with a GPU.
describe('execution providers', () => {
  let previous: DeviceProbe;
  beforeAll(() => (previous = setDeviceProbe(() => false)));
  afterAll(() => void setDeviceProbe(previous));

  it('falls back to CPU when webgpu and cuda are asked for on a machine without them, and says why', async () => {
    const { logger, lines } = captureLogger();
    const rt = await EmbeddingRuntime.open(TINY, { providers: ['tensorrt', 'cuda', 'webgpu', 'cpu'], cacheDir: null, logger });
    const [e] = await rt.embedWindows(tagged('imu', [await imuWindow(data('imu/xio_walk/short_walk.csv'), 1)]), 0n);
    expectUnit(e!.vector);
    expect(rt.provider('imu')).toBe('cpu');
    const attempts = rt.providerAttempts('imu');
    expect(attempts.map((a) => [a.provider, a.ok])).toEqual([['tensorrt', false], ['cuda', false], ['webgpu', false], ['cpu', true]]);
    for (const a of attempts.slice(0, 3)) expect(a.reason).toMatch(/not available on this machine: no GPU device on this machine/);
    const loaded = lines.map((l) => JSON.parse(l) as { msg: string; provider?: string }).find((l) => l.msg.startsWith('imu graph loaded'));
    expect(loaded?.provider).toBe('cpu');
    expect(loaded?.msg).toMatch(/imu graph loaded on cpu \(tensorrt: .*cuda: .*webgpu: .*\)/);
    await rt.close();
  });

  it('fails the modality with every provider\'s reason when no provider of the chain loads', async () => {
    const rt = await EmbeddingRuntime.open(TINY, { providers: ['cuda', 'webgpu'], cacheDir: null });
    const err = await rt.embedWindows(tagged('imu', [await imuWindow(data('imu/xio_walk/short_walk.csv'), 1)]), 0n).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/imu\.onnx with any execution provider \(cuda, webgpu\): cuda: not available.*; webgpu: not available/);
    expect(rt.modalities()).not.toContain('imu');
    expect(rt.failures().imu).toBe((err as Error).message);
    await rt.close();
  });
});

describe('broken model files', () => {
  it('fails a corrupt graph and a tampered one with clear messages while the other modalities work', async () => {
    const dir = await copyModel();
    // vision: garbage bytes whose hash the manifest is updated to (the manifest is right, the graph is not ONNX).
    await writeFile(join(dir, 'vision.onnx'), Buffer.from('this is not an onnx protobuf'.repeat(100)));
    const raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    raw.modalities.vision.sha256 = await sha256File(join(dir, 'vision.onnx'));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    // imu: one flipped byte, manifest untouched -> hash mismatch.
    const imu = await readFile(join(dir, 'imu.onnx'));
    imu.writeUInt8(imu.readUInt8(200) ^ 1, 200);
    await writeFile(join(dir, 'imu.onnx'), imu);

    const { logger, lines } = captureLogger();
    const rt = await EmbeddingRuntime.open(dir, { providers: ['cpu'], cacheDir: null, logger });
    expect(rt.modalities()).toEqual(['vision', 'audio', 'depth', 'thermal', 'text']);
    const failures = await rt.load();
    expect(failures.vision).toMatch(new RegExp(`cannot load ONNX graph ${join(dir, 'vision.onnx').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .*cpu: .*(protobuf|Protobuf|parsing|failed)`));
    expect(failures.imu).toMatch(/imu\.onnx: sha256 mismatch: expected [0-9a-f]{64} \(modalities\.imu\.sha256 in .*manifest\.json\), found [0-9a-f]{64}/);
    expect(rt.modalities()).toEqual(['audio', 'depth', 'thermal', 'text']);
    await expect(rt.embedWindows(tagged('vision', [await visionWindow(data('depth/rtabmap/rgb/17.jpg'))]), 0n)).rejects.toMatchObject({ code: 'MODEL' });
    await expect(rt.embedWindows(tagged('imu', [await imuWindow(data('imu/xio_walk/short_walk.csv'), 1)]), 0n)).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    const [audio] = await rt.embedWindows(tagged('audio', [await audioWindow(escClip('person_sneeze__1-54505-A.wav').path, 3)]), 0n);
    expectUnit(audio!.vector);
    expect(rt.stats().modalities.vision).toMatchObject({ state: 'failed' });
    expect(lines.some((l) => l.includes('imu unavailable') && l.includes('sha256 mismatch'))).toBe(true);
    await rt.close();
  });

  it('names the manifest key when the manifest does not describe the graph', async () => {
    const dir = await copyModel();
    const raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    raw.modalities.depth.input.name = 'pixels';
    raw.modalities.thermal.input.dtype = 'float16';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    const rt = await EmbeddingRuntime.open(dir, { providers: ['cpu'], cacheDir: null, verifyHashes: false });
    const failures = await rt.load(['depth', 'thermal', 'imu']);
    expect(failures.depth).toMatch(/depth\.onnx: no input "pixels" \(modalities\.depth\.input\.name\); the graph's inputs: depth/);
    expect(failures.thermal).toMatch(/input "thermal" is float32 in the graph, float16 in the manifest \(modalities\.thermal\.input\.dtype\)/);
    expect(failures.imu).toBeUndefined();
    await rt.close();
  });

  it('refuses a graph whose output length differs from embeddingDim, at load time', async () => {
    const dir = await copyModel();
    const raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    raw.embeddingDim = 512;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    const rt = await EmbeddingRuntime.open(dir, { providers: ['cpu'], cacheDir: null });
    const failures = await rt.load(['imu']);
    expect(failures.imu).toMatch(/imu\.onnx: graph output shape \[1,1024\], expected \[batch,512\] \(manifest embeddingDim 512\)/);
    expect(rt.stats().modalities.imu).toMatchObject({ state: 'failed', runs: 0 });
    await rt.close();
  });

  it('splits large batches at maxBatch', async () => {
    const rt = await EmbeddingRuntime.open(TINY, { providers: ['cpu'], intraOpThreads: 1, cacheDir: await mkdtemp(join(tmpdir(), 'sensebind-cache-')), maxBatch: 2 });
    const windows = await Promise.all([1, 4, 7, 11, 15].map((s) => imuWindow(data('imu/xio_walk/short_walk.csv'), s)));
    const out = await rt.embedWindows(tagged('imu', windows), 0n);
    expect(out).toHaveLength(5);
    expect(rt.stats().modalities.imu).toMatchObject({ runs: 3, items: 5, maxBatchSeen: 2, embeddings: 5 });
    await rt.close();
    await expect(rt.embedText(['x'])).rejects.toThrow(/runtime for imagebind-tiny@1\.0\.0 is closed/);
  });
});
