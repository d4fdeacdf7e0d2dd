/**
 * Picks the reader for a bag file by its magic bytes (MCAP or ROS 1 v2.0), not by its extension; a
 * rosbag2 bag folder is read file by file in its metadata's order (bag-folder.ts).
 */
import { open } from 'node:fs/promises';
import { SensebindError, errorMessage } from '../core/errors.js';
import { resolveBagFolder } from './bag-folder.js';
import { readMcap } from './mcap-reader.js';
import type { BagFormat, BagRecord } from './records.js';
import { readRos1Bag } from './ros1-reader.js';

const MCAP_MAGIC = [0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a];
const ROS1_MAGIC = '#ROSBAG V2.0\n';

export async function detectBagFormat(path: string): Promise<BagFormat> {
  const folder = await resolveBagFolder(path);
  if (folder !== undefined) return detectFileFormat(folder.files[0]!);
  return detectFileFormat(path);
}

async function detectFileFormat(path: string): Promise<BagFormat> {
  let head: Uint8Array;
  try {
    const handle = await open(path, 'r');
    try {
      head = new Uint8Array(16);
      const { bytesRead } = await handle.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new SensebindError('IO', `cannot read bag ${path}: ${errorMessage(err)}`, { cause: err });
  }
  if (MCAP_MAGIC.every((b, i) => head[i] === b)) return 'mcap';
  if (new TextDecoder().decode(head.subarray(0, ROS1_MAGIC.length)) === ROS1_MAGIC) return 'ros1';
  const hint = path.endsWith('.db3') ? ' (rosbag2 sqlite3 .db3 is not supported: convert with `ros2 bag convert` to MCAP)' : '';
  throw new SensebindError('INPUT', `${path} is neither MCAP nor a ROS 1 bag v2.0 (first bytes ${Buffer.from(head.subarray(0, 8)).toString('hex')})${hint}`);
}

/** Every record of the bag in log-time order (see the readers for what happens on damage). */
export async function* readBagRecords(path: string): AsyncGenerator<BagRecord> {
  const folder = await resolveBagFolder(path);
  for (const file of folder?.files ?? [path]) {
    const format = await detectFileFormat(file);
    for await (const record of format === 'mcap' ? readMcap(file) : readRos1Bag(file)) {
      yield folder !== undefined && record.kind === 'damage' ? { ...record, reason: `${file}: ${record.reason}` } : record;
      // Damage ends the replay: later split files would start after a gap nobody could see.
      if (record.kind === 'damage') return;
    }
  }
}
