/**
 * Training and evaluation data for bind-mini, produced through the project's own runtime path: simulator
 * -> ROS 2 message objects -> MessageConverter (src/decode) -> Windower (src/window) -> preprocessWindow
 * (src/preprocess) with the model manifest's parameters. Training therefore sees exactly the tensors the
 * agent feeds the model at run time. Labels come only from the simulator's script (its ground truth).
 *
 * Output folder:
 *   <m>.f32        per present modality, the window tensors back to back (float32 LE, shape in meta.json)
 *   windows.jsonl  one row per window: index, seed, t, label, active labels, present modalities, clean flag
 *   text.i64 / text.jsonl  tokenised captions (int64 [77]) with their label and text
 *   meta.json      shapes, counts, options, the manifest preprocessing used
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cannotWrite } from '../core/errors.js';
import { MessageConverter } from '../decode/converter.js';
import { taggedWindows, type SensorModality, type Snapshot } from '../core/types.js';
import { Windower } from '../window/windower.js';
import { preprocessText, preprocessWindow, tensorBytes, type WindowParams } from '../preprocess/index.js';
import type { LoadedManifest } from '../embed/manifest.js';
import { BACKGROUND_ID, EVENT_KINDS, type EventId, type SceneLabel } from './events.js';
import { activeEvents, type Script } from './script.js';
import { createSimulation } from './simulator.js';
import { audioInfoMessage, DEFAULT_SIM_TOPICS, toRosMessage } from './ros-messages.js';
import { AUDIO_RATE } from './audio.js';

export const DATASET_MODALITIES = ['vision', 'audio', 'depth', 'imu'] as const satisfies readonly SensorModality[];
export type DatasetModality = (typeof DATASET_MODALITIES)[number];

/** Caption templates for text<->vision pairs (CLIP-style prompt variety). */
export const CAPTION_TEMPLATES = ['{}', 'a photo of {}', 'a picture of {}', 'the sound of {}', 'a recording of {}', 'a robot sensing {}'];

export interface WindowRow {
  index: number;
  seed: number;
  /** Seconds since the start of the run. */
  t: number;
  /** The event active at t (the latest started), or idle. */
  label: SceneLabel;
  /** Every event active at t. */
  active: EventId[];
  present: DatasetModality[];
  /**
   * False near transitions, where windows still hold the previous state: within 0.5 s after an event
   * starts, or within 2.5 s after an event ends (audio/IMU windows reach back 2-5 s).
   */
  clean: boolean;
}

/** The label of a scene at time t, and whether the windows at t are clean of neighbouring states. */
export function labelAt(script: Script, t: number): { label: SceneLabel; active: EventId[]; clean: boolean } {
  const active = activeEvents(script, t);
  const first = active[0];
  if (first !== undefined) {
    return { label: first.kind, active: active.map((e) => e.kind), clean: t - first.start >= 0.5 };
  }
  const lastEnd = Math.max(-Infinity, ...script.events.filter((e) => e.end <= t).map((e) => e.end));
  return { label: BACKGROUND_ID, active: [], clean: t - lastEnd >= 2.5 };
}

export interface ExportOptions {
  manifest: LoadedManifest;
  seeds: readonly number[];
  /** Seconds per seed. */
  duration: number;
  /** Seconds between snapshots. @default 1 */
  hop?: number;
  /** First snapshot, seconds (full IMU window). @default 5 */
  warmup?: number;
  /** Camera frame rate of the simulation (frames between snapshots are unused). @default 4 */
  fps?: number;
  events?: readonly EventId[];
  out: string;
  onSeed?: (seed: number, windows: number) => void;
}

export interface ExportSummary {
  out: string;
  windows: number;
  perLabel: Record<string, number>;
  texts: number;
}

/** The windower settings a manifest implies (the agent derives the same). */
export function windowerFor(manifest: LoadedManifest): Windower {
  const m = manifest.manifest.modalities;
  const audio = m.audio?.preprocess;
  const imu = m.imu?.preprocess;
  return new Windower({
    audioSeconds: audio !== undefined ? audio.clipSeconds * audio.liveClips : 2,
    imuSeconds: imu?.windowSeconds ?? 5,
    imuSamples: imu?.samples ?? 2000,
    // Training and window-level evaluation see every window; the evidence gates are the agent's policy.
    gates: false,
  });
}

/**
 * Runs one simulated scene through decode + windowing and calls `onSnapshot` every `hop` seconds from
 * `warmup` on, with the snapshot and the scene time. Shared by export and evaluation.
 */
export async function snapshotsOfScene(
  options: { seed: number; duration: number; fps: number; hop: number; warmup: number; events?: readonly EventId[]; manifest: LoadedManifest },
  onSnapshot: (snap: Snapshot, t: number, script: Script) => Promise<void>,
): Promise<Script> {
  const sim = createSimulation({ seed: options.seed, duration: options.duration, fps: options.fps, ...(options.events !== undefined ? { events: options.events } : {}) });
  const converter = new MessageConverter();
  const windower = windowerFor(options.manifest);
  const start = sim.options.startStamp;
  await converter.convert(DEFAULT_SIM_TOPICS.audioInfo, 'audio_common_msgs/msg/AudioInfo', audioInfoMessage(AUDIO_RATE), start);
  const hopNs = BigInt(Math.round(options.hop * 1e9));
  let next = start + BigInt(Math.round(options.warmup * 1e9));
  for await (const item of sim.items()) {
    while (item.stamp > next) {
      await onSnapshot(windower.snapshot(next), Number(next - start) / 1e9, sim.script);
      next += hopNs;
    }
    if (item.kind === 'truth') continue;
    const msg = toRosMessage(item);
    const r = await converter.convert(msg.topic, msg.type, msg.message, item.stamp);
    if (r.kind === 'sample') windower.push(r.sample);
  }
  return sim.script;
}

