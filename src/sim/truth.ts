/**
 * The ground-truth record on `/sensebind/truth` (std_msgs/String, JSON), one per scripted event, published
 * at the event's start stamp. Stamps are nanoseconds on the bag clock as decimal strings (JSON has no
 * 64-bit integers). `label` is an EventId from events.ts; `caption` is its human label.
 */
import { z } from 'zod';
import { SensebindError } from '../core/errors.js';
import { formatIssues } from '../config/zod-issues.js';
import { EVENT_IDS } from './events.js';

export const TRUTH_TOPIC = '/sensebind/truth';

export const truthSchema = z.strictObject({
  /** Record version. */
  v: z.literal(1),
  label: z.enum(EVENT_IDS),
  caption: z.string(),
  /** ns, decimal string */
  start: z.string().regex(/^\d+$/),
  /** ns, decimal string */
  end: z.string().regex(/^\d+$/),
});
export type TruthRecord = z.infer<typeof truthSchema>;

/** A truth record with bigint stamps, as evaluation code wants it. */
export interface TruthEvent {
  label: TruthRecord['label'];
  caption: string;
  start: bigint;
  end: bigint;
}

/** Parses the JSON text of one truth message; `where` names the bag/offset in errors. */
export function parseTruth(text: string, where: string): TruthEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SensebindError('INPUT', `${where}: truth message is not JSON: ${(err as Error).message}`);
  }
  const r = truthSchema.safeParse(raw);
  if (!r.success) {
    throw new SensebindError('INPUT', `${where}: truth message does not match {v:1,label,caption,start,end}: ${formatIssues(r.error.issues, raw).join('; ')}`);
  }
  return { label: r.data.label, caption: r.data.caption, start: BigInt(r.data.start), end: BigInt(r.data.end) };
}
