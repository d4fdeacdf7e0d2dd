// Depth and thermal against the numpy/PIL/torchvision rendering of the documented recipe
// (test/golden/make_golden.py): real RGB-D frames (millimetres and TUM's 5000/m), REP-117 specials.
import { describe, expect, it } from 'vitest';
import { preprocessFile, preprocessWindow } from '../../src/preprocess/index.js';
import { defaultPreprocess } from '../../src/preprocess/params.js';
import type { Tensor } from '../../src/preprocess/tensor.js';
import { errors, f32, fmt, golden, inputOf, missingInput } from './golden.js';

interface GridCase {
  name: string;
  input: string;
  unitsPerMetre?: number;
  shape?: [number, number];
  grid: string;
  gridShape: [number, number, number];
}

function grid4(t: Tensor): Float32Array {
  const out = new Float32Array(56 * 56);
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) out[y * 56 + x] = (t.data as Float32Array)[y * 4 * 224 + x * 4]!;
  return out;
}

describe('depth preprocessing', () => {
  const p = defaultPreprocess('depth');
  for (const c of golden.depth.cases as GridCase[]) it.skipIf(missingInput(`depth ${c.name}`, c.input))(c.name, async () => {
    const t = await preprocessFile('depth', inputOf(c.input), p, { ...(c.unitsPerMetre !== undefined ? { depthUnitsPerMetre: c.unitsPerMetre } : {}), ...(c.shape !== undefined ? { shape: c.shape } : {}) });
    expect(t.dims).toEqual([1, 224, 224]);
    const e = errors(grid4(t), f32(c.grid));
    console.log(`depth ${c.name}: ${fmt(e)}`);
    expect(e.max).toBeLessThan(1e-4);
  });

  it('takes live frames in metres with REP-117 specials', async () => {
    const metres = new Float32Array(64 * 48).fill(2);
    metres[0] = NaN;
    metres[1] = Infinity;
    metres[2] = -Infinity;
    const t = await preprocessWindow({ modality: 'depth', window: { kind: 'frame', sample: { modality: 'depth', sensorId: 'test', stamp: 0n, width: 64, height: 48, metres } } }, { depth: p });
    expect(t.dims).toEqual([1, 224, 224]);
    expect((t.data as Float32Array).every(Number.isFinite)).toBe(true);
  });
});

describe('thermal preprocessing', () => {
  for (const c of golden.thermal.cases as GridCase[]) it.skipIf(missingInput(`thermal ${c.name}`, c.input))(c.name, async () => {
    const t = await preprocessFile('thermal', inputOf(c.input), defaultPreprocess('thermal'));
    const e = errors(grid4(t), f32(c.grid));
    console.log(`thermal ${c.name}: ${fmt(e)}`);
    expect(e.max).toBeLessThan(1e-4);
  });
});
