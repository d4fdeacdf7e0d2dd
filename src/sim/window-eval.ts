/**
 * Window-level zero-shot evaluation of a model on simulated scenes (held-out seeds): every snapshot the
 * agent would embed is classified against text prototypes of the event kinds, per single modality and
 * fused over the present modalities (sum of per-modality log-softmax, i.e. log-linear pooling), with the
 * simulator's ground truth as the answer. Audio->text is the emergent pair (bind-mini never trains on it).
 * Embedding goes through the real runtime (ONNX Runtime, manifest preprocessing), so the timings are the
 * agent's: all modalities of one snapshot, batch 1, CPU.
 */
import { performance } from 'node:perf_hooks';
import { taggedWindows } from '../core/types.js';
import { EmbeddingRuntime } from '../embed/runtime.js';
import type { LoadedManifest } from '../embed/manifest.js';
import { SCENE_LABELS, eventKind, type EventId, type SceneLabel } from './events.js';
import { CAPTION_TEMPLATES, DATASET_MODALITIES, labelAt, snapshotsOfScene, type DatasetModality } from './dataset.js';
import { meanNormalized } from '../core/vector.js';

export interface EvalOptions {
  manifest: LoadedManifest;
  seeds: readonly number[];
  duration: number;
  hop: number;
  fps: number;
  events?: readonly EventId[];
  onSeed?: (seed: number, windows: number) => void;
}

type Scores = Record<DatasetModality | 'fused', { correct: number; total: number }>;

export interface EvalReport {
  model: string;
  seeds: number[];
  labels: SceneLabel[];
  summary: {
    windows: number;
    cleanWindows: number;
    /** Top-1 on clean windows (no transition within the window span). */
    top1: Record<DatasetModality | 'fused', number>;
    /** Top-1 on clean windows whose kind the modality can observe (events.ts observedBy; idle included). */
    top1Observable: Record<DatasetModality, number>;
    /** Top-1 on every window; a prediction of any active event counts. */
    top1AllWindows: Record<DatasetModality | 'fused', number>;
    chance: number;
    /** Embedding time per snapshot, all present modalities, batch 1 (preprocessing + inference). */
    embedMsPerSnapshot: { mean: number; p50: number; p95: number; provider: string };
  };
  /** Per label: recall per modality and fused (clean windows). */
  perLabel: Record<string, Record<DatasetModality | 'fused', number> & { windows: number }>;
  /** Fused confusion matrix on clean windows: rows truth, columns prediction, in `labels` order. */
  confusion: number[][];
  /** Audio confusion matrix (emergent audio->text), clean windows. */
  audioConfusion: number[][];
}

function emptyScores(): Scores {
  return Object.fromEntries([...DATASET_MODALITIES, 'fused'].map((m) => [m, { correct: 0, total: 0 }])) as Scores;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function logSoftmax(x: number[]): number[] {
  const max = Math.max(...x);
  const lse = max + Math.log(x.reduce((s, v) => s + Math.exp(v - max), 0));
  return x.map((v) => v - lse);
}

function argmax(x: number[]): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if ((x[i] as number) > (x[best] as number)) best = i;
  return best;
}

function ratio(s: { correct: number; total: number }): number {
  return s.total === 0 ? NaN : Number((s.correct / s.total).toFixed(4));
}

