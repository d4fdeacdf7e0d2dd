// The bundled model as the agent uses it: manifest hashes verify, the files fit the 10 MB budget, and on a
// held-out simulated scene an alarm window lands nearest the alarm captions by audio alone (which never saw
// a caption in training) and fused with vision.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddingRuntime } from '../../src/embed/runtime.js';
import { loadManifest, usableModalities } from '../../src/embed/manifest.js';
import { CAPTION_TEMPLATES, snapshotsOfScene } from '../../src/sim/dataset.js';
import { SCENE_LABELS, eventKind } from '../../src/sim/events.js';
import { taggedWindows, type Snapshot } from '../../src/core/types.js';

const MODEL = 'models/bind-mini';

describe('bind-mini', () => {
  it('verifies, fits 10 MB and has ImageBind input names and shapes', async () => {
    const loaded = await loadManifest(MODEL, { verifyHashes: true, strict: true });
    expect(usableModalities(loaded)).toEqual(['vision', 'audio', 'depth', 'imu', 'text']);
    let bytes = 0;
    for (const m of usableModalities(loaded)) bytes += statSync(loaded.modalities[m]!.path!).size;
    bytes += statSync(join(MODEL, 'manifest.json')).size;
    expect(bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
    const inputs = Object.fromEntries(usableModalities(loaded).map((m) => [m, loaded.modalities[m]!.entry.input]));
    expect(inputs).toEqual({
      vision: { name: 'vision', shape: [-1, 3, 224, 224], dtype: 'float32' },
      audio: { name: 'audio', shape: [-1, -1, 1, 128, 204], dtype: 'float32' },
      text: { name: 'text', shape: [-1, 77], dtype: 'int64' },
      depth: { name: 'depth', shape: [-1, 1, 224, 224], dtype: 'float32' },
      imu: { name: 'imu', shape: [-1, 6, 2000], dtype: 'float32' },
    });
  });

  it('classifies a held-out alarm window zero-shot by audio (emergent) and fused with vision', async () => {
    const manifest = await loadManifest(MODEL);
    const runtime = await EmbeddingRuntime.open(MODEL, { providers: ['cpu'], cacheDir: null });
    try {
      const protos: Float32Array[] = [];
      for (const label of SCENE_LABELS) {
        const prompts = eventKind(label).captions.flatMap((c) => CAPTION_TEMPLATES.map((t) => t.replace('{}', c)));
        const embs = await runtime.embedText(prompts);
        const mean = new Float32Array(manifest.manifest.embeddingDim);
        for (const e of embs) e.vector.forEach((v, i) => (mean[i] = (mean[i] as number) + v));
        protos.push(mean);
      }
      // seed 3001 is outside every training, validation and evaluation range
      let snap: Snapshot | undefined;
      const script = await snapshotsOfScene({ seed: 3001, duration: 14, fps: 4, hop: 0.5, warmup: 5, manifest, events: ['alarm_ringing'] }, async (s, t, sc) => {
        const e = sc.events[0];
        if (snap === undefined && e !== undefined && t > e.start + 2 && t < e.end - 0.5) snap = s;
      });
      expect(script.events[0]?.kind).toBe('alarm_ringing');
      expect(snap).toBeDefined();
      const scores: Record<string, number[]> = {};
      const fused = SCENE_LABELS.map(() => 0);
      for (const m of ['vision', 'audio'] as const) {
        const [e] = await runtime.embedWindows(taggedWindows(snap!.windows).filter((w) => w.modality === m), snap!.stamp);
        scores[m] = protos.map((p) => p.reduce((s, v, i) => s + v * (e!.vector[i] as number), 0) / Math.hypot(...p));
        scores[m]!.forEach((v, i) => (fused[i] = (fused[i] as number) + v));
      }
      const top = (xs: number[]) => SCENE_LABELS[xs.indexOf(Math.max(...xs))];
      expect(top(scores.audio!)).toBe('alarm_ringing');
      expect(top(fused)).toBe('alarm_ringing');
    } finally {
      await runtime.close();
    }
  });
});
