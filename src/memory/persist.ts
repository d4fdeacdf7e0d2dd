/**
 * Crash-safe persistence of the concept memory in one binary file.
 *
 * Layout: "SBMEM001" | u32 LE header length | header JSON (space-padded to 4 bytes) | float32 rows |
 * SHA-1 of everything before it (20 bytes). Vectors are raw little-endian float32 so 100,000 concepts at
 * dim 1024 load as one buffer with views into it (no JSON number parsing).
 *
 * Writing: temp file in the same folder, write, fsync, keep the previous good file as `<file>.prev`
 * (hard link), rename temp over the file, fsync the folder. At any instant the file is either the old or the
 * new complete state; a file that fails its checksum (disk fault, a copy cut short) is reported and the
 * `.prev` copy is used instead.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';
import { SensebindError, cannotWrite, errorMessage, writeFailureReason } from '../core/errors.js';
import { defaultLabel, resolveConcept, type ConceptDef, type ConceptDefaults, type ConceptInput } from './concept.js';
import type { BackgroundControl, MemoryState, ModalityVectorLists, ModalityVectors } from './state.js';

const MAGIC = Buffer.from('SBMEM001', 'ascii');
// SHA-1 as an integrity check (not security): a third faster than SHA-256 over hundreds of MB.
const HASH_BYTES = 20;

interface Header {
  version: 1;
  savedAt: string;
  defaults: ConceptDefaults;
  /** Concepts as tuples with fields equal to `defaults` left out (100,000 concepts parse in a fraction of a second). */
  concepts: CompactConcept[];
  dim: number;
  modelId: string | null;
  /** Per concept, per SENSOR_MODALITIES index: prototype row or -1. Flat, length concepts * 5. */
  protoIndex: number[];
  protoRows: number;
  /** Triples (concept index, modality index, row count); exemplar rows follow prototype rows in order. */
  exemplarIndex: number[];
  exemplarRows: number;
  /** The live background estimate's freeze/reset state; absent = not frozen, never reset. */
  background?: BackgroundControl;
}

function stateDim(state: MemoryState): number {
  if (state.prototypes !== undefined) return state.prototypes.dim;
  for (const lists of state.exemplars.values()) {
    for (const m of SENSOR_MODALITIES) {
      const first = lists[m]?.[0];
      if (first !== undefined) return first.length;
    }
  }
  return 0;
}

/** Serialises a state to the file format (pure; used by save and by tests). */
export function encodeState(state: MemoryState, savedAt = new Date()): Buffer {
  const dim = stateDim(state);
  const rows: Float32Array[] = [];
  const protoIndex: number[] = [];
  state.concepts.forEach((c) => {
    const protos = state.prototypes?.byConcept.get(c.id);
    const seen = new Map<Float32Array, number>();
    for (const m of SENSOR_MODALITIES) {
      const v = protos?.[m];
      if (v === undefined) {
        protoIndex.push(-1);
        continue;
      }
      let row = seen.get(v);
      if (row === undefined) {
        row = rows.length;
        rows.push(v);
        seen.set(v, row);
      }
      protoIndex.push(row);
    }
  });
  const protoRows = rows.length;
  const exemplarIndex: number[] = [];
  state.concepts.forEach((c, ci) => {
    const lists = state.exemplars.get(c.id);
    if (lists === undefined) return;
    SENSOR_MODALITIES.forEach((m, mi) => {
      const list = lists[m];
      if (list === undefined || list.length === 0) return;
      exemplarIndex.push(ci, mi, list.length);
      rows.push(...list);
    });
  });
  for (const r of rows) {
    if (r.length !== dim) throw new SensebindError('INPUT', `concept memory: vectors of different sizes (${r.length} vs ${dim}) cannot be stored together`);
  }
  const header: Header = {
    version: 1,
    savedAt: savedAt.toISOString(),
    defaults: state.defaults,
    concepts: state.concepts.map((c) => compactConcept(c, state.defaults)),
    dim,
    modelId: state.prototypes?.modelId ?? null,
    protoIndex,
    protoRows,
    exemplarIndex,
    exemplarRows: rows.length - protoRows,
  };
  if (state.background !== undefined) header.background = state.background;
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - (json.length % 4)) % 4;
  if (pad > 0) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(json.length, 0);
  const data = Buffer.alloc(rows.length * dim * 4);
  const f32 = new Float32Array(data.buffer, data.byteOffset, rows.length * dim);
  rows.forEach((r, i) => f32.set(r, i * dim));
  const body = Buffer.concat([MAGIC, len, json, data]);
  const hash = createHash('sha1').update(body).digest();
  return Buffer.concat([body, hash]);
}

