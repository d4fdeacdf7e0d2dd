// doctor --deep on real graphs: a fixture ONNX Runtime refuses (valid ONNX, matching sha256, MatMul dims that
// do not agree: test/fixtures/models/bad-graph/generate.py) and the bundled bind-mini model.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/doctor/checks.js';
import { checkModelFiles } from '../../src/doctor/model-checks.js';
import { checkModelGraphsRun } from '../../src/doctor/graph-checks.js';

const BAD = resolve('test/fixtures/models/bad-graph');
const list = (r: CheckResult | CheckResult[]) => (Array.isArray(r) ? r : [r]);
const config = (dir: string) => parseConfig({ model: { dir, providers: ['cpu'] } }, 'test');

let tmp: string;
beforeAll(async () => (tmp = await mkdtemp(join(tmpdir(), 'sb-doctor-deep-'))));
afterAll(async () => rm(tmp, { recursive: true, force: true }));

describe('doctor --deep: every graph loaded and run once', () => {
  it('fails a graph ONNX Runtime refuses although its file and hash check pass, and passes its sound neighbour', async () => {
    const files = list(await checkModelFiles(config(BAD)));
    expect(files.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']); // what doctor said before --deep existed

    const runs = list(await checkModelGraphsRun(config(BAD)));
    expect(runs.map((r) => [r.name, r.status])).toEqual([['run vision', 'ok'], ['run imu', 'fail']]);
    expect(runs[0]!.detail).toMatch(/^vision\.onnx runs on cpu: loaded in \d+ ms, zeros \[1,3,224,224\] -> \[1,1024\] in \d+ ms$/);
    const imu = runs[1]!.detail;
    expect(imu).toMatch(/^ONNX Runtime refuses it after \d+ ms: cannot load ONNX graph .*bad-graph\/imu\.onnx .*MatMul.*Incompatible dimensions for matrix multiplication$/);
    expect(imu).not.toContain('\n');
  });

  it('runs every graph of the bundled bind-mini model', async () => {
    const runs = list(await checkModelGraphsRun(config('models/bind-mini')));
    expect(runs.map((r) => [r.name, r.status])).toEqual([
      ['run vision', 'ok'], ['run audio', 'ok'], ['run depth', 'ok'], ['run imu', 'ok'], ['run text', 'ok'],
    ]);
    expect(runs.find((r) => r.name === 'run text')!.detail).toMatch(/zeros \[1,77\] -> \[1,128\]/);
  });

  it('says why a graph was not run when its file is missing', async () => {
    const dir = join(tmp, 'missing');
    await rm(dir, { recursive: true, force: true });
    const { cp } = await import('node:fs/promises');
    await cp(BAD, dir, { recursive: true });
    await rm(join(dir, 'imu.onnx'));
    const runs = list(await checkModelGraphsRun(config(dir)));
    expect(runs.map((r) => r.status)).toEqual(['ok', 'fail']);
    expect(runs[1]!.detail).toMatch(/^not run: .*imu\.onnx/);
  });

  it('the CLI: --deep fails the exit code with the ORT error on one line; without it the bad graph passes', async () => {
    const cfg = join(tmp, 'sensebind.yaml');
    await writeFile(cfg, `model:\n  dir: ${BAD}\n  providers: [cpu]\n`);
    const cli = async (args: string[]) => {
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [resolve('bin/sensebind.js'), '--config', cfg, 'doctor', ...args], { env: { ...process.env, ROS_DISTRO: '' } });
        return { code: 0, stdout };
      } catch (err) {
        const e = err as { code: number; stdout: string };
        return { code: e.code, stdout: e.stdout };
      }
    };
    const shallow = await cli([]);
    expect(shallow.code).toBe(0);
    expect(shallow.stdout).toContain('doctor --deep also loads and runs each once');
    const deep = await cli(['--deep']);
    expect(deep.code).toBe(1);
    const line = deep.stdout.split('\n').find((l) => l.includes('run imu'))!;
    expect(line).toMatch(/^FAIL\s+run imu\s+ONNX Runtime refuses it .*Incompatible dimensions for matrix multiplication/);
    expect(deep.stdout).toMatch(/^OK\s+run vision\s+vision\.onnx runs on cpu/m);
  });
});
