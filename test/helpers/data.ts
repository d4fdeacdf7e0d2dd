// Where a test finds a real recording: the subset the repository carries (test/data, licences beside it)
// first, then the full shared folder ($SENSEBIND_DATA, default ../shared/data). A test whose file is
// in neither place is skipped, and the reason is printed once, so a fresh clone passes and says what it
// did not run.
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

const BUNDLED_DATA = resolve('test/data');
const SHARED_DATA = resolve(process.env['SENSEBIND_DATA'] ?? '../shared/data');

/** The absolute path of `rel` (a path inside the data folder's layout), or undefined when no copy is here. */
export function dataFile(rel: string): string | undefined {
  const clean = rel.replace(/^(\.\.\/shared\/data|shared\/data)\//, '');
  for (const root of [BUNDLED_DATA, SHARED_DATA]) {
    const p = join(root, clean);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * A test input path as written in tests and the golden index: repository paths (test/...) and absolute
 * paths as they are, anything else (../shared/data/... or a path in its layout) through dataFile.
 */
function inputPath(path: string): string | undefined {
  if (path.startsWith('test/') || isAbsolute(path)) return existsSync(path) ? path : undefined;
  return dataFile(path);
}

const told = new Set<string>();

/**
 * True when any of `rels` is missing, after printing (once per test and file) why the test is skipped. Use as `it.skipIf(missingData('what', ...files))`.
 */
export function missingData(what: string, ...rels: string[]): boolean {
  const missing = rels.filter((r) => inputPath(r) === undefined).map((r) => r.replace(/^(\.\.\/)?shared\/data\//, ''));
  if (missing.length === 0) return false;
  const key = `${what}\u0000${missing.join(',')}`;
  if (!told.has(key)) {
    told.add(key);
    process.stderr.write(
      `skipped: ${what}: needs ${missing.join(', ')} (not in test/data; set SENSEBIND_DATA to a copy of the shared data folder, now ${SHARED_DATA})\n`,
    );
  }
  return true;
}

/** dataFile for a file a test cannot run without (call only where missingData said it is there). */
export function mustData(rel: string): string {
  const p = inputPath(rel);
  if (p === undefined) throw new Error(`test data ${rel} not found (test/data or ${SHARED_DATA})`);
  return p;
}