/** Parses and verifies the file format; throws SensebindError('IO') naming what is wrong. */
export function decodeState(buf: Buffer, where: string): MemoryState {
  if (buf.length < MAGIC.length + 4 + HASH_BYTES) throw new SensebindError('IO', `${where}: truncated (${buf.length} bytes)`);
  if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SensebindError('IO', `${where}: not a sensebind concept memory (magic ${JSON.stringify(buf.subarray(0, 8).toString('latin1'))}, expected "SBMEM001")`);
  }
  const body = buf.subarray(0, buf.length - HASH_BYTES);
  const want = buf.subarray(buf.length - HASH_BYTES);
  const got = createHash('sha1').update(body).digest();
  if (!got.equals(want)) throw new SensebindError('IO', `${where}: checksum mismatch (partial or corrupt write)`);
  const jsonLen = buf.readUInt32LE(MAGIC.length);
  const jsonStart = MAGIC.length + 4;
  if (jsonStart + jsonLen > body.length) throw new SensebindError('IO', `${where}: header length ${jsonLen} runs past the end`);
  let header: Header;
  try {
    header = JSON.parse(body.subarray(jsonStart, jsonStart + jsonLen).toString('utf8')) as Header;
  } catch (err) {
    throw new SensebindError('IO', `${where}: header is not JSON: ${errorMessage(err)}`);
  }
  if (header.version !== 1) throw new SensebindError('IO', `${where}: format version ${String(header.version)}, expected 1`);
  const { dim } = header;
  const totalRows = header.protoRows + header.exemplarRows;
  const dataStart = jsonStart + jsonLen;
  if (body.length - dataStart !== totalRows * dim * 4) {
    throw new SensebindError('IO', `${where}: ${body.length - dataStart} vector bytes, expected ${totalRows * dim * 4}`);
  }
  // Views straight into the file buffer when aligned (the header is padded so it is); else one copy.
  let all: Float32Array;
  if ((body.byteOffset + dataStart) % 4 === 0) {
    all = new Float32Array(body.buffer, body.byteOffset + dataStart, totalRows * dim);
  } else {
    all = new Float32Array(totalRows * dim);
    new Uint8Array(all.buffer).set(body.subarray(dataStart));
  }
  const concepts = header.concepts.map((c) => expandConcept(c, header.defaults));
  const row = (i: number) => all.subarray(i * dim, (i + 1) * dim);
  const protoViews: Float32Array[] = [];
  for (let i = 0; i < header.protoRows; i++) protoViews.push(row(i));
  const byConcept = new Map<string, ModalityVectors>();
  const nm = SENSOR_MODALITIES.length;
  concepts.forEach((c, ci) => {
    let entry: ModalityVectors | undefined;
    for (let mi = 0; mi < nm; mi++) {
      const r = header.protoIndex[ci * nm + mi] ?? -1;
      if (r < 0) continue;
      const v = protoViews[r];
      if (v === undefined) throw new SensebindError('IO', `${where}: prototype row ${r} out of range`);
      entry ??= {};
      entry[SENSOR_MODALITIES[mi] as SensorModality] = v;
    }
    if (entry !== undefined) byConcept.set(c.id, entry);
  });
  const exemplars = new Map<string, ModalityVectorLists>();
  let next = header.protoRows;
  for (let i = 0; i < header.exemplarIndex.length; i += 3) {
    const ci = header.exemplarIndex[i] ?? -1;
    const mi = header.exemplarIndex[i + 1] ?? -1;
    const count = header.exemplarIndex[i + 2] ?? 0;
    const concept = concepts[ci];
    const modality = SENSOR_MODALITIES[mi];
    if (concept === undefined || modality === undefined) throw new SensebindError('IO', `${where}: exemplar entry ${i / 3} names concept ${ci}/modality ${mi} which do not exist`);
    const list: Float32Array[] = [];
    for (let k = 0; k < count; k++) list.push(row(next++));
    const lists = exemplars.get(concept.id) ?? {};
    lists[modality] = list;
    exemplars.set(concept.id, lists);
  }
  const state: MemoryState = {
    defaults: header.defaults,
    concepts,
    exemplars,
    prototypes: header.modelId === null || header.protoRows === 0 ? undefined : { modelId: header.modelId, dim, byConcept },
  };
  const bg = header.background;
  if (bg !== undefined) {
    if (typeof bg !== 'object' || bg === null || typeof bg.frozen !== 'boolean' || !Number.isInteger(bg.resets) || bg.resets < 0) {
      throw new SensebindError('IO', `${where}: header.background must be {frozen: boolean, resets: integer >= 0}, got ${JSON.stringify(bg)}`);
    }
    state.background = { frozen: bg.frozen, resets: bg.resets };
  }
  return state;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The smallest input that resolves back to `c` under `defaults`. */
/** [id, label, prompts, modalities, rarer fields]; null = the default. */
type CompactConcept = [string, string | null, string[] | null, SensorModality[] | null, Omit<ConceptInput, 'id' | 'label' | 'prompts' | 'modalities'> | null];

