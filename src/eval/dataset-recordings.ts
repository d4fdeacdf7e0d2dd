/**
 * "No event" training windows for bind-mini from real recordings (bags the agent can replay: MCAP or
 * ROS 1), in the same folder format as the simulator export (dataset.ts), so the training recipe reads
 * both alike. Every window of an event-free recording is labelled idle; the simulator's events stay the
 * only events the model learns.
 *
 * The path is the agent's own: readBag (decode) -> Windower (no gates: the model should also know what
 * silence and hiss look like when the gates are off) -> preprocessWindow with the manifest's parameters.
 * Audio may be replayed at several gains (`gainsDb`): the samples are scaled, clipped and rounded to the
 * 16-bit grid, as a microphone with another gain would have recorded them. Recordings without audio are
 * exported once, at 0 dB.
 *
 * Rows carry `file` and `gainDb` (so a model card can list which recordings were used) and `seed: -1`.
 */
import { basename } from 'node:path';
import { SensebindError } from '../core/errors.js';
import { taggedWindows, type Sample } from '../core/types.js';
import type { LoadedManifest } from '../embed/manifest.js';
import { preprocessWindow, tensorBytes } from '../preprocess/index.js';
import { readBag } from '../sources/bag.js';
import { DatasetFolder, windowerFor, type DatasetModality } from '../sim/dataset.js';
import { BACKGROUND_ID } from '../sim/events.js';

export interface RecordingExportOptions {
  manifest: LoadedManifest;
  bags: readonly string[];
  out: string;
  /** Audio gains in dB; each recording with audio is exported once per gain. @default [0] */
  gainsDb?: readonly number[];
  /** Seconds between windows. @default 1 */
  hop?: number;
  /** First window this many seconds after the recording's first sample. @default 2 */
  warmup?: number;
  onBag?: (bag: string, gainDb: number, windows: number) => void;
}

export interface RecordingExportSummary {
  out: string;
  windows: number;
  perFile: Record<string, number>;
}

/** An audio sample as a microphone `gainDb` louder (or quieter) would have delivered it: 16-bit grid, clipped. */
function withGain(sample: Sample, k: number): Sample {
  if (sample.modality !== 'audio' || k === 1) return sample;
  const out = new Float32Array(sample.samples.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.max(-32768, Math.min(32767, Math.round((sample.samples[i] as number) * k * 32768)));
    out[i] = v / 32768;
  }
  return { ...sample, samples: out };
}

/** Zero bytes for an absent modality: the manifest's input shape for one window. */
function absentBytes(manifest: LoadedManifest, m: DatasetModality): Uint8Array {
  const shape = manifest.manifest.modalities[m]!.input.shape.map((d) => (d < 0 ? 1 : d));
  return new Uint8Array(shape.reduce((a, b) => a * b, 4));
}

async function hasAudio(bag: string): Promise<boolean> {
  for await (const item of readBag(bag)) if (item.kind === 'sample') if (item.sample.modality === 'audio') return true;
  return false;
}

export async function exportRecordings(options: RecordingExportOptions): Promise<RecordingExportSummary> {
  const { manifest, bags, out, gainsDb = [0], hop = 1, warmup = 2 } = options;
  if (bags.length === 0) throw new SensebindError('USAGE', 'sensebind dataset export-recordings: no recordings given');
  const folder = new DatasetFolder(manifest, out);
  const perFile: Record<string, number> = {};
  const hopNs = BigInt(Math.round(hop * 1e9));
  try {
    for (const bag of bags) {
      const file = basename(bag);
      for (const gainDb of (await hasAudio(bag)) ? gainsDb : [0]) {
        const k = 10 ** (gainDb / 20);
        const windower = windowerFor(manifest);
        let first: bigint | undefined;
        let next: bigint | undefined;
        let n = 0;
        const emit = async (stamp: bigint) => {
          const snap = windower.snapshot(stamp);
          const tagged = taggedWindows(snap.windows);
          const present: DatasetModality[] = [];
          const tensors: Partial<Record<DatasetModality, Uint8Array>> = {};
          for (const m of folder.modalities) {
            const window = tagged.find((w) => w.modality === m);
            if (window === undefined) continue;
            tensors[m] = tensorBytes(await preprocessWindow(window, folder.params));
            present.push(m);
          }
          if (present.length === 0) return;
          for (const m of folder.modalities) tensors[m] ??= absentBytes(manifest, m);
          folder.addWindow(tensors, { index: folder.windows, seed: -1, file, gainDb, t: Number((Number(stamp - first!) / 1e9).toFixed(3)), label: BACKGROUND_ID, active: [], present, clean: true });
          n++;
        };
        for await (const item of readBag(bag)) {
          if (item.kind !== 'sample') continue;
          const stamp = item.sample.stamp;
          first ??= stamp;
          next ??= stamp + BigInt(Math.round(warmup * 1e9));
          while (stamp > next) {
            await emit(next);
            next += hopNs;
          }
          windower.push(withGain(item.sample, k));
        }
        perFile[`${file}@${gainDb}dB`] = n;
        options.onBag?.(bag, gainDb, n);
      }
    }
  } finally {
    folder.close();
  }
  folder.finish({ windows: folder.windows, perFile, bags, gainsDb, hop, warmup });
  return { out, windows: folder.windows, perFile };
}
