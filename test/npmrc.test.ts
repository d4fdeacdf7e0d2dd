/**
 * The project's .npmrc: onnxruntime-node's install must skip its CUDA download (robots and CI cannot
 * reach the feed), and npm must not print a warning about that key on every call.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const npm = (args: string[]) => spawnSync('npm', args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('.npmrc', () => {
  it('hands onnxruntime-node-install=skip to install scripts and npm stays quiet about it', () => {
    const r = npm(['config', 'get', 'onnxruntime-node-install']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('skip');
    expect(r.stderr).toBe('');
    const pkg = npm(['pkg', 'get', 'name']);
    expect(pkg.stdout.trim()).toBe('"sensebind"');
    expect(pkg.stderr).toBe('');
  });
});
