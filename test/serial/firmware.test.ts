// The C core's own unit tests (COBS, CRC, ring buffer, decoder resync, the shared vectors), compiled with
// the host gcc into a temporary directory and run, so CI checks the firmware side on every run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const FIRMWARE = fileURLToPath(new URL('../../firmware-bridge/firmware', import.meta.url));
const build = mkdtempSync(join(tmpdir(), 'sb-fw-'));
afterAll(() => rmSync(build, { recursive: true, force: true }));

describe('firmware core (C99, host build)', () => {
  it('passes its unit tests and the shared vectors with -Wall -Wextra -Werror', () => {
    const r = spawnSync('make', ['-C', FIRMWARE, 'test', `BUILD=${build}`], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run make (install gcc and make: apt-get install gcc make libc6-dev): ${r.error.message}`);
    expect(r.stderr + r.stdout).toMatch(/vectors: \d+ checked/);
    expect(r.stdout).toMatch(/^ok: \d+ checks, 0 failures$/m);
    expect(r.status, r.stderr).toBe(0);
  });

  it('builds the device simulator, which explains its usage', () => {
    execFileSync('make', ['-C', FIRMWARE, 'simulator', `BUILD=${build}`], { stdio: 'pipe' });
    const r = spawnSync(join(build, 'sensebind-sim'), [], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: sensebind-sim --out');
  });
});
