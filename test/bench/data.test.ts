// Benchmarks in a checkout with nothing beside it: `bench bag` runs on the bag the repository carries,
// `bench embed` on the bundled recordings, and `bench preprocess` (which needs the full data set) stops
// with one line naming the missing file and how to point at the data; none of them throws a stack trace.
// Run as a user runs them: the built CLI in a child process whose working directory has no ../shared.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_DATA, benchDataDir, benchFile } from '../../src/bench/data.js';

const CLI = resolve('bin/sensebind.js');
// <tmp>/x/work: ../shared would be <tmp>/x/shared, which does not exist.
const cwd = join(mkdtempSync(join(tmpdir(), 'sensebind-bench-')), 'work');
mkdirSync(cwd);
const env = { ...process.env, SENSEBIND_DATA: '' };

function bench(args: string[]): { code: number | null; stdout: string; stderr: string } {
  if (!existsSync(resolve('dist/bench/bag.js'))) throw new Error('run `npm run build` first (npm test does)');
  const r = spawnSync(process.execPath, [CLI, 'bench', ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bench data folder', () => {
  it('prefers --data, then SENSEBIND_DATA, then ../shared/data, then the subset in test/data', () => {
    expect(benchDataDir('/some/where', {})).toBe('/some/where');
    expect(benchDataDir(undefined, { SENSEBIND_DATA: '/from/env' })).toBe('/from/env');
    const here = benchDataDir(undefined, {});
    expect(here === resolve('../shared/data') || here === BUNDLED_DATA).toBe(true);
    expect(() => benchFile('x', BUNDLED_DATA, 'audio/speech/silero_test_speech.wav')).toThrow(
      /^bench x: needs the recording audio\/speech\/silero_test_speech\.wav, not found in .*; pass --data <folder> or set SENSEBIND_DATA/,
    );
  });

  it('bench bag replays the bundled ROS 1 bag when ../shared is absent', () => {
    const r = bench(['bag']);
    expect(r.stderr).not.toMatch(/unexpected error|at .*\.js:\d+/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { files: { file: string; messages: number; samples: number }[] };
    expect(out.files.map((f) => f.file)).toEqual(['robot_localization_test2.bag']);
    expect(out.files[0]!.samples).toBeGreaterThan(1000);
  });

  it('bench preprocess without the full data set: one line naming the file, exit 1', () => {
    const r = bench(['preprocess', '--seconds', '0.1', '--rounds', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bench preprocess: needs the recording audio\/speech\/silero_test_speech\.wav, not found in the repository's subset/);
  });

  it('bench bag with a missing file names it', () => {
    const r = bench(['bag', join(cwd, 'nope.bag')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bench bag: .*nope\.bag: file not found/);
  });
});