/** The preprocessing parameters of the manifest's sensor modalities. */
function windowParamsFor(manifest: LoadedManifest): WindowParams {
  const params: WindowParams = {};
  const mm = manifest.manifest.modalities;
  if (mm.vision) params.vision = mm.vision.preprocess;
  if (mm.audio) params.audio = mm.audio.preprocess;
  if (mm.depth) params.depth = mm.depth.preprocess;
  if (mm.imu) params.imu = mm.imu.preprocess;
  return params;
}

function openOutput(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (err) {
    throw cannotWrite('dataset file', path, err);
  }
}

/**
 * One dataset folder as the training recipe reads it, for every exporter (simulated scenes here, real
 * recordings in eval/dataset-recordings.ts): a tensor file per modality the model has, one JSON row per
 * window, the tokenised captions and meta.json. `close()` in a finally; `finish()` after a good export.
 */
export class DatasetFolder {
  readonly modalities: DatasetModality[];
  readonly params: WindowParams;
  readonly #manifest: LoadedManifest;
  readonly #out: string;
  readonly #fds: Record<DatasetModality, number>;
  readonly #rows: string[] = [];

  constructor(manifest: LoadedManifest, out: string) {
    try {
      mkdirSync(out, { recursive: true });
    } catch (err) {
      throw cannotWrite('dataset folder', out, err);
    }
    this.#manifest = manifest;
    this.#out = out;
    this.modalities = DATASET_MODALITIES.filter((m) => manifest.manifest.modalities[m] !== undefined);
    this.params = windowParamsFor(manifest);
    this.#fds = Object.fromEntries(this.modalities.map((m) => [m, openOutput(join(out, `${m}.f32`))])) as Record<DatasetModality, number>;
  }

  /** Windows written so far (the next row's index). */
  get windows(): number {
    return this.#rows.length;
  }

  /** One window: its tensor bytes for every modality of the folder, and its row. */
  addWindow(tensors: Partial<Record<DatasetModality, Uint8Array>>, row: object): void {
    for (const m of this.modalities) writeSync(this.#fds[m], tensors[m]!);
    this.#rows.push(JSON.stringify(row));
  }

  close(): void {
    for (const fd of Object.values(this.#fds)) closeSync(fd);
  }

  /** windows.jsonl, the captions and meta.json (`meta` goes between the model's fields and the captions'); returns the caption count. */
  finish(meta: Record<string, unknown>): number {
    writeFileSync(join(this.#out, 'windows.jsonl'), this.#rows.join('\n') + '\n');
    const texts = exportCaptions(this.#manifest, this.#out);
    writeFileSync(
      join(this.#out, 'meta.json'),
      JSON.stringify({ model: this.#manifest.modelId, modalities: this.modalities, ...meta, texts, labels: EVENT_KINDS.map((k) => k.id), preprocess: this.params }, null, 2) + '\n',
    );
    return texts;
  }
}

export async function exportDataset(options: ExportOptions): Promise<ExportSummary> {
  const { manifest, seeds, duration, hop = 1, warmup = 5, fps = 4, out } = options;
  const folder = new DatasetFolder(manifest, out);
  const shapes: Partial<Record<DatasetModality, number[]>> = {};
  const perLabel: Record<string, number> = {};
  try {
    for (const seed of seeds) {
      let n = 0;
      await snapshotsOfScene({ seed, duration, fps, hop, warmup, manifest, ...(options.events !== undefined ? { events: options.events } : {}) }, async (snap, t, script) => {
        const present: DatasetModality[] = [];
        const tagged = taggedWindows(snap.windows);
        const tensors: Partial<Record<DatasetModality, Uint8Array>> = {};
        for (const m of folder.modalities) {
          const window = tagged.find((w) => w.modality === m);
          if (window !== undefined) {
            const tensor = await preprocessWindow(window, folder.params);
            shapes[m] ??= tensor.dims;
            tensors[m] = tensorBytes(tensor);
            present.push(m);
          } else if (shapes[m] !== undefined) {
            tensors[m] = new Uint8Array(shapes[m]!.reduce((a, b) => a * b, 4));
          } else {
            throw new Error(`dataset export: ${m} absent in the first snapshot of seed ${seed} at t=${t}; increase --warmup`);
          }
        }
        const { label, active, clean } = labelAt(script, t);
        const row: WindowRow = { index: folder.windows, seed, t: Number(t.toFixed(3)), label, active, present, clean };
        folder.addWindow(tensors, row);
        perLabel[label] = (perLabel[label] ?? 0) + 1;
        n++;
      });
      options.onSeed?.(seed, n);
    }
  } finally {
    folder.close();
  }
  const texts = folder.finish({ shapes, windows: folder.windows, perLabel, seeds, duration, hop, warmup, fps });
  return { out, windows: folder.windows, perLabel, texts };
}

/** Tokenised captions for every kind and template; returns how many. */
function exportCaptions(manifest: LoadedManifest, out: string): number {
  const text = manifest.manifest.modalities.text;
  if (text === undefined) return 0;
  const fd = openOutput(join(out, 'text.i64'));
  const rows: string[] = [];
  try {
    for (const kind of EVENT_KINDS) {
      for (const caption of kind.captions) {
        for (const template of CAPTION_TEMPLATES) {
          const s = template.replace('{}', caption);
          writeSync(fd, tensorBytes(preprocessText(s, text.preprocess, manifest.dir)));
          rows.push(JSON.stringify({ label: kind.id, text: s }));
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(out, 'text.jsonl'), rows.join('\n') + '\n');
  return rows.length;
}
