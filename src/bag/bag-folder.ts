/**
 * rosbag2 writes a bag as a folder: `metadata.yaml` plus one storage file per split (`<name>_0.mcap`,
 * `<name>_1.mcap`, ...). Users pass that folder (what `ros2 bag record -o name` made), so a folder is
 * resolved to its files in the order the metadata lists them. Without metadata.yaml (a copied folder) its
 * .mcap files are taken in name order. sqlite3 storage and file-level compression are refused with the
 * command that converts them.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SensebindError, errorMessage } from '../core/errors.js';

export interface BagFolder {
  /** The storage files, in replay order (absolute or relative as the folder path was given). */
  files: string[];
  /** Per topic as metadata.yaml states it (type and message count), when there is metadata. */
  topics?: Record<string, { type: string; messages: number }>;
  /** Total messages metadata.yaml states, when there is metadata. */
  messages?: number;
}

const CONVERT_HINT = 'convert it with `ros2 bag convert -i <bag> -o out.yaml` (storage_id: mcap)';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The files of a rosbag2 folder, or undefined when `path` is not a folder (a single bag file). */
export async function resolveBagFolder(path: string): Promise<BagFolder | undefined> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    return undefined; // the single-file reader names a missing file
  }
  if (!isDir) return undefined;
  const metaPath = join(path, 'metadata.yaml');
  let text: string | undefined;
  try {
    text = await readFile(metaPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SensebindError('IO', `cannot read ${metaPath}: ${errorMessage(err)}`, { cause: err });
  }
  if (text === undefined) {
    const names = (await readdir(path)).filter((f) => f.endsWith('.mcap')).sort();
    if (names.length === 0) {
      throw new SensebindError('INPUT', `${path} is a folder without metadata.yaml or .mcap files; expected a rosbag2 bag folder or a bag file`);
    }
    return { files: names.map((f) => join(path, f)) };
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SensebindError('INPUT', `${metaPath}: not valid YAML (${errorMessage(err)})`);
  }
  const info = isRecord(doc) ? doc['rosbag2_bagfile_information'] : undefined;
  if (!isRecord(info)) throw new SensebindError('INPUT', `${metaPath}: no rosbag2_bagfile_information section; not a rosbag2 metadata file`);
  const storage = String(info['storage_identifier'] ?? '');
  if (storage !== 'mcap') {
    throw new SensebindError('INPUT', `${path}: rosbag2 storage "${storage}" is not supported (only mcap); ${CONVERT_HINT}`);
  }
  const compression = String(info['compression_mode'] ?? '');
  if (compression !== '' && compression.toLowerCase() !== 'none' && compression.toLowerCase() !== 'message') {
    throw new SensebindError('INPUT', `${path}: files compressed as a whole (compression_mode ${compression}) are not supported; ${CONVERT_HINT}`);
  }
  const rel = info['relative_file_paths'];
  if (!Array.isArray(rel) || rel.length === 0 || !rel.every((f) => typeof f === 'string')) {
    throw new SensebindError('INPUT', `${metaPath}: relative_file_paths is missing or empty; expected the bag's .mcap file names`);
  }
  const files = (rel as string[]).map((f) => join(path, f));
  for (const f of files) {
    try {
      await stat(f);
    } catch {
      throw new SensebindError('INPUT', `${path}: ${f} is listed in metadata.yaml but missing`);
    }
  }
  const topics: Record<string, { type: string; messages: number }> = {};
  const list = info['topics_with_message_count'];
  if (Array.isArray(list)) {
    for (const entry of list) {
      const meta = isRecord(entry) ? entry['topic_metadata'] : undefined;
      if (isRecord(meta) && typeof meta['name'] === 'string') {
        topics[meta['name']] = { type: String(meta['type'] ?? ''), messages: Number((entry as Record<string, unknown>)['message_count'] ?? 0) };
      }
    }
  }
  const messages = Number(info['message_count']);
  return { files, topics, ...(Number.isFinite(messages) ? { messages } : {}) };
}
