import { copyFile, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CheckResult } from '../../src/doctor/checks.js';
import { checkModelFiles, checkProviders } from '../../src/doctor/model-checks.js';
import { setDeviceProbe } from '../../src/embed/providers.js';

const TINY = 'test/fixtures/models/imagebind-tiny';
const list = (r: CheckResult | CheckResult[]) => (Array.isArray(r) ? r : [r]);

describe('doctor model checks', () => {
  it('reports which providers really load: on a machine without a GPU device, cpu, the GPU ones with their reason', async () => {
    // The device probe is injected so this runs the same on a robot with a GPU (src/embed/providers.ts).
    const restore = setDeviceProbe(() => false);
    try {
      const config = parseConfig({ model: { providers: ['cuda', 'webgpu', 'cpu'] } }, 'test');
      const r = list(await checkProviders(config));
      expect(r.map((x) => [x.name, x.status])).toEqual([['provider cuda', 'warn'], ['provider webgpu', 'warn'], ['provider cpu', 'ok']]);
      expect(r[0]!.detail).toMatch(/does not load: .*no GPU device on this machine/);
      expect(r[2]!.detail).toMatch(/graphs will run here/);
      const none = list(await checkProviders(parseConfig({ model: { providers: ['cuda'] } }, 'test')));
      expect(none.map((x) => x.status)).toEqual(['fail', 'fail']);
      expect(none[1]!.detail).toMatch(/none of model.providers \(cuda\) loads/);
    } finally {
      setDeviceProbe(restore);
    }
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
