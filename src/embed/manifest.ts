/**
 * The model manifest (DESIGN.md, "Models are data"): `models/<name>/manifest.json` describes, per modality,
 * the ONNX graph, its sha256, its input/output signature, the output scale and the preprocessing
 * parameters. Every constant the runtime and the preprocessing use comes from here, so ImageBind, the
 * bundled small model and a model this project has never seen run through the same code.
 *
 * Loading separates two kinds of failure: a manifest that does not parse or validate is fatal (nothing in
 * it can be trusted), while a missing, unreadable or tampered graph file fails only its own modality, so
 * the agent keeps running on the others. `strict: true` turns those per-modality failures into a throw.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { z } from 'zod';
import { SensebindError, errorMessage } from '../core/errors.js';
import { MODALITIES, type Modality } from '../core/types.js';
import { formatIssues, formatPath } from '../config/zod-issues.js';
import {
  audioPreprocessSchema,
  depthPreprocessSchema,
  imuPreprocessSchema,
  textPreprocessSchema,
  thermalPreprocessSchema,
  visionPreprocessSchema,
} from '../preprocess/params.js';
import { HashMemo, sha256File } from './hash.js';

const MANIFEST_FILE = 'manifest.json';
const MANIFEST_SCHEMA_VERSION = 1;

/** Element types the runtime can feed a graph; float16 inputs are converted from float32 on the way in. */
export const GRAPH_DTYPES = ['float32', 'float16', 'int64'] as const;
export type GraphDtype = (typeof GRAPH_DTYPES)[number];

const sha256Schema = z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits (sha256)');

/** A graph file name relative to the manifest's folder; absolute paths and `..` would make a model folder non-relocatable. */
const relativeFileSchema = z
  .string()
  .min(1)
  .refine((f) => !isAbsolute(f) && !normalize(f).split(/[\\/]/).includes('..'), 'a file name inside the model folder (no absolute path, no "..")');

const graphInputSchema = z.strictObject({
  /** Input tensor name in the graph. */
  name: z.string().min(1),
  /** Full input shape including the batch axis first; -1 marks a dynamic axis (batch, usually). */
  shape: z.array(z.number().int().min(-1).refine((n) => n !== 0, 'a positive size or -1 (dynamic)')).min(1),
  /** Element type the graph expects. */
  dtype: z.enum(GRAPH_DTYPES),
});

const graphOutputSchema = z.strictObject({
  /** Output tensor name in the graph: [batch, embeddingDim] (extra middle axes are averaged). */
  name: z.string().min(1),
});

function modalityEntrySchema<P extends z.ZodType>(preprocess: P) {
  return z.strictObject({
    /** ONNX file relative to the manifest; null = the modality is described but no graph is installed. */
    file: relativeFileSchema.nullable(),
    /** sha256 of `file`, checked before loading; null = not verified (a warning, not an error). */
    sha256: sha256Schema.nullable(),
    /** Extra files the graph loads (ONNX external data), each verified like `file`. */
    externalData: z.array(z.strictObject({ file: relativeFileSchema, sha256: sha256Schema.nullable() })).optional(),
    input: graphInputSchema,
    output: graphOutputSchema,
    /** The model's output scale (ImageBind's logit scales: text ~100, audio 20, thermal 10, depth/imu 5); 1 = none. */
    outputScale: z.number().positive(),
    /** Whether the graph's outputs are already unit length (the runtime re-normalises regardless). */
    normalized: z.boolean(),
    /** The preprocessing parameters (src/preprocess/params.ts). */
    preprocess,
  });
}

const modalityEntrySchemas = {
  vision: modalityEntrySchema(visionPreprocessSchema),
  audio: modalityEntrySchema(audioPreprocessSchema),
  text: modalityEntrySchema(textPreprocessSchema),
  depth: modalityEntrySchema(depthPreprocessSchema),
  thermal: modalityEntrySchema(thermalPreprocessSchema),
  imu: modalityEntrySchema(imuPreprocessSchema),
} as const;