export async function evaluateWindows(options: EvalOptions): Promise<EvalReport> {
  const { manifest, seeds } = options;
  const runtime = await EmbeddingRuntime.open(manifest.dir, { providers: ['cpu'], cacheDir: null, intraOpThreads: 1, interOpThreads: 1 });
  try {
    const labels = [...SCENE_LABELS];
    // Text prototypes: normalised mean of each kind's captions in every template (a concept's prompt ensemble).
    const protos: Float32Array[] = [];
    for (const label of labels) {
      const prompts = eventKind(label).captions.flatMap((c) => CAPTION_TEMPLATES.map((t) => t.replace('{}', c)));
      const embs = await runtime.embedText(prompts);
      const proto = meanNormalized(embs.map((e) => e.vector));
      if (proto === undefined) throw new Error(`no text prototype for ${label}: its captions embed to a zero mean`);
      protos.push(proto);
    }
    const scale = runtime.scale('text');
    const modalities = DATASET_MODALITIES.filter((m) => runtime.modalities().includes(m));
    const clean = emptyScores();
    const all = emptyScores();
    const observable = emptyScores();
    const perLabel = new Map<string, Scores>();
    const confusion = labels.map(() => labels.map(() => 0));
    const audioConfusion = labels.map(() => labels.map(() => 0));
    const times: number[] = [];
    let windows = 0;
    let cleanWindows = 0;
    let provider = '';
    for (const seed of seeds) {
      let n = 0;
      await snapshotsOfScene({ seed, duration: options.duration, fps: options.fps, hop: options.hop, warmup: 5, manifest, ...(options.events !== undefined ? { events: options.events } : {}) }, async (snap, t, script) => {
        const truth = labelAt(script, t);
        const y = labels.indexOf(truth.label);
        const anyOk = new Set<number>([y, ...truth.active.map((a) => labels.indexOf(a))]);
        const fused = labels.map(() => 0);
        const preds: Partial<Record<DatasetModality | 'fused', number>> = {};
        const t0 = performance.now();
        const vectors: Partial<Record<DatasetModality, Float32Array>> = {};
        for (const w of taggedWindows(snap.windows)) {
          const m = w.modality;
          if (!modalities.some((d) => d === m) || m === 'thermal') continue;
          const [e] = await runtime.embedWindows([w], snap.stamp);
          vectors[m] = e!.vector;
        }
        times.push(performance.now() - t0);
        provider ||= String(runtime.provider('vision') ?? '');
        for (const m of modalities) {
          const v = vectors[m];
          if (v === undefined) continue;
          const logits = protos.map((p) => scale * dot(v, p));
          const lp = logSoftmax(logits);
          lp.forEach((x, i) => (fused[i] = (fused[i] as number) + x));
          preds[m] = argmax(logits);
        }
        preds.fused = argmax(fused);
        windows++;
        n++;
        if (truth.clean) cleanWindows++;
        const row = perLabel.get(truth.label) ?? emptyScores();
        perLabel.set(truth.label, row);
        for (const [m, p] of Object.entries(preds) as Array<[DatasetModality | 'fused', number]>) {
          all[m].total++;
          if (anyOk.has(p)) all[m].correct++;
          if (!truth.clean) continue;
          clean[m].total++;
          row[m].total++;
          if (p === y) {
            clean[m].correct++;
            row[m].correct++;
          }
          if (m !== 'fused' && (truth.label === 'idle' || eventKind(truth.label).observedBy.includes(m))) {
            observable[m].total++;
            if (p === y) observable[m].correct++;
          }
        }
        if (truth.clean) {
          (confusion[y] as number[])[preds.fused] = ((confusion[y] as number[])[preds.fused] as number) + 1;
          if (preds.audio !== undefined) (audioConfusion[y] as number[])[preds.audio] = ((audioConfusion[y] as number[])[preds.audio] as number) + 1;
        }
      });
      options.onSeed?.(seed, n);
    }
    const sorted = [...times].sort((a, b) => a - b);
    const q = (p: number) => Number((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN).toFixed(2));
    const pick = (s: Scores, keys: readonly (DatasetModality | 'fused')[]) => Object.fromEntries(keys.map((k) => [k, ratio(s[k])]));
    const keysF = [...DATASET_MODALITIES, 'fused'] as const;
    return {
      model: manifest.modelId,
      seeds: [...seeds],
      labels,
      summary: {
        windows,
        cleanWindows,
        top1: pick(clean, keysF) as EvalReport['summary']['top1'],
        top1Observable: pick(observable, DATASET_MODALITIES) as EvalReport['summary']['top1Observable'],
        top1AllWindows: pick(all, keysF) as EvalReport['summary']['top1AllWindows'],
        chance: Number((1 / labels.length).toFixed(4)),
        embedMsPerSnapshot: { mean: Number((times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)).toFixed(2)), p50: q(0.5), p95: q(0.95), provider },
      },
      perLabel: Object.fromEntries(labels.map((l) => {
        const s = perLabel.get(l) ?? emptyScores();
        return [l, { ...(pick(s, keysF) as Record<DatasetModality | 'fused', number>), windows: s.fused.total }];
      })),
      confusion,
      audioConfusion,
    };
  } finally {
    await runtime.close();
  }
}

function pct(x: number): string {
  return Number.isNaN(x) ? 'n/a' : (100 * x).toFixed(1);
}

/** The report as Markdown tables (model card, issue note). */
export function reportMarkdown(r: EvalReport): string {
  const m = [...DATASET_MODALITIES, 'fused'] as const;
  const s = r.summary;
  const lines = [
    `Model \`${r.model}\`, held-out seeds ${r.seeds[0]}-${r.seeds[r.seeds.length - 1]} (${r.seeds.length} scenes), ${s.windows} windows, ${s.cleanWindows} clean; chance ${pct(s.chance)} %.`,
    '',
    '| top-1 (%) | vision | audio | depth | imu | fused |',
    '|---|---|---|---|---|---|',
    `| clean windows | ${m.map((k) => pct(s.top1[k])).join(' | ')} |`,
    `| clean, kinds the modality observes | ${DATASET_MODALITIES.map((k) => pct(s.top1Observable[k])).join(' | ')} | |`,
    `| all windows (any active event counts) | ${m.map((k) => pct(s.top1AllWindows[k])).join(' | ')} |`,
    '',
    `Embedding time per snapshot (vision + audio + depth + imu, batch 1, ${s.embedMsPerSnapshot.provider}, preprocessing included): mean ${s.embedMsPerSnapshot.mean} ms, p50 ${s.embedMsPerSnapshot.p50} ms, p95 ${s.embedMsPerSnapshot.p95} ms.`,
    '',
    '| recall per kind (%) | windows | vision | audio | depth | imu | fused |',
    '|---|---|---|---|---|---|---|',
    ...r.labels.map((l) => {
      const row = r.perLabel[l]!;
      return `| ${l} | ${row.windows} | ${m.map((k) => pct(row[k])).join(' | ')} |`;
    }),
    '',
    'Fused confusion matrix (clean windows; rows = truth, columns = prediction):',
    '',
    `| truth \\ predicted | ${r.labels.map((l, i) => `${i}`).join(' | ')} |`,
    `|---|${r.labels.map(() => '---').join('|')}|`,
    ...r.confusion.map((row, i) => `| ${i} ${r.labels[i]} | ${row.join(' | ')} |`),
    '',
    'Audio -> text (emergent: no audio-text pair in training) confusion matrix, clean windows:',
    '',
    `| truth \\ predicted | ${r.labels.map((l, i) => `${i}`).join(' | ')} |`,
    `|---|${r.labels.map(() => '---').join('|')}|`,
    ...r.audioConfusion.map((row, i) => `| ${i} ${r.labels[i]} | ${row.join(' | ')} |`),
    '',
  ];
  return lines.join('\n');
}

