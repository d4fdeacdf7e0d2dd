/**
 * Where a benchmark finds its real recordings. The full set lives outside the repository (the shared data
 * folder beside a checkout, with the layout of ../shared/data); a clone carries a subset in test/data. A
 * bench looks in --data, else $SENSEBIND_DATA, else ../shared/data when it exists, else the subset, and
 * a file missing from the folder it chose is one clear error naming the file and how to point at the
 * full set, never a stack trace.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SensebindError } from '../core/errors.js';
import { PACKAGE_ROOT } from '../config/paths.js';

export const SHARED_DATA_DEFAULT = '../shared/data';
export const BUNDLED_DATA = resolve(PACKAGE_ROOT, 'test/data');

/** The data folder for a bench: the flag, the environment, ../shared/data, or the subset in the repository. */
export function benchDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const fromEnv = env['SENSEBIND_DATA'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const shared = resolve(SHARED_DATA_DEFAULT);
  return existsSync(shared) ? shared : BUNDLED_DATA;
}

/** `rel` inside `dir`, or a one-line INPUT error saying which bench needs which file. */
export function benchFile(bench: string, dir: string, rel: string): string {
  const path = join(dir, rel);
  if (existsSync(path)) return path;
  const where = dir === BUNDLED_DATA ? `the repository's subset ${dir} (no ${resolve(SHARED_DATA_DEFAULT)} here)` : dir;
  throw new SensebindError(
    'INPUT',
    `bench ${bench}: needs the recording ${rel}, not found in ${where}; pass --data <folder> or set SENSEBIND_DATA to a copy of the shared data folder`,
  );
}

/** The first of `rels` present in `dir` (a bench's preferred recording, then its stand-ins), or benchFile's error for the first. */
export function benchFileOneOf(bench: string, dir: string, rels: readonly string[]): string {
  for (const rel of rels) if (existsSync(join(dir, rel))) return join(dir, rel);
  return benchFile(bench, dir, rels[0]!);
}
