import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { AudioWindow, FrameWindow, VisionSample } from '../../src/core/types.js';
import { loadManifest } from '../../src/embed/manifest.js';
import { preprocessWindow } from '../../src/preprocess/index.js';
import { PreprocessPool } from '../../src/embed/preprocess-pool.js';
import { MetricsRegistry } from '../../src/service/metrics.js';

const MODEL = resolve(import.meta.dirname, '../../test/fixtures/models/imagebind-tiny');

describe('PreprocessPool (needs npm run build for the worker script)', () => {
  it('gives the same tensors as main-thread preprocessing, off the main thread', async () => {
    const manifest = (await loadManifest(MODEL, { verifyHashes: false })).manifest;
    const pool = PreprocessPool.create(2, silentLogger());
    expect(pool).toBeDefined();
    try {
      const rgb = new Uint8Array(96 * 64 * 3).map((_, i) => (i * 31) & 0xff);
      const vision: FrameWindow<VisionSample> = { kind: 'frame', sample: { modality: 'vision', sensorId: '/cam', stamp: 5n, width: 96, height: 64, rgb } };
      const audio: AudioWindow = { kind: 'audio', rate: 16000, samples: Float32Array.from({ length: 32000 }, (_, i) => Math.sin(i / 7)), start: 0n, end: 2_000_000_000n, coverage: 1 };
      const vp = manifest.modalities.vision!.preprocess;
      const ap = manifest.modalities.audio!.preprocess;
      const params = { vision: vp, audio: ap };
      const [v1, a1] = await Promise.all([pool!.run({ modality: 'vision', window: vision }, params), pool!.run({ modality: 'audio', window: audio }, params)]);
      const v0 = await preprocessWindow({ modality: 'vision', window: vision }, params);
      const a0 = await preprocessWindow({ modality: 'audio', window: audio }, params);
      expect(v1.dims).toEqual(v0.dims);
      expect(Array.from(v1.data as Float32Array)).toEqual(Array.from(v0.data as Float32Array));
      expect(Array.from(a1.data as Float32Array)).toEqual(Array.from(a0.data as Float32Array));
      expect(pool!.stats()).toMatchObject({ workers: 2, alive: 2, jobs: 2, inFlight: 0, mainThread: 0 });
      // A bad window fails its job, not the worker.
      // A window whose frame is cut short (a decoder bug) fails its job, not the worker.
      await expect(pool!.run({ modality: 'vision', window: { kind: 'frame', sample: { ...vision.sample, rgb: new Uint8Array(5) } } }, params)).rejects.toThrow();
      expect(pool!.stats().alive).toBe(2);
    } finally {
      await pool?.close();
    }
  });

  it('counts jobs lost when the pool closes under them (rejected, not left hanging) and reports them as queue drops', async () => {
    const manifest = (await loadManifest(MODEL, { verifyHashes: false })).manifest;
    const pool = PreprocessPool.create(1, silentLogger())!;
    const metrics = new MetricsRegistry({ processMetrics: false });
    metrics.watchQueue('preprocess', () => ({ depth: pool.stats().inFlight, dropped: pool.stats().dropped }));
    const rgb = new Uint8Array(1920 * 1080 * 3).fill(7);
    const vision: FrameWindow<VisionSample> = { kind: 'frame', sample: { modality: 'vision', sensorId: '/cam', stamp: 5n, width: 1920, height: 1080, rgb } };
    const jobs = [1, 2, 3].map(() => pool.run({ modality: 'vision', window: vision }, { vision: manifest.modalities.vision!.preprocess }));
    expect(pool.stats().inFlight).toBe(3);
    const settling = Promise.allSettled(jobs);
    await pool.close();
    const settled = await settling;
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(pool.stats()).toMatchObject({ inFlight: 0, dropped: 3 });
    expect(await metrics.text()).toContain('sensebind_queue_dropped_total{queue="preprocess"} 3');
    metrics.close();
  });

  it('size 0 means main-thread preprocessing', () => {
    expect(PreprocessPool.create(0, silentLogger())).toBeUndefined();
  });
});
