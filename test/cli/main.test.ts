// The CLI as a user runs it: the compiled bin (npm test builds first), in a directory without a config.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const bin = resolve('bin/sensebind.js');
const run = promisify(execFile);
let cwd: string;

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { cwd, env: { ...process.env, ROS_DISTRO: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => (cwd = await mkdtemp(join(tmpdir(), 'sb-cli-'))));
afterAll(async () => rm(cwd, { recursive: true, force: true }));

describe('sensebind CLI', () => {
  it('--help lists every registered command; --version prints the package version', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const name of ['run', 'replay', 'demo', 'preprocess', 'embed', 'simulate', 'eval', 'concepts', 'bench', 'doctor', 'config']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('config print works with no config file and prints every default', async () => {
    const { code, stdout } = await cli(['config', 'print']);
    expect(code).toBe(0);
    const cfg = parse(stdout) as { window: { hopSeconds: number }; model: { dir: string } };
    expect(cfg.window.hopSeconds).toBe(0.5);
    expect(cfg.model.dir).toBe('models/bind-mini');
  });

  it('a bad config exits 2 naming the file, the key and the problem', async () => {
    const path = join(cwd, 'bad.yaml');
    await writeFile(path, 'window:\n  hopSeconds: fast\n');
    const { code, stderr } = await cli(['--config', path, 'config', 'print']);
    expect(code).toBe(2);
    expect(stderr).toContain(path);
    expect(stderr).toContain('window.hopSeconds: expected number, got "fast"');
  });

  it('doctor reports Node, ONNX Runtime, ROS 2 and serial without crashing', async () => {
    const { stdout } = await cli(['doctor', '--json']);
    const results = JSON.parse(stdout) as Array<{ name: string; status: string; detail: string }>;
    const byName = new Map(results.map((r) => [r.name, r]));
    expect(byName.get('node')?.status).toBe('ok');
    expect(byName.get('onnxruntime')?.detail).toMatch(/onnxruntime-node 1\.\d+/);
    // cli() unsets ROS_DISTRO (as in a shell that did not source ROS 2), so this is the same on a robot;
    // the sourced branch is test/doctor/ros2-check.test.ts and the live ROS 2 tests.
    expect(byName.get('ros2')?.status).toBe('warn');
    expect(byName.get('ros2')?.detail).toMatch(/^ROS 2 not available: ROS 2 is not sourced \(ROS_DISTRO unset\)/);
    expect(byName.has('serial')).toBe(true);
  });

  it('ignores the --ros-args tail a ROS 2 launch file appends', async () => {
    const { code, stdout } = await cli(['config', 'print', '--json', '--ros-args', '-r', '__ns:=/robot1']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).window.hopSeconds).toBe(0.5);
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['--bogus', 'doctor'])).code).toBe(2);
    expect((await cli(['doctor', '--bogus'])).stderr).toMatch(/Unknown option '--bogus'/);
  });
});
