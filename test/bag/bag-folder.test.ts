// A rosbag2 bag folder as `ros2 bag record`/`convert` leaves it (metadata.yaml + split .mcap files): the
// fixture was written by rosbag2 itself (test/fixtures/bags/make-rosbag2-walk.mjs). It replays file by
// file in the metadata's order with counts equal to the metadata's, through readBag and `sensebind
// replay`, whose summary gives the per-topic decoded/skipped/bad counts; broken folders get one clear line.
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { command as replay } from '../../src/cli/commands/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { runCommandCaptured } from '../helpers/run-command.js';
import { drainBag } from '../helpers/drain-bag.js';

const FOLDER = resolve('test/fixtures/bags/rosbag2-walk');
let dir: string;
let meta: { message_count: number; relative_file_paths: string[]; topics_with_message_count: { topic_metadata: { name: string }; message_count: number }[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-folder-'));
  meta = (parseYaml(await readFile(join(FOLDER, 'metadata.yaml'), 'utf8')) as { rosbag2_bagfile_information: typeof meta }).rosbag2_bagfile_information;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyFolder(name: string, withMetadata: boolean): Promise<string> {
  const to = join(dir, name);
  await rm(to, { recursive: true, force: true });
  await mkdir(to);
  for (const f of await readdir(FOLDER)) if (withMetadata || f !== 'metadata.yaml') await copyFile(join(FOLDER, f), join(to, f));
  return to;
}

describe('rosbag2 bag folder', () => {
  it('replays every split file in order: counts equal metadata.yaml, stamps never go back', async () => {
    expect(meta.relative_file_paths.length).toBeGreaterThan(1);
    const { items, summary } = await drainBag(FOLDER);
    expect(summary.format).toBe('mcap');
    expect(summary.damage).toBeUndefined();
    expect(summary.messages).toBe(meta.message_count);
    for (const t of meta.topics_with_message_count) {
      const c = summary.topics[t.topic_metadata.name];
      if (t.topic_metadata.name === '/sensebind/truth') expect(summary.truths).toBe(t.message_count);
      else expect(c).toMatchObject({ decoded: t.message_count, skipped: 0, bad: 0, modality: 'imu' });
    }
    const stamps = items.flatMap((i) => (i.kind === 'sample' ? [i.sample.stamp] : []));
    expect(stamps.every((s, k) => k === 0 || s >= stamps[k - 1]!)).toBe(true);
    // The files, read one by one, hold exactly these messages.
    let sum = 0;
    for (const f of meta.relative_file_paths) sum += (await drainBag(join(FOLDER, f))).summary.messages;
    expect(sum).toBe(meta.message_count);
  });

  it('a copied folder without metadata.yaml: its .mcap files in name order', async () => {
    const bare = await copyFolder('bare', false);
    expect((await drainBag(bare)).summary.messages).toBe(meta.message_count);
  });

  it('sensebind replay takes the folder; its summary gives per-topic decoded/skipped/bad counts', async () => {
    const config = parseConfig({ model: { dir: resolve('test/fixtures/models/imagebind-tiny'), providers: ['cpu'], cacheDir: join(dir, 'cache') }, robot: { id: 'test' } }, 'test');
    const r = await runCommandCaptured(replay, [FOLDER, '--hop', '0.5'], async () => config);
    expect(r.stderr).not.toMatch(/EISDIR/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.samples.imu).toBe(876);
    expect(out.topics['/imu/data_raw']).toMatchObject({ type: 'sensor_msgs/msg/Imu', modality: 'imu', received: 876, decoded: 876, skipped: 0, bad: 0 });
    expect(out.clocks).toEqual({});
  });

  it('sensebind run --bag <folder> (the built CLI): its stop summary gives per-topic counts', () => {
    if (!existsSync(resolve('dist/cli/commands/run.js'))) throw new Error('run `npm run build` first (npm test does)');
    const config = join(dir, 'run.yaml');
    writeFileSync(config, `model: { dir: ${JSON.stringify(resolve('test/fixtures/models/imagebind-tiny'))}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }\n`);
    const r = spawnSync(process.execPath, [resolve('bin/sensebind.js'), 'run', '--config', config, '--bag', FOLDER, '--speed', '20', '--exit-at-end'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.sources[`bag:${FOLDER}`]).toMatchObject({
      decoded: 876,
      detail: { '/imu/data_raw.decoded': 876, '/imu/data_raw.skipped': 0, '/imu/data_raw.bad': 0 },
    });
  });

  it('broken folders: one line naming what is wrong', async () => {
    const sqlite = await copyFolder('sqlite', true);
    const m = await readFile(join(sqlite, 'metadata.yaml'), 'utf8');
    await writeFile(join(sqlite, 'metadata.yaml'), m.replace('storage_identifier: mcap', 'storage_identifier: sqlite3'));
    await expect(drainBag(sqlite)).rejects.toThrow(/sqlite: rosbag2 storage "sqlite3" is not supported \(only mcap\); convert it with `ros2 bag convert/);
    const missing = await copyFolder('missing', true);
    await rm(join(missing, meta.relative_file_paths[1]!));
    await expect(drainBag(missing)).rejects.toThrow(new RegExp(`${meta.relative_file_paths[1]!.replace('.', '\\.')} is listed in metadata.yaml but missing`));
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await expect(drainBag(empty)).rejects.toThrow(/empty is a folder without metadata\.yaml or \.mcap files/);
  });
});
