import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/doctor/checks.js';
import { checkModelFiles, checkProviders, providersCheck } from '../../src/doctor/model-checks.js';
import { probeProvider, type ProviderName } from '../../src/embed/providers.js';

const TINY = 'test/fixtures/models/imagebind-tiny';
const list = (r: CheckResult | CheckResult[]) => (Array.isArray(r) ? r : [r]);

describe('doctor model checks', () => {
  it('reports which providers really load on this machine, and a missing one with its reason', async () => {
    // Whatever this machine has: each line agrees with the runtime's own probe (a GPU robot or not).
    const config = parseConfig({ model: { providers: ['cuda', 'webgpu', 'cpu'] } }, 'test');
    const r = list(await checkProviders(config));
    expect(r.map((x) => x.name)).toEqual(['provider cuda', 'provider webgpu', 'provider cpu']);
    for (const [i, provider] of (['cuda', 'webgpu', 'cpu'] as const).entries()) {
      const probe = await probeProvider(provider);
      expect(r[i]!.status).toBe(probe.ok ? 'ok' : 'warn');
      expect(r[i]!.detail).toMatch(probe.ok ? /^loads \(\d+ ms\)/ : /^does not load: ./);
    }
    const first = r.findIndex((x) => x.status === 'ok');
    expect(r[first]!.detail).toMatch(/graphs will run here/);
  });

  it('fails when no provider of the chain loads (probe injected: a machine without that GPU)', async () => {
    const absent = async (provider: ProviderName) => ({ provider, ok: false, reason: 'libcudart.so.12: cannot open shared object file', ms: 0 });
    const none = list(await providersCheck(absent)(parseConfig({ model: { providers: ['cuda'] } }, 'test')));
    expect(none.map((x) => x.status)).toEqual(['fail', 'fail']);
    expect(none[0]!.detail).toBe('does not load: libcudart.so.12: cannot open shared object file');
    expect(none[1]!.detail).toMatch(/none of model.providers \(cuda\) loads/);
    const present = async (provider: ProviderName) => ({ provider, ok: true, ms: 3 });
    const some = list(await providersCheck(present)(parseConfig({ model: { providers: ['cuda', 'cpu'] } }, 'test')));
    expect(some.map((x) => [x.status, x.detail])).toEqual([['ok', 'loads (3 ms); graphs will run here'], ['ok', 'loads (3 ms)']]);
  });

  it('verifies every graph of the model and names a tampered file', async () => {
    const ok = list(await checkModelFiles(parseConfig({ model: { dir: TINY } }, 'test')));
    expect(ok.every((x) => x.status === 'ok')).toBe(true);
    expect(ok.map((x) => x.name)).toEqual(['model', 'model vision', 'model audio', 'model depth', 'model thermal', 'model imu', 'model text']);
    expect(ok[3]!.detail).toMatch(/depth\.onnx \(0\.1 MiB, float16 \[-1,1,224,224\]\) sha256 matches/);

    const dir = await mkdtemp(join(tmpdir(), 'sensebind-doctor-'));
    for (const f of await readdir(TINY)) await copyFile(join(TINY, f), join(dir, f));
    const bytes = await readFile(join(dir, 'audio.onnx'));
    await writeFile(join(dir, 'audio.onnx'), bytes.subarray(0, 1000));
    const bad = list(await checkModelFiles(parseConfig({ model: { dir } }, 'test')));
    const audio = bad.find((x) => x.name === 'model audio')!;
    expect(audio.status).toBe('fail');
    expect(audio.detail).toMatch(/audio\.onnx: sha256 mismatch: expected/);
    expect(bad.filter((x) => x.status === 'fail')).toHaveLength(1);

    const missing = list(await checkModelFiles(parseConfig({ model: { dir: join(dir, 'nope') } }, 'test')));
    expect(missing[0]).toMatchObject({ name: 'model', status: 'fail' });
    expect(missing[0]!.detail).toMatch(/the folder does not exist/);
  });
});
