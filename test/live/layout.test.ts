/**
 * docs/foxglove-layout.json must only name topics the live server advertises and fields their schemas
 * have, so the layout never opens onto empty panels after a rename. Message paths are resolved against the
 * advertised JSON Schemas: `.field` steps, `[:]` slices and `{key==value}` filters (Foxglove's syntax).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIVE_CHANNELS } from '../../src/live/schemas.js';

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema };

const layout = JSON.parse(readFileSync(join(import.meta.dirname, '../../docs/foxglove-layout.json'), 'utf8')) as {
  configById: Record<string, { paths?: { value: string }[]; topicPath?: string; imageMode?: { imageTopic: string } }>;
  globalVariables: Record<string, string>;
};
const byTopic = new Map(Object.values(LIVE_CHANNELS).map((c) => [c.topic, c]));

/** Walks a message path; returns what was wrong, or undefined when every step exists in the schema. */
function resolve(path: string): string | undefined {
  const m = /^(\/[A-Za-z0-9_/]+)(.*)$/.exec(path);
  if (!m) return `not a topic path: ${path}`;
  const channel = byTopic.get(m[1]!);
  if (!channel) return `topic ${m[1]} is not advertised`;
  let schema = channel.schema as Schema;
  for (const step of m[2]!.match(/\.[A-Za-z_][A-Za-z0-9_]*|\[:\]|\{[^}]*\}/g) ?? []) {
    if (step === '[:]') {
      if (!schema.items) return `${path}: [:] on a non-array`;
      schema = schema.items;
    } else if (step.startsWith('{')) {
      const key = /^\{([A-Za-z_]+)==/.exec(step)?.[1];
      if (!key || !schema.properties?.[key]) return `${path}: filter on unknown field ${key}`;
    } else {
      const next = schema.properties?.[step.slice(1)];
      if (!next) return `${path}: no field ${step.slice(1)}`;
      schema = next;
    }
  }
  return undefined;
}

describe('docs/foxglove-layout.json', () => {
  it('names only advertised topics and schema fields', () => {
    const problems: string[] = [];
    const paths: string[] = [];
    for (const config of Object.values(layout.configById)) {
      for (const p of config.paths ?? []) paths.push(p.value);
      if (config.topicPath) paths.push(config.topicPath);
      if (config.imageMode) {
        const ch = byTopic.get(config.imageMode.imageTopic);
        if (ch?.schemaName !== 'foxglove.CompressedImage') problems.push(`image topic ${config.imageMode.imageTopic} is not a CompressedImage channel`);
      }
    }
    for (const p of paths) {
      const why = resolve(p);
      if (why) problems.push(why);
    }
    expect(problems).toEqual([]);
    expect(paths.length).toBeGreaterThan(20);
    expect(Object.keys(layout.globalVariables)).toContain('concept');
  });
});
