import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkNodeHeap, type CheckResult } from '../../src/doctor/checks.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../bin/sensebind.js', import.meta.url));

async function heapCheck(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const { stdout } = await run(file, [...args, 'doctor', '--json'], { encoding: 'utf8', env });
  const found = (JSON.parse(stdout) as CheckResult[]).find((c) => c.name === 'node heap');
  if (found === undefined) throw new Error(`doctor printed no "node heap" check: ${stdout}`);
  return found;
}

describe('doctor: node heap', () => {
  it('names the flag when Node was started with it, warns with the remedy when not', () => {
    expect(checkNodeHeap(['--initial-old-space-size=256'], { MALLOC_ARENA_MAX: '2' })).toEqual({
      name: 'node heap',
      status: 'ok',
      detail: 'started with --initial-old-space-size=256 (fewer full garbage collections at camera rates); MALLOC_ARENA_MAX=2',
    });
    expect(checkNodeHeap(['--initial-old-space-size=256'], {}).detail).toMatch(/MALLOC_ARENA_MAX unset/);
    const bare = checkNodeHeap([], {});
    expect(bare.status).toBe('warn');
    expect(bare.detail).toMatch(/node_modules\/\.bin\/sensebind/);
  });

  // The launcher executed as npx and node_modules/.bin run it: the kernel reads its shebang.
  it('the launcher starts Node with the flag; `node bin/sensebind.js` does not, and doctor says so', async () => {
    // The caller's own MALLOC_ARENA_MAX is left out, so the shebang's is the one seen.
    const env = { ...process.env };
    delete env['MALLOC_ARENA_MAX'];
    const launched = await heapCheck(cli, [], env);
    expect(launched.status).toBe('ok');
    expect(launched.detail).toMatch(/; MALLOC_ARENA_MAX=2$/);
    const bare = await heapCheck(process.execPath, [cli], env);
    expect(bare.status).toBe('warn');
    expect(bare.detail).toMatch(/MALLOC_ARENA_MAX unset/);
  }, 60_000);
});
