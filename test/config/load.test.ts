import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SensebindError } from '../../src/core/errors.js';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { formatPath } from '../../src/config/zod-issues.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'sb-config-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function configFile(text: string): Promise<string> {
  const path = join(dir, 'sensebind.yaml');
  await writeFile(path, text);
  return path;
}

async function loadError(text: string): Promise<string> {
  const path = await configFile(text);
  try {
    await loadConfig({ path });
  } catch (err) {
    expect(err).toBeInstanceOf(SensebindError);
    expect((err as SensebindError).code).toBe('CONFIG');
    return (err as Error).message;
  }
  throw new Error('expected a config error');
}

describe('config', () => {
  it('fills every default from an empty or absent file', async () => {
    const cfg = parseConfig(undefined, 'test');
    expect(cfg.window.hopSeconds).toBe(0.5);
    expect(cfg.window.maxAgeSeconds.audio).toBe(0.5);
    expect(cfg.model.providers).toEqual(['tensorrt', 'cuda', 'webgpu', 'cpu']);
    expect(cfg.sinks.jsonl.path).toBe('');
    const fromEmpty = await loadConfig({ path: await configFile('') });
    expect(fromEmpty.config).toEqual(cfg);
  });

  it('reads values and applies CLI overrides after the file', async () => {
    const path = await configFile('window:\n  hopSeconds: 0.25\nlog:\n  level: debug\n');
    const { config, source } = await loadConfig({ path, overrides: { 'log.level': 'warn', 'robot.id': 'r2' } });
    expect(source).toBe(path);
    expect(config.window.hopSeconds).toBe(0.25);
    expect(config.log.level).toBe('warn');
    expect(config.robot.id).toBe('r2');
  });

  it('names the file, key path, expectation and value for a wrong type', async () => {
    const msg = await loadError('window:\n  hopSeconds: fast\n');
    expect(msg).toContain('sensebind.yaml');
    expect(msg).toContain('window.hopSeconds: expected number, got "fast"');
  });

  it('rejects unknown keys at any depth', async () => {
    const msg = await loadError('windw: {}\nwindow:\n  maxAgeSeconds:\n    lidar: 1\n');
    expect(msg).toContain('unknown key "windw"');
    expect(msg).toContain('window.maxAgeSeconds: unknown key "lidar"');
  });

  it('reports array indices and enum expectations', async () => {
    const msg = await loadError('model:\n  providers: [cpu, tpu]\n');
    expect(msg).toMatch(/model\.providers\[1\]: expected one of .*"cpu".*got "tpu"/);
  });

  it('rejects negative numbers, bad robot ids, YAML errors and a non-mapping top level', async () => {
    expect(await loadError('window:\n  hopSeconds: -1\n')).toContain('window.hopSeconds: Too small');
    expect(await loadError('robot:\n  id: "my robot/1"\n')).toContain('robot.id');
    expect(await loadError('window: [\n')).toContain('invalid YAML');
    expect(await loadError('- a\n- b\n')).toContain('expected a mapping');
    expect(await loadError('a: 1\na: 2\n')).toContain('invalid YAML');
  });

  it('fails clearly for an explicit path that does not exist, but not for a missing default file', async () => {
    await expect(loadConfig({ path: join(dir, 'nope.yaml') })).rejects.toThrow(/cannot read config .*nope\.yaml/);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { source } = await loadConfig();
      expect(source).toContain('defaults');
    } finally {
      process.chdir(cwd);
    }
  });

  it('formats key paths the way users write them', () => {
    expect(formatPath(['sources', 'serial', 0, 'baud'])).toBe('sources.serial[0].baud');
    expect(formatPath([])).toBe('(top level)');
  });
});
