// Loads test/golden/data (written by test/golden/make_golden.py from the PyTorch reference) and measures errors.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { missingData, mustData } from '../helpers/data.js';

const GOLDEN_DIR = resolve('test/golden/data');

// The index is plain JSON written by our own script; its shape is described where it is used.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of a known generator
export const golden: any = JSON.parse(readFileSync(join(GOLDEN_DIR, 'index.json'), 'utf8'));

export function f32(name: string): Float32Array {
  const b = readFileSync(join(GOLDEN_DIR, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

export function u8(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(GOLDEN_DIR, name)));
}

export interface Errors {
  n: number;
  max: number;
  mean: number;
  p99: number;
}

export function errors(ours: ArrayLike<number>, ref: ArrayLike<number>): Errors {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs reference ${ref.length}`);
  const d = new Float64Array(ours.length);
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    d[i] = Math.abs(ours[i]! - ref[i]!);
    sum += d[i]!;
  }
  d.sort();
  return { n: d.length, max: d[d.length - 1] ?? 0, mean: sum / Math.max(1, d.length), p99: d[Math.min(d.length - 1, Math.floor(d.length * 0.99))] ?? 0 };
}

export function fmt(e: Errors): string {
  return `max ${e.max.toExponential(2)} mean ${e.mean.toExponential(2)} p99 ${e.p99.toExponential(2)} (n=${e.n})`;
}

/** True (after printing why) when a golden case's input recording is not on this machine. */
export function missingInput(what: string, input: string): boolean {
  return missingData(what, input);
}

/** A golden case's input as a readable path (bundled copy, else the shared data folder). */
export function inputOf(input: string): string {
  return mustData(input);
}
