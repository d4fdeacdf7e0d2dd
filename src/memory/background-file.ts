/**
 * The live background estimate's file, beside the concept memory (`<state file>.background.json`).
 * Written by the agent that learns it, atomically like the memory (persist.ts's writeAtomic: temp file,
 * fsync, the previous good copy kept as `.prev`, rename); read back on start. A file that does not parse
 * or validate is reported in one line naming the file and what was wrong, and the `.prev` copy is tried.
 * The user's freeze and reset live in the memory itself (state.ts, BackgroundControl).
 */
import { z } from 'zod';
import { SensebindError, errorMessage } from '../core/errors.js';
import { formatIssues } from '../config/zod-issues.js';
import { loadNewestGood, writeAtomic } from './persist.js';

const fileSchema = z.strictObject({
  format: z.literal('sensebind-background/1'),
  savedAt: z.string(),
  /** The memory's reset count the estimate was learnt under. */
  resets: z.number().int().min(0),
  concepts: z.array(
    z.strictObject({
      id: z.string().min(1),
      key: z.string(),
      floor: z.number(),
      starts: z.array(z.number().min(0)),
      exposureS: z.number().min(0),
      samples: z.number().int().min(0),
      hist: z.record(z.string(), z.array(z.number().min(0))),
    }),
  ),
});

export type BackgroundFile = z.infer<typeof fileSchema>;

export function backgroundFilePath(stateFile: string): string {
  return `${stateFile}.background.json`;
}

function decode(text: string, where: string): BackgroundFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SensebindError('IO', `${where}: not JSON (${errorMessage(err)})`);
  }
  const parsed = fileSchema.safeParse(value);
  if (!parsed.success) throw new SensebindError('IO', `${where}: not a background estimate: ${formatIssues(parsed.error.issues, value, 3).join('; ')}`);
  return parsed.data;
}

export interface LoadedBackground {
  file: BackgroundFile;
  from: string;
  /** Why the main file was passed over for `.prev`. */
  rejected?: string;
}

/** The newest good copy (the file, else `.prev`); undefined when there is none; throws when copies exist but none is good. */
export async function loadBackgroundFile(path: string): Promise<LoadedBackground | undefined> {
  const loaded = await loadNewestGood(path, 'background estimate', 'no good copy', (buf, where) => decode(buf.toString('utf8'), where));
  return loaded && { file: loaded.value, from: loaded.from, ...(loaded.rejected !== undefined && { rejected: loaded.rejected }) };
}

export async function saveBackgroundFile(path: string, file: Omit<BackgroundFile, 'format' | 'savedAt'>, savedAt = new Date()): Promise<void> {
  const body: BackgroundFile = { format: 'sensebind-background/1', savedAt: savedAt.toISOString(), ...file };
  await writeAtomic(path, Buffer.from(JSON.stringify(body)), 'background estimate');
}