export const manifestSchema = z.strictObject({
  /** Manifest format version; bumped on incompatible changes. */
  schemaVersion: z.literal(MANIFEST_SCHEMA_VERSION),
  name: z.string().min(1),
  version: z.string().min(1),
  /** The weights' licence (ImageBind: CC BY-NC-SA 4.0, non-commercial). */
  license: z.string().min(1),
  /** Length of every modality's embedding. */
  embeddingDim: z.number().int().positive(),
  modalities: z
    .strictObject({
      vision: modalityEntrySchemas.vision.optional(),
      audio: modalityEntrySchemas.audio.optional(),
      text: modalityEntrySchemas.text.optional(),
      depth: modalityEntrySchemas.depth.optional(),
      thermal: modalityEntrySchemas.thermal.optional(),
      imu: modalityEntrySchemas.imu.optional(),
    })
    .refine((m) => Object.keys(m).length > 0, 'at least one modality'),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ModalityEntry<M extends Modality = Modality> = NonNullable<Manifest['modalities'][M]>;

/** One modality after loading: where its graph is and whether it may be used. */
export interface LoadedModality<M extends Modality = Modality> {
  modality: M;
  entry: ModalityEntry<M>;
  /** Absolute path of the graph; undefined when the manifest has `file: null`. */
  path: string | undefined;
  /** Whether the file's sha256 was checked and matched (false: no hash in the manifest, or not asked). */
  verified: boolean;
  /** Why this modality cannot be used (file missing, hash mismatch); undefined when it can. */
  error: SensebindError | undefined;
}

export interface LoadedManifest {
  /** Absolute folder of the model. */
  dir: string;
  /** Absolute path of manifest.json. */
  path: string;
  manifest: Manifest;
  /** `name@version`, stamped on every embedding. */
  modelId: string;
  /** The modalities the manifest declares. */
  modalities: { [M in Modality]?: LoadedModality<M> };
}

export interface LoadManifestOptions {
  /** Hash each graph file and compare with the manifest's sha256. @default true */
  verifyHashes?: boolean;
  /** Throw the first per-modality failure instead of recording it on the modality. @default false */
  strict?: boolean;
  /**
   * JSON file remembering verified hashes by path, size, mtime and inode, so unchanged multi-GB graphs are
   * not re-read at every start; undefined = always hash. @default undefined
   */
  hashMemo?: string;
}

/** Validates a parsed manifest; `source` (the file) names where problems are in the error. */
function parseManifest(input: unknown, source: string): Manifest {
  const result = manifestSchema.safeParse(input);
  if (!result.success) {
    const lines = formatIssues(result.error.issues, input);
    throw new SensebindError('MODEL', `invalid model manifest ${source}:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}

/** Reads and validates `<dir>/manifest.json`, then checks every graph file (exists, sha256). */
export async function loadManifest(dir: string, options: LoadManifestOptions = {}): Promise<LoadedManifest> {
  const { verifyHashes = true, strict = false, hashMemo } = options;
  const memo = verifyHashes && hashMemo !== undefined ? new HashMemo(hashMemo) : undefined;
  const absDir = resolve(dir);
  const path = join(absDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? (existsSync(absDir) ? 'no manifest.json in the folder' : 'the folder does not exist') : errorMessage(err);
    throw new SensebindError('MODEL', `cannot read model manifest ${path}: ${why}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SensebindError('MODEL', `invalid model manifest ${path}: not JSON (${errorMessage(err)})`);
  }
  const manifest = parseManifest(raw, path);
  const loaded: LoadedManifest = { dir: absDir, path, manifest, modelId: `${manifest.name}@${manifest.version}`, modalities: {} };
  for (const modality of MODALITIES) {
    const entry = manifest.modalities[modality];
    if (entry === undefined) continue;
    const result = await checkModality(absDir, path, modality, entry, verifyHashes, memo);
    if (strict && result.error) {
      await memo?.save();
      throw result.error;
    }
    // The mapped type cannot relate `modality` to its entry type inside the loop.
    (loaded.modalities as Record<Modality, LoadedModality>)[modality] = result;
  }
  await memo?.save();
  return loaded;
}

async function checkModality(
  dir: string,
  manifestPath: string,
  modality: Modality,
  entry: ModalityEntry,
  verifyHashes: boolean,
  memo: HashMemo | undefined,
): Promise<LoadedModality> {
  const base: LoadedModality = { modality, entry, path: undefined, verified: false, error: undefined };
  if (entry.file === null) return base;
  const path = join(dir, entry.file);
  base.path = path;
  const files = [{ file: entry.file, sha256: entry.sha256, key: ['modalities', modality, 'sha256'] as PropertyKey[] }];
  (entry.externalData ?? []).forEach((x, i) => files.push({ file: x.file, sha256: x.sha256, key: ['modalities', modality, 'externalData', i, 'sha256'] }));
  let verified = verifyHashes;
  for (const { file, sha256, key } of files) {
    const abs = join(dir, file);
    if (!abs.startsWith(dir + sep)) continue; // excluded by the schema; belt and braces
    try {
      const s = await stat(abs);
      if (!s.isFile()) throw new Error('not a regular file');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : errorMessage(err);
      base.error = new SensebindError('MODEL', `model ${modality} graph ${abs}: ${why} (named by ${formatPath(key.slice(0, -1))}.file in ${manifestPath})`);
      return base;
    }
    if (!verifyHashes) continue;
    if (sha256 === null) {
      verified = false;
      continue;
    }
    const found = memo ? await memo.sha256(abs) : await sha256File(abs);
    if (found.toLowerCase() !== sha256.toLowerCase()) {
      base.error = new SensebindError(
        'HASH_MISMATCH',
        `model ${modality} graph ${abs}: sha256 mismatch: expected ${sha256.toLowerCase()} (${formatPath(key)} in ${manifestPath}), found ${found}; ` +
          'the file is corrupt or not the one the manifest describes (re-export or re-download it, or update the manifest)',
      );
      return base;
    }
  }
  base.verified = verified;
  return base;
}

/** The usable modalities of a loaded manifest (graph present, no error), in canonical order. */
export function usableModalities(loaded: LoadedManifest): Modality[] {
  return MODALITIES.filter((m) => {
    const l = loaded.modalities[m];
    return l !== undefined && l.path !== undefined && l.error === undefined;
  });
}
