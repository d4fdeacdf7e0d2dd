import { describe, expect, it } from 'vitest';
import { planItems, splitOutput, stackItems } from '../../src/embed/layout.js';
import type { Tensor } from '../../src/preprocess/tensor.js';

function tensor(dims: number[]): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', dims, data: Float32Array.from({ length: n }, (_, i) => i) };
}

describe('planItems', () => {
  it('passes a tensor that matches the item shape (dynamic axes match anything)', () => {
    expect(planItems(tensor([3, 4]), [3, 4], 'float32', 'x')).toHaveLength(1);
    expect(planItems(tensor([5, 4]), [-1, 4], 'float32', 'x')[0]!.dims).toEqual([5, 4]);
  });

  it('splits an extra leading axis into items', () => {
    const items = planItems(tensor([3, 2, 2]), [2, 2], 'float32', 'x');
    expect(items.map((i) => Array.from(i.data as Float32Array))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
  });

  it('repeats clips to a fixed clip axis, or packs them when they divide it', () => {
    const one = planItems(tensor([1, 2]), [3, 2], 'float32', 'x');
    expect(one).toHaveLength(1);
    expect(Array.from(one[0]!.data as Float32Array)).toEqual([0, 1, 0, 1, 0, 1]);
    const six = planItems(tensor([6, 2]), [3, 2], 'float32', 'x');
    expect(six.map((i) => i.dims)).toEqual([[3, 2], [3, 2]]);
    expect(planItems(tensor([2, 2]), [3, 2], 'float32', 'x')).toHaveLength(2);
  });

  it('refuses shapes and dtypes that do not fit, naming both', () => {
    expect(() => planItems(tensor([3, 5]), [3, 4], 'float32', 'audio input')).toThrow(/audio input: .*\[3,5\].*\[-1,3,4\]/);
    expect(() => planItems(tensor([77]), [77], 'int64', 'text input')).toThrow(/takes int64 input, the preprocessed tensor is float32/);
  });
});

describe('stackItems / splitOutput', () => {
  it('pads a fixed batch with copies and averages middle output axes', () => {
    const items = [{ dims: [2], data: new Float32Array([1, 2]) }];
    expect(Array.from(stackItems(items, 3) as Float32Array)).toEqual([1, 2, 1, 2, 1, 2]);
    const out = splitOutput(new Float32Array([1, 3, 3, 5, 9, 9, 9, 9]), [2, 2, 2], 1, 2, 'x');
    expect(out.map((v) => Array.from(v))).toEqual([[2, 4]]);
    expect(() => splitOutput(new Float32Array(4), [1, 4], 1, 8, 'vision graph')).toThrow(/vision graph: graph output shape \[1,4\], expected \[batch,8\]/);
  });
});
