import { copyFile, mkdtemp, readFile, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SensebindError } from '../../src/core/errors.js';
import { loadManifest, usableModalities } from '../../src/embed/manifest.js';

const TINY = resolve('test/fixtures/models/imagebind-tiny');

async function copyModel(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sensebind-manifest-'));
  for (const f of ['manifest.json', 'vision.onnx', 'audio.onnx', 'text.onnx', 'depth.onnx', 'thermal.onnx', 'imu.onnx']) {
    await copyFile(join(TINY, f), join(dir, f));
  }
  return dir;
}

describe('loadManifest', () => {
  it('loads the test model with every modality verified', async () => {
    const loaded = await loadManifest(TINY);
    expect(loaded.modelId).toBe('imagebind-tiny@1.0.0');
    expect(loaded.manifest.embeddingDim).toBe(1024);
    expect(usableModalities(loaded)).toEqual(['vision', 'audio', 'depth', 'thermal', 'imu', 'text']);
    for (const m of usableModalities(loaded)) expect(loaded.modalities[m]?.verified).toBe(true);
    expect(loaded.modalities.audio?.entry.preprocess.melBins).toBe(128);
  });

  it('accepts the ImageBind template manifest (no graphs installed yet)', async () => {
    const loaded = await loadManifest('models/imagebind');
    expect(usableModalities(loaded)).toEqual([]);
    expect(loaded.modalities.text?.path).toBeUndefined();
  });

  it('names the file and the key path of a schema error', async () => {
    const dir = await copyModel();
    const raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    raw.modalities.audio.input.dtype = 'float64';
    raw.modalities.vision.bogus = 1;
    raw.embeddingDim = -3;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    const err = await loadManifest(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SensebindError);
    const msg = (err as Error).message;
    expect(msg).toContain(join(dir, 'manifest.json'));
    expect(msg).toContain('modalities.audio.input.dtype');
    expect(msg).toContain('"float64"');
    expect(msg).toMatch(/modalities\.vision: unknown key "bogus"/);
    expect(msg).toContain('embeddingDim');
  });

  it('reports a missing folder, missing manifest and broken JSON clearly', async () => {
    await expect(loadManifest('/nonexistent/model')).rejects.toThrow(/manifest.*the folder does not exist/);
    const dir = await mkdtemp(join(tmpdir(), 'sensebind-manifest-'));
    await expect(loadManifest(dir)).rejects.toThrow(/no manifest.json in the folder/);
    await writeFile(join(dir, 'manifest.json'), '{"schemaVersion": 1,');
    await expect(loadManifest(dir)).rejects.toThrow(/not JSON/);
  });

  it('fails only the tampered modality on a sha256 mismatch, naming file, expected and found', async () => {
    const dir = await copyModel();
    const bytes = await readFile(join(dir, 'imu.onnx'));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
    await writeFile(join(dir, 'imu.onnx'), bytes);
    const loaded = await loadManifest(dir);
    const err = loaded.modalities.imu?.error;
    expect(err?.code).toBe('HASH_MISMATCH');
    expect(err?.message).toContain(join(dir, 'imu.onnx'));
    expect(err?.message).toContain(`expected ${loaded.manifest.modalities.imu?.sha256}`);
    expect(err?.message).toMatch(/found [0-9a-f]{64}/);
    expect(usableModalities(loaded)).toEqual(['vision', 'audio', 'depth', 'thermal', 'text']);
    await expect(loadManifest(dir, { strict: true })).rejects.toMatchObject({ code: 'HASH_MISMATCH' });
    // Without verification the file is only checked for existence.
    expect((await loadManifest(dir, { verifyHashes: false })).modalities.imu?.error).toBeUndefined();
  });

  it('fails a modality whose graph file is missing and rejects paths leaving the folder', async () => {
    const dir = await copyModel();
    const raw = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    raw.modalities.depth.file = 'gone.onnx';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    const loaded = await loadManifest(dir);
    expect(loaded.modalities.depth?.error?.message).toMatch(/gone\.onnx: file not found \(named by modalities\.depth\.file/);
    raw.modalities.depth.file = '../escape.onnx';
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(raw));
    await expect(loadManifest(dir)).rejects.toThrow(/modalities\.depth\.file: a file name inside the model folder/);
  });

  it('remembers verified hashes by size, mtime and inode, and re-hashes a file that changed', async () => {
    const dir = await copyModel();
    const memo = join(dir, 'cache', 'verified-hashes.json');
    expect((await loadManifest(dir, { hashMemo: memo })).modalities.imu?.error).toBeUndefined();
    const entries = JSON.parse(await readFile(memo, 'utf8')) as Record<string, { sha256: string }>;
    const imu = join(dir, 'imu.onnx');
    expect(entries[imu]?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Prove the memo is read: a remembered (wrong) hash for the unchanged file is what gets compared.
    entries[imu]!.sha256 = '0'.repeat(64);
    await writeFile(memo, JSON.stringify(entries));
    expect((await loadManifest(dir, { hashMemo: memo })).modalities.imu?.error?.message).toMatch(/found 0{64}/);
    // A rewritten file (new mtime) is hashed again, so the memo cannot hide a change.
    await utimes(imu, new Date(), new Date(Date.now() + 5000));
    expect((await loadManifest(dir, { hashMemo: memo })).modalities.imu?.error).toBeUndefined();
    // A damaged memo is ignored.
    await writeFile(memo, '{not json');
    expect((await loadManifest(dir, { hashMemo: memo })).modalities.imu?.error).toBeUndefined();
  });
});
