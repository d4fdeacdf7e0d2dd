import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { loadManifest } from '../../src/embed/manifest.js';
import { PreprocessPool } from '../../src/embed/preprocess-pool.js';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { warmUpWindows } from '../../src/embed/warm-up.js';
import { preprocessWindow } from '../../src/preprocess/index.js';

const MODEL = resolve(import.meta.dirname, '../../models/bind-mini');

describe('warm-up before the first tick', () => {
  it('makes one window per sensor modality the model has, each preprocessing to the graph input shape', async () => {
    const m = (await loadManifest(MODEL, { verifyHashes: false })).manifest.modalities;
    const params = { vision: m.vision!.preprocess, audio: m.audio!.preprocess, depth: m.depth!.preprocess, imu: m.imu!.preprocess };
    const windows = warmUpWindows(params);
    expect(windows.map((w) => w.modality)).toEqual(['vision', 'depth', 'audio', 'imu']);
    for (const w of windows) {
      const tensor = await preprocessWindow(w, params);
      // -1 is a dynamic axis (audio clips)
      const want = m[w.modality]!.input.shape.slice(1);
      expect(tensor.dims.map((d, i) => (want[i] === -1 ? -1 : d)), w.modality).toEqual(want);
    }
    expect(warmUpWindows({ audio: params.audio }).map((w) => w.modality)).toEqual(['audio']);
  });

  it('runs each modality once on every preprocessing worker and through its graph, outside the timing hooks (needs npm run build)', async () => {
    const pool = PreprocessPool.create(2, silentLogger())!;
    const rt = await EmbeddingRuntime.open(MODEL, { providers: ['cpu'], pool, cacheDir: resolve(import.meta.dirname, '../../.sensebind/test-cache') });
    let hooked = 0;
    rt.setTimingHooks({ preprocessed: () => hooked++, inferred: () => hooked++ });
    try {
      await rt.load();
      await rt.warmUp();
      expect(pool.stats().jobs).toBe(2 * 4);
      expect(pool.stats().dropped).toBe(0);
      expect(hooked).toBe(0);
      for (const m of ['vision', 'audio', 'depth', 'imu'] as const) expect(rt.stats().modalities[m]?.runs ?? 0, m).toBeGreaterThan(0);
    } finally {
      await rt.close();
      await pool.close();
    }
  }, 60_000);
});
