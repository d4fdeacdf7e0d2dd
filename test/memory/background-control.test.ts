// The user's hold on the live background estimate: the "background" concept command (freeze, unfreeze,
// reset, status) on a real state file, its persistence in the memory file, and the estimate's own file
// beside it (atomic, `.prev` fallback, one-line errors).
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConceptCommand } from '../../src/memory/commands.js';
import { ConceptMemory } from '../../src/memory/memory.js';
import { decodeState, encodeState, loadState } from '../../src/memory/persist.js';
import { backgroundFilePath, loadBackgroundFile, saveBackgroundFile } from '../../src/memory/background-file.js';
import { BUILTIN_DEFAULTS, resolveConcept } from '../../src/memory/concept.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-bg-control-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const seed = () => ({ defaults: BUILTIN_DEFAULTS, concepts: [resolveConcept({ id: 'bang' }, BUILTIN_DEFAULTS)], exemplars: new Map(), prototypes: undefined });

describe('the background command', () => {
  it('freezes, unfreezes and resets through the memory, persisted in the state file, with reply codes', async () => {
    const file = join(dir, 'memory.sbm');
    const memory = new ConceptMemory(seed(), { stateFile: file });
    const seen: boolean[] = [];
    memory.onChange((s) => seen.push(s.background?.frozen ?? false));

    const status = await applyConceptCommand(memory, { op: 'background', action: 'status', requestId: 'r1' });
    expect(status).toMatchObject({ ok: true, code: 'OK', op: 'background', requestId: 'r1', background: { frozen: false, resets: 0 } });
    expect(status.id).toBeUndefined();

    expect(await applyConceptCommand(memory, { op: 'background', action: 'freeze' })).toMatchObject({ ok: true, code: 'OK', background: { frozen: true, resets: 0 } });
    expect((await loadState(file))!.state.background).toEqual({ frozen: true, resets: 0 });
    // Freezing what is frozen changes nothing (no save, no listener call).
    const v = memory.version;
    expect(await applyConceptCommand(memory, { op: 'background', action: 'freeze' })).toMatchObject({ ok: true, code: 'OK', version: v });

    expect(await applyConceptCommand(memory, { op: 'background', action: 'reset' })).toMatchObject({ ok: true, background: { frozen: true, resets: 1 } });
    expect(await applyConceptCommand(memory, { op: 'background', action: 'unfreeze' })).toMatchObject({ ok: true, background: { frozen: false, resets: 1 } });
    expect(seen).toEqual([true, true, false]);

    // A second process opening the file sees it all.
    const reopened = await ConceptMemory.open({ stateFile: file });
    expect(reopened.state.background).toEqual({ frozen: false, resets: 1 });
    expect(reopened.concepts().map((c) => c.id)).toEqual(['bang']);

    const bad = await applyConceptCommand(memory, { op: 'background', action: 'melt' });
    expect(bad).toMatchObject({ ok: false, code: 'INVALID', op: 'background' });
    expect(bad.error).toMatch(/action/);
    expect(await applyConceptCommand(memory, { op: 'background', action: 'freeze', id: 'bang' })).toMatchObject({ ok: false, code: 'INVALID' });
  });

  it('a concept edit keeps the freeze; a memory file without it reads as not frozen; a bad one is named', () => {
    const state = { ...seed(), background: { frozen: true, resets: 3 } };
    expect(decodeState(encodeState(state), 'x').background).toEqual({ frozen: true, resets: 3 });
    expect(decodeState(encodeState(seed()), 'x').background).toBeUndefined();
    // Rewrite the header with a bad value and a valid checksum: the error names the field.
    const bytes = encodeState(state);
    const text = bytes.toString('latin1').replace('"resets":3', '"resets":-1');
    const body = Buffer.from(text, 'latin1').subarray(0, bytes.length - 20);
    const fixed = Buffer.concat([body, createHashSha1(body)]);
    expect(() => decodeState(fixed, 'mem.sbm')).toThrow(/mem\.sbm: header\.background must be/);
  });

  it('an edit while frozen keeps it frozen', async () => {
    const memory = new ConceptMemory({ ...seed(), background: { frozen: true, resets: 0 } });
    expect(await applyConceptCommand(memory, { op: 'add', concept: { id: 'door' } })).toMatchObject({ ok: true });
    expect(memory.state.background).toEqual({ frozen: true, resets: 0 });
  });
});

describe('the estimate file', () => {
  const body = { resets: 2, concepts: [{ id: 'bang', key: '{}', floor: 0.3, starts: [0, 1.5], exposureS: 12.5, samples: 25, hist: { fused: [1, 2] } }] };

  it('round-trips, keeps the previous copy, and falls back to it when the file is damaged', async () => {
    const path = backgroundFilePath(join(dir, 'a.sbm'));
    expect(path).toMatch(/a\.sbm\.background\.json$/);
    expect(await loadBackgroundFile(path)).toBeUndefined();
    await saveBackgroundFile(path, body);
    await saveBackgroundFile(path, { ...body, resets: 3 });
    expect((await loadBackgroundFile(path))!.file).toMatchObject({ format: 'sensebind-background/1', resets: 3, concepts: body.concepts });
    await writeFile(path, '{"format":"sensebind-background/1", "resets": 3, "conc');
    const fallback = (await loadBackgroundFile(path))!;
    expect(fallback.from).toBe(`${path}.prev`);
    expect(fallback.file.resets).toBe(2);
    expect(fallback.rejected).toMatch(/not JSON/);
  });

  it('refuses a file that is not an estimate in one line naming the file and the field', async () => {
    const path = join(dir, 'b.background.json');
    await writeFile(path, JSON.stringify({ format: 'sensebind-background/1', savedAt: 'x', resets: 0, concepts: [{ ...body.concepts[0], starts: [-1] }] }));
    const err = await loadBackgroundFile(path).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/b\.background\.json: not a background estimate: concepts\[0\]\.starts\[0\]: .*>=0, got -1/);
    expect(err?.message).not.toMatch(/\n/);
  });
});

function createHashSha1(b: Buffer): Buffer {
  return createHash('sha1').update(b).digest();
}
