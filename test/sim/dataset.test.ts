// `sensebind dataset export` on a short scene: the tensors have the model's shapes, one row per window,
// labels from the simulator's script, and captions tokenised for every kind.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/embed/manifest.js';
import { exportDataset, labelAt, type WindowRow } from '../../src/sim/dataset.js';
import { SCENE_LABELS } from '../../src/sim/events.js';
import { makeScript } from '../../src/sim/script.js';

const dir = mkdtempSync(join(tmpdir(), 'sensebind-dataset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sensebind dataset export', () => {
  it('writes window tensors in the manifest shapes with ground-truth labels', async () => {
    const manifest = await loadManifest('models/bind-mini', { verifyHashes: false });
    const out = join(dir, 'ds');
    const summary = await exportDataset({ manifest, seeds: [3], duration: 9, hop: 1, out });
    expect(summary.windows).toBe(4); // t = 5, 6, 7, 8 (a snapshot is taken once a later sample arrives)
    const rows = readFileSync(join(out, 'windows.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as WindowRow);
    expect(rows.length).toBe(summary.windows);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as { shapes: Record<string, number[]> };
    expect(meta.shapes).toEqual({ vision: [3, 224, 224], audio: [1, 1, 128, 204], depth: [1, 224, 224], imu: [6, 2000] });
    for (const [m, shape] of Object.entries(meta.shapes)) {
      expect(statSync(join(out, `${m}.f32`)).size).toBe(rows.length * 4 * shape.reduce((a, b) => a * b, 1));
    }
    const script = makeScript({ seed: 3, duration: 9 });
    for (const r of rows) {
      expect(SCENE_LABELS).toContain(r.label);
      expect(r.present).toEqual(['vision', 'audio', 'depth', 'imu']);
      expect(r.label).toBe(labelAt(script, r.t).label);
    }
    // IMU channel 2 is az in g (manifest scale 1/9.80665): about +1 for a robot standing on its wheels.
    const imu = new Float32Array(readFileSync(join(out, 'imu.f32')).buffer.slice(0, 6 * 2000 * 4));
    const az = imu.subarray(2 * 2000, 3 * 2000).reduce((a, b) => a + b, 0) / 2000;
    expect(Math.abs(az)).toBeGreaterThan(0.5);
    expect(summary.texts).toBe(statSync(join(out, 'text.i64')).size / (77 * 8));
  });
});
