// docs/config.md's key tables state a default for each key: every default written as a literal (a number,
// true/false, a quoted or bare string, a list of words) must be what parseConfig gives an empty file, so
// the reference a user reads cannot drift from the code.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

const DOC = resolve(import.meta.dirname, '../../docs/config.md');

/** The documented literal, parsed; undefined when the cell is prose (a host name, a formula). */
function literal(cell: string): unknown {
  const m = /^`([^`]*)`(?:\s*\([^)]*\))?$/.exec(cell.trim());
  if (!m) return undefined;
  const text = m[1]!.trim();
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === '""') return '';
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/.test(text)) return Number(text);
  if (/^\[.*\]$/.test(text)) {
    const inner = text.slice(1, -1).trim();
    return inner === '' ? [] : inner.split(',').map((s) => s.trim());
  }
  if (/^"[^"]*"$/.test(text)) return text.slice(1, -1);
  if (/^[\w./-]+$/.test(text)) return text;
  return undefined;
}

function at(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

describe('docs/config.md defaults', () => {
  it('match the defaults parseConfig applies', () => {
    const defaults = parseConfig({}, 'empty');
    const rows = readFileSync(DOC, 'utf8')
      .split('\n')
      .map((l) => /^\| `([a-zA-Z0-9_.]+)` \| ([^|]+) \|/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null);
    let checked = 0;
    const wrong: string[] = [];
    for (const [, key, cell] of rows) {
      const documented = literal(cell!);
      const actual = at(defaults, key!);
      if (documented === undefined || actual === undefined || (typeof actual === 'object' && !Array.isArray(actual))) continue;
      checked++;
      if (JSON.stringify(documented) !== JSON.stringify(actual)) wrong.push(`${key}: documented ${JSON.stringify(documented)}, code ${JSON.stringify(actual)}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(40);
  });
});
