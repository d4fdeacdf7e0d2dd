/**
 * Lower layers never import higher ones. Every relative import in src/ (static, `export ... from`, dynamic
 * `import()` with a literal, type-only included: a type couples modules as much as a value) is checked
 * against LAYERS, which is also the order the README's architecture section documents.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../src');

/**
 * Bottom to top. A layer is a folder of src/ (or one file, matched before its folder) and may import only
 * the layers it names, all of which come before it; '*' means every layer before it.
 */
const LAYERS: ReadonlyArray<{ layer: string; uses: readonly string[] | '*' }> = [
  { layer: 'core', uses: [] },
  // Config sections and their defaults (the `match` defaults too); loading a file is a layer of its own below.
  { layer: 'config', uses: ['core'] },
  { layer: 'bag', uses: ['core'] },
  { layer: 'serial', uses: ['core'] },
  { layer: 'decode', uses: ['core'] },
  { layer: 'ros2', uses: ['core', 'config', 'bag', 'decode'] },
  { layer: 'sources', uses: ['core', 'config', 'bag', 'serial', 'decode', 'ros2'] },
  { layer: 'window', uses: ['core'] },
  { layer: 'preprocess', uses: ['core'] },
  { layer: 'embed', uses: ['core', 'config', 'preprocess'] },
  { layer: 'memory', uses: ['core', 'config'] },
  { layer: 'match', uses: ['core', 'config', 'memory'] },
  // Events out; concept edits come in through the agent, not through a sink.
  { layer: 'sinks', uses: ['core', 'config', 'ros2'] },
  { layer: 'agent', uses: ['core', 'config', 'window', 'preprocess', 'embed', 'memory', 'match', 'sinks'] },
  // What the agent is doing, for a live view (WebSocket, ROS 2 scores, clip channels).
  { layer: 'live', uses: ['core', 'config', 'ros2', 'agent'] },
  { layer: 'sim', uses: ['core', 'config', 'bag', 'decode', 'window', 'preprocess', 'embed'] },
  { layer: 'doctor', uses: ['core', 'config', 'serial', 'ros2', 'preprocess', 'embed'] },
  { layer: 'service', uses: '*' },
  { layer: 'pipeline', uses: '*' },
  { layer: 'recall', uses: '*' },
  { layer: 'eval', uses: '*' },
  { layer: 'config/load.ts', uses: ['core', 'config'] },
  { layer: 'bench', uses: '*' },
  { layer: 'cli', uses: '*' },
];

/**
 * Known upward imports, each to be removed by the change that fixes it.
 * An entry that no longer matches an import fails the test, so the list only shrinks.
 */
const ALLOWED_UPWARD = new Set<string>([
  // ros2FromConfig builds the ROS 2 source and sink from the config: assembly, which belongs in pipeline/.
  'ros2/from-config.ts -> sinks/ros2.ts',
  'ros2/from-config.ts -> sources/ros2.ts',
  // The pipeline builds recall, which opens pipelines (pipeline <-> recall is a cycle): split what recall
  // needs from pipeline/open.ts, or build recall's parts from the caller.
  'pipeline/build.ts -> recall/mqtt-search.ts',
  'pipeline/build.ts -> recall/open.ts',
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The layer of a path relative to src/ (posix): a file entry first, then its top folder. */
function layerOf(path: string): string | undefined {
  if (LAYERS.some((l) => l.layer === path)) return path;
  const top = path.split('/')[0]!;
  return LAYERS.some((l) => l.layer === top) ? top : undefined;
}

function allowedUses(layer: string): ReadonlySet<string> {
  const at = LAYERS.findIndex((l) => l.layer === layer);
  const { uses } = LAYERS[at]!;
  return new Set(uses === '*' ? LAYERS.slice(0, at).map((l) => l.layer) : uses);
}

/** Every relative import of src/ as `from -> to`, both relative to src/ with a .ts extension. */
function importEdges(): Array<{ from: string; to: string }> {
  const edges: Array<{ from: string; to: string }> = [];
  for (const file of sourceFiles(SRC)) {
    const from = relative(SRC, file).split('\\').join('/');
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const to = posix.normalize(posix.join(posix.dirname(from), fileName)).replace(/\.js$/, '.ts');
      edges.push({ from, to });
    }
  }
  return edges;
}

/** Imports that break the layering and are not allow-listed, each with the rule it breaks. */
function violations(edges: ReadonlyArray<{ from: string; to: string }>): string[] {
  const bad: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (a === undefined || b === undefined || a === b) continue;
    const edge = `${from} -> ${to}`;
    if (!allowedUses(a).has(b) && !ALLOWED_UPWARD.has(edge)) bad.push(`${edge} (${a} may not import ${b})`);
  }
  return bad;
}

describe('layering', () => {
  const edges = importEdges();

  it('finds the imports it checks', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'cli/main.ts', to: 'config/load.ts' });
  });

  it('orders LAYERS: each layer uses only layers before it', () => {
    LAYERS.forEach(({ layer, uses }, at) => {
      if (uses === '*') return;
      const before = new Set(LAYERS.slice(0, at).map((l) => l.layer));
      expect(uses.filter((u) => !before.has(u)), `${layer} uses a layer that is not below it`).toEqual([]);
    });
  });

  it('places every source file in a layer', () => {
    const orphans = sourceFiles(SRC)
      .map((f) => relative(SRC, f).split('\\').join('/'))
      .filter((f) => layerOf(f) === undefined);
    expect(orphans, 'add the new folder to LAYERS in test/layering.test.ts and to the README').toEqual([]);
  });

  it('has no import from a lower layer to a higher one (beyond the allow-list)', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('keeps the allow-list to imports that exist and break the layering', () => {
    const present = new Set(
      edges.filter(({ from, to }) => !allowedUses(layerOf(from)!).has(layerOf(to)!)).map(({ from, to }) => `${from} -> ${to}`),
    );
    expect([...ALLOWED_UPWARD].filter((e) => !present.has(e)), 'remove these entries from ALLOWED_UPWARD').toEqual([]);
  });

  it('names an upward import, a sideways one and a file layer; passes a downward one', () => {
    expect(
      violations([
        { from: 'window/windower.ts', to: 'match/matcher.ts' },
        { from: 'sinks/jsonl.ts', to: 'memory/memory.ts' },
        { from: 'embed/manifest.ts', to: 'config/load.ts' },
        { from: 'sources/bag.ts', to: 'decode/converter.ts' },
        { from: 'cli/main.ts', to: 'config/load.ts' },
      ]),
    ).toEqual([
      'window/windower.ts -> match/matcher.ts (window may not import match)',
      'sinks/jsonl.ts -> memory/memory.ts (sinks may not import memory)',
      'embed/manifest.ts -> config/load.ts (embed may not import config/load.ts)',
    ]);
  });
});
