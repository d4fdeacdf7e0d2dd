/**
 * `sensebind bench bag [files...]`: bag replay throughput, as fast as possible, per file:
 *   read:    records out of the bag (index, chunk decompression), no deserialisation;
 *   replay:  readBag end to end (deserialisation + conversion to Samples + summary).
 * Default files: the real ROS 1 bags (bz2 chunks) in imu/ros1_bags of the data folder (--data, $SENSEBIND_DATA,
 * ../shared/data, else the one bag the repository carries in test/data). Prints JSON on stdout.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { SensebindError } from '../core/errors.js';
import { benchDataDir, benchFile } from './data.js';
import { readBagRecords } from '../bag/open-bag.js';
import { readBag } from '../sources/bag.js';

const round = (x: number): number => Math.round(x);

async function timeIt(fn: () => Promise<number>): Promise<{ count: number; seconds: number }> {
  const t0 = performance.now();
  const count = await fn();
  return { count, seconds: (performance.now() - t0) / 1000 };
}

export async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: { data: { type: 'string' } }, allowPositionals: true });
  let files = positionals;
  if (files.length === 0) {
    const dir = benchFile('bag', benchDataDir(values.data), 'imu/ros1_bags');
    files = (await readdir(dir)).filter((f) => f.endsWith('.bag')).sort().map((f) => join(dir, f));
    if (files.length === 0) throw new SensebindError('INPUT', `bench bag: no .bag files in ${dir}`);
  }
  for (const f of files) if (!existsSync(f)) throw new SensebindError('INPUT', `bench bag: ${f}: file not found`);
  // warm-up: loads the wasm decompressors once, so the first file is not charged for it
  for await (const _ of readBagRecords(files[0]!)) break;
  const results = [];
  let total = 0;
  let totalSeconds = 0;
  for (const file of files) {
    const read = await timeIt(async () => {
      let n = 0;
      for await (const r of readBagRecords(file)) if (r.kind === 'message') n++;
      return n;
    });
    let samples = 0;
    const replay = await timeIt(async () => {
      let n = 0;
      for await (const item of readBag(file)) {
        n++;
        if (item.kind === 'sample') samples++;
      }
      return n;
    });
    total += replay.count;
    totalSeconds += replay.seconds;
    results.push({
      file: basename(file),
      bytes: (await stat(file)).size,
      messages: read.count,
      samples,
      readMsgPerS: round(read.count / read.seconds),
      replayMsgPerS: round(replay.count / replay.seconds),
      replaySeconds: Number(replay.seconds.toFixed(3)),
    });
  }
  console.log(JSON.stringify({ bench: 'bag', node: process.version, files: results, overallReplayMsgPerS: round(total / totalSeconds) }, null, 2));
}
