/**
 * Resolving paths that may point into the installed package (the bundled model, default concepts).
 * A relative path is looked up in the working directory first (a user's own files win), then in the
 * package root, so `npx sensebind` works from any directory.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function resolveBundled(path: string): string {
  if (isAbsolute(path)) return path;
  const local = resolve(path);
  if (existsSync(local)) return local;
  const bundled = resolve(PACKAGE_ROOT, path);
  return existsSync(bundled) ? bundled : local;
}
