import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { probeProvider } from '../../src/embed/providers.js';
import { norm } from '../../src/core/vector.js';
import { mustData } from '../helpers/data.js';

const MODEL = 'test/fixtures/models/imagebind-tiny';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => new Writable({ write: (c, _e, cb) => (f(String(c)), cb()) });
  const dir = await mkdtemp(join(tmpdir(), 'sensebind-cli-'));
  const config = join(dir, 'sensebind.yaml');
  await writeFile(config, `model:\n  cacheDir: ${join(dir, 'cache')}\nlog:\n  level: warn\n  format: json\n`);
  const code = await runCli(['--config', config, ...args], { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) });
  return { code, out, err };
}

describe('sensebind embed', () => {
  it('prints the embedding of a real recording as one JSON line', async () => {
    const r = await cli(['embed', '--model', MODEL, '--modality', 'depth', '--input', mustData('depth/tum/TUM_depth.png'), '--depth-units', '5000', '--providers', 'webgpu,cpu']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { modality: string; dim: number; provider: string; scale: number; vector: number[] };
    expect(j).toMatchObject({ modality: 'depth', dim: 1024, provider: 'cpu', scale: 5 });
    expect(norm(Float32Array.from(j.vector))).toBeCloseTo(1, 5);
  });

  it('embeds text, defaulting the modality', async () => {
    const r = await cli(['embed', '--model', MODEL, '--text', 'a dog barking', '--providers', 'cpu']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ modality: 'text', dim: 1024, provider: 'cpu', scale: 100 });
  });

  it('exits 2 on usage errors and 1 when the graph cannot load, with the reason on stderr', async () => {
    const usage = await cli(['embed', '--model', MODEL, '--modality', 'vision']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/exactly one of --input <file> or --text/);
    const providers = await cli(['embed', '--model', MODEL, '--text', 'x', '--providers', 'cpu,tpu']);
    expect(providers.code).toBe(2);
    expect(providers.err).toMatch(/--providers takes a comma-separated list of tensorrt, cuda, webgpu, cpu, got "cpu,tpu"/);
    const none = await cli(['embed', '--model', MODEL, '--modality', 'thermal', '--input', 'test/golden/images/gray_257x193.png', '--providers', 'cuda']);
    // A machine with CUDA embeds here; one without says why, on stderr, exit 1.
    if ((await probeProvider('cuda')).ok) {
      expect(none.code).toBe(0);
    } else {
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/thermal\.onnx with any execution provider \(cuda\): cuda: not available on this machine/);
      expect(none.out).toBe('');
    }
  });
});
