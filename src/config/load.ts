/**
 * Loads sensebind.yaml, applies CLI overrides (dotted paths), validates, and turns schema failures into
 * messages a user can act on: file, key path, expected, got.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { SensebindError } from '../core/errors.js';
import { configSchema, type Config } from './schema.js';
import { describeValue, formatIssues } from './zod-issues.js';

const DEFAULT_CONFIG_PATH = 'sensebind.yaml';

/** Validates an already-parsed object; `source` names where it came from in errors. */
export function parseConfig(input: unknown, source: string): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = formatIssues(result.error.issues, input ?? {});
    throw new SensebindError('CONFIG', `invalid config ${source}:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

/** Sets a dotted path (a.b.c) in a plain object, creating objects on the way. */
function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let cur: Record<string, unknown> = target;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      cur[key] = value;
      return;
    }
    const next = cur[key];
    if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  });
}

export interface LoadConfigOptions {
  /** Explicit path: must exist. When absent, ./sensebind.yaml is used if present, else defaults. */
  path?: string;
  /** Dotted-path overrides applied after the file (CLI flags). */
  overrides?: Record<string, unknown>;
}

export async function loadConfig(options: LoadConfigOptions = {}): Promise<{ config: Config; source: string }> {
  const explicit = options.path !== undefined;
  const path = options.path ?? DEFAULT_CONFIG_PATH;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit || code !== 'ENOENT') {
      throw new SensebindError('CONFIG', `cannot read config ${path}: ${(err as Error).message}`);
    }
  }
  let raw: unknown = {};
  if (text !== undefined) {
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new SensebindError('CONFIG', `invalid YAML in ${path}:\n  ${doc.errors.map((e) => e.message).join('\n  ')}`);
    }
    raw = doc.toJS() ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new SensebindError('CONFIG', `invalid config ${path}: expected a mapping at the top level, got ${describeValue(raw)}`);
    }
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const [key, value] of Object.entries(options.overrides ?? {})) setPath(merged, key, value);
  const source = text === undefined ? '(defaults, no config file)' : path;
  return { config: parseConfig(merged, source), source };
}