/** The smallest tuple that expands back to `c` under `defaults`. */
function compactConcept(c: ConceptDef, defaults: ConceptDefaults): CompactConcept {
  const rest: Omit<ConceptInput, 'id' | 'label' | 'prompts' | 'modalities'> = {};
  let hasRest = false;
  const set = <K extends keyof typeof rest>(k: K, v: (typeof rest)[K]) => {
    rest[k] = v;
    hasRest = true;
  };
  if (!same(c.templates, defaults.templates)) set('templates', c.templates);
  if (!same(c.thresholds, defaults.thresholds)) set('thresholds', c.thresholds);
  if (c.cooldownSeconds !== defaults.cooldownSeconds) set('cooldownSeconds', c.cooldownSeconds);
  if (c.minDurationSeconds !== defaults.minDurationSeconds) set('minDurationSeconds', c.minDurationSeconds);
  if (c.maxDurationSeconds !== defaults.maxDurationSeconds) set('maxDurationSeconds', c.maxDurationSeconds);
  if (!c.enabled) set('enabled', false);
  if (c.background) set('background', true);
  if (c.needsOneOf !== undefined) set('needsOneOf', c.needsOneOf);
  if (c.bodyMotion === true) set('bodyMotion', true);
  return [
    c.id,
    c.label !== defaultLabel(c.id) ? c.label : null,
    c.prompts.length === 1 && c.prompts[0] === c.label ? null : c.prompts,
    c.modalities ?? null,
    hasRest ? rest : null,
  ];
}

/** Inverse of compactConcept; shares the defaults' objects (definitions are never mutated in place). */
function expandConcept(t: CompactConcept, d: ConceptDefaults): ConceptDef {
  const [id, label, prompts, modalities, rest] = t;
  if (rest !== null) {
    const input: ConceptInput = { id, ...rest };
    if (label !== null) input.label = label;
    if (prompts !== null) input.prompts = prompts;
    if (modalities !== null) input.modalities = modalities;
    return resolveConcept(input, d);
  }
  const l = label ?? defaultLabel(id);
  const def: ConceptDef = {
    id,
    label: l,
    prompts: prompts ?? [l],
    templates: d.templates,
    thresholds: d.thresholds,
    cooldownSeconds: d.cooldownSeconds,
    minDurationSeconds: d.minDurationSeconds,
    maxDurationSeconds: d.maxDurationSeconds,
    enabled: true,
    background: false,
  };
  if (modalities !== null) def.modalities = modalities;
  return def;
}

async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable. Some filesystems refuse fsync on a folder; the rename is still atomic there.
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort, see above */
  }
}

/**
 * Writes `bytes` to `path` so that a crash at any instant leaves either the old or the new file; `what`
 * names the file in errors.
 */
export async function writeAtomic(path: string, bytes: Uint8Array, what = 'concept memory'): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close().catch(() => undefined);
    }
    // Keep the current good file as .prev before replacing it (a hard link costs no copy).
    const prev = `${path}.prev`;
    await unlink(prev).catch(() => undefined);
    await link(path, prev).catch(() => undefined);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    // Name the user's file: the temp file beside it means nothing to them.
    throw cannotWrite(what, path, err);
  }
  await fsyncDir(dir);
}

export async function saveState(path: string, state: MemoryState): Promise<void> {
  await writeAtomic(path, encodeState(state));
}

export interface LoadResult {
  state: MemoryState;
  /** Which file the state came from (the main file, or `.prev` when the main one was bad). */
  from: string;
  /** Why the main file was rejected, when it was. */
  rejected?: string;
}

/**
 * Loads the newest good state: the file, or `.prev` when the file is missing, partial or corrupt.
 * Returns undefined when neither exists; throws when files exist but none is good.
 */
export async function loadState(path: string): Promise<LoadResult | undefined> {
  const loaded = await loadNewestGood(path, 'concept memory', 'no good state', (buf, where) => decodeState(buf, where));
  return loaded && { state: loaded.value, from: loaded.from, ...(loaded.rejected !== undefined && { rejected: loaded.rejected }) };
}

/**
 * The newest good copy of a file writeAtomic keeps (the file, else its `.prev`), decoded by `decode`
 * (which throws naming what is wrong); undefined when neither exists; throws when copies exist but none
 * decodes. `rejected` says why the main file was passed over.
 */
export async function loadNewestGood<T>(
  path: string,
  what: string,
  noneGood: string,
  decode: (buf: Buffer, where: string) => T,
): Promise<{ value: T; from: string; rejected?: string } | undefined> {
  const problems: string[] = [];
  for (const candidate of [path, `${path}.prev`]) {
    let buf: Buffer;
    try {
      buf = await readFile(candidate);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'EISDIR') throw new SensebindError('IO', `${what} ${candidate}: is a directory, not a file`);
      problems.push(`${candidate}: ${errorMessage(err)}`);
      continue;
    }
    try {
      const out: { value: T; from: string; rejected?: string } = { value: decode(buf, candidate), from: candidate };
      if (problems.length > 0) out.rejected = problems.join('; ');
      return out;
    } catch (err) {
      problems.push(errorMessage(err));
    }
  }
  if (problems.length === 0) return undefined;
  throw new SensebindError('IO', `${what}: ${noneGood}: ${problems.join('; ')}`);
}

/**
 * Identifies one version of the file (inode, size, mtime): every save renames a new file into place, so a
 * changed stamp means another writer saved since. Undefined when the file does not exist.
 */
export async function fileStamp(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SensebindError('IO', `concept memory ${path}: ${writeFailureReason(err)}`, { cause: err });
  }
}
