/**
 * Zod validation problems as lines a user can act on: key path as written in YAML/JSON, what was
 * expected, what was found. Shared by the config, the model manifest and the concept files.
 */
import type { z } from 'zod';

/** Formats a key path the way users write it: sources.serial[0].baud */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** A value as a short string for an error message (JSON, cut at 60 characters). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/**
 * One line per problem, e.g. `sources.serial[0].baud: expected a positive integer, got "fast"`; with a
 * `limit`, the first `limit` problems and a line saying how many more there are.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, limit = Infinity): string[] {
  const lines = issues.slice(0, limit).map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `${formatPath(issue.path)}: ` : '';
      return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const got = describeValue(valueAt(input, issue.path));
    const message = issue.message.replace(/^Invalid (input|option): /, '').replace(/, received \w+$/, '');
    return `${formatPath(issue.path)}: ${message}, got ${got}`;
  });
  if (issues.length > limit) lines.push(`... and ${issues.length - limit} more`);
  return lines;
}
