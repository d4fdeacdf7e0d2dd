/**
 * Clip retention: delete clips older than the age limit, then the oldest until the folder fits the size
 * limit. Only `*.mcap` files directly in the folder are considered, and files in use (open clips) never.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface RetentionPolicy {
  maxBytes: number;
  maxAgeMs: number;
}

export interface RetentionResult {
  kept: number;
  keptBytes: number;
  deleted: string[];
}

export async function applyRetention(
  dir: string,
  policy: RetentionPolicy,
  inUse: ReadonlySet<string> = new Set(),
  nowMs: number = Date.now(),
): Promise<RetentionResult> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.mcap'));
  } catch {
    return { kept: 0, keptBytes: 0, deleted: [] };
  }
  const files: Array<{ path: string; size: number; mtimeMs: number }> = [];
  for (const name of names) {
    const path = join(dir, name);
    if (inUse.has(path)) continue;
    try {
      const s = await stat(path);
      if (s.isFile()) files.push({ path, size: s.size, mtimeMs: s.mtimeMs });
    } catch {
      // vanished between readdir and stat: nothing to do
    }
  }
  files.sort((a, b) => a.mtimeMs - b.mtimeMs);
  const deleted: string[] = [];
  let total = files.reduce((sum, f) => sum + f.size, 0);
  const keep: typeof files = [];
  for (const f of files) {
    const tooOld = nowMs - f.mtimeMs > policy.maxAgeMs;
    if (tooOld || total > policy.maxBytes) {
      try {
        await unlink(f.path);
        deleted.push(f.path);
        total -= f.size;
        continue;
      } catch {
        // someone else removed or locked it; count it as kept
      }
    }
    keep.push(f);
  }
  return { kept: keep.length, keptBytes: total, deleted };
}
