// `sensebind dataset export|eval`: bind-mini's training tensors from simulated scenes, and its window-level
// zero-shot evaluation on held-out seeds.
import { SensebindError, cannotWrite } from '../../core/errors.js';
import { numberFlag, parseCommandArgs, requireFlag, type Command } from '../command.js';
import { parseEventList } from './simulate.js';

const HELP = `Usage:
  sensebind dataset export --model <dir> --seeds <list> --out <dir> [--duration <s>] [--hop <s>] [--fps <n>] [--events <list>]
  sensebind dataset eval   --model <dir> --seeds <list> [--duration <s>] [--hop <s>] [--out <report.json>] [--markdown <file.md>]
  sensebind dataset export-recordings <bag...> --model <dir> --out <dir> [--gains <dB list>] [--hop <s>]
  sensebind dataset familiarity <bag...> --out <file.json> [--per-modality <n>] [--core-from <s>] [--model <dir>] [--concepts <file>]

export: simulates each seed, decodes it with the project's ROS converters, windows it with the agent's
  windower and preprocesses every window with the model manifest's parameters; writes <m>.f32 tensors,
  windows.jsonl (labels from the simulator's ground truth), tokenised captions and meta.json.
export-recordings: "no event" windows from event-free real recordings (any bag replay reads), labelled
  idle, in the same format; audio is replayed once per gain in --gains (e.g. "0,-10,-20,-30,10").
familiarity: the familiarity gate's table (docs/concepts.md, "Familiarity gate") from recordings with
  ground truth (simulated training scenes; never the scenes you evaluate on): per concept and modality up
  to --per-modality (32) exemplars of its true events (from --core-from (1) s after each start), and the
  leave-one-scene-out nearest-exemplar cosines its floor is taken from. Put it in the model folder as
  familiarity.json, or name it in config match.familiarity.file.
eval: zero-shot window classification by text prompts on the given (held-out) seeds: per modality, fused,
  audio->text (emergent), confusion matrix, embedding time per snapshot. Prints JSON.

Options:
  --model <dir>       model folder with manifest.json (default models/bind-mini)
  --seeds <list>      e.g. 1-24 or 3,5,9                               [required]
  --duration <s>      seconds per seed (default 120)
  --hop <s>           seconds between windows (default 1)
  --fps <n>           simulated camera rate (default 4; only the newest frame per window is used)
  --events <list>     restrict the scripted event kinds
  --gains <list>      export-recordings: audio gains in dB (default 0)
  --out <dir|file>    export: output folder [required]; eval: JSON report file
  --markdown <file>   eval: also write the tables as Markdown`;

export function parseSeeds(value: string): number[] {
  const seeds: number[] = [];
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw new SensebindError('USAGE', `sensebind dataset: --seeds expects e.g. "1-24" or "3,5,9", got "${value}"`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b - a > 100_000) throw new SensebindError('USAGE', `sensebind dataset: bad seed range "${part}" in --seeds`);
    for (let s = a; s <= b; s++) seeds.push(s);
  }
  return seeds;
}

function parseGains(value: string | undefined): number[] {
  if (value === undefined) return [0];
  return value.split(',').map((part) => {
    const g = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(g) || Math.abs(g) > 60) throw new SensebindError('USAGE', `sensebind dataset: --gains expects dB values within +-60, e.g. "0,-10,-20", got "${value}"`);
    return g;
  });
}

async function exportRecordingsCommand(bags: string[], values: { model?: string; out?: string; hop?: string; gains?: string }, ctx: Parameters<Command['run']>[1]): Promise<number> {
  if (bags.length === 0) throw new SensebindError('USAGE', 'sensebind dataset export-recordings: give at least one recording (bag file)');
  const out = requireFlag('dataset', 'out', values.out);
  const hop = numberFlag('dataset', 'hop', values.hop, 1);
  if (!(hop > 0)) throw new SensebindError('USAGE', `sensebind dataset: --hop must be positive, got ${hop}`);
  const { loadManifest } = await import('../../embed/manifest.js');
  const manifest = await loadManifest(values.model ?? 'models/bind-mini', { verifyHashes: false });
  const { exportRecordings } = await import('../../eval/dataset-recordings.js');
  const started = Date.now();
  const summary = await exportRecordings({
    manifest, bags, out, hop, gainsDb: parseGains(values.gains),
    onBag: (bag, gainDb, windows) => ctx.logger.info({ bag, gainDb, windows, elapsedSeconds: Math.round((Date.now() - started) / 1000) }, 'exported recording'),
  });
  ctx.stdout.write(`${JSON.stringify({ ...summary, wallSeconds: Math.round((Date.now() - started) / 1000) })}\n`);
  return 0;
}

export const command: Command = {
  name: 'dataset',
  summary: 'export training tensors from simulated scenes; evaluate a model on held-out seeds',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('dataset', argv, {
      model: { type: 'string' },
      seeds: { type: 'string' },
      duration: { type: 'string' },
      hop: { type: 'string' },
      fps: { type: 'string' },
      events: { type: 'string' },
      out: { type: 'string' },
      markdown: { type: 'string' },
      gains: { type: 'string' },
      concepts: { type: 'string' },
      state: { type: 'string' },
      'per-modality': { type: 'string' },
      'core-from': { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    const sub = positionals[0];
    if (sub === 'export-recordings') return exportRecordingsCommand(positionals.slice(1), values, ctx);
    if (sub === 'familiarity') return (await import('../dataset-familiarity.js')).familiarityCommand(positionals.slice(1), values, ctx);
    if (sub !== 'export' && sub !== 'eval') {
      throw new SensebindError('USAGE', `sensebind dataset: expected a sub-command "export", "export-recordings", "familiarity" or "eval", got ${sub === undefined ? 'none' : `"${sub}"`} (see sensebind dataset --help)`);
    }
    const seeds = parseSeeds(requireFlag('dataset', 'seeds', values.seeds));
    const duration = numberFlag('dataset', 'duration', values.duration, 120);
    const hop = numberFlag('dataset', 'hop', values.hop, 1);
    const fps = numberFlag('dataset', 'fps', values.fps, 4);
    if (!(duration > 6)) throw new SensebindError('USAGE', `sensebind dataset: --duration must exceed 6 s (5 s warm-up), got ${duration}`);
    if (!(hop > 0)) throw new SensebindError('USAGE', `sensebind dataset: --hop must be positive, got ${hop}`);
    if (!(fps >= 1)) throw new SensebindError('USAGE', `sensebind dataset: --fps must be at least 1 (frames older than 1 s count as missing), got ${fps}`);
    const events = parseEventList(values.events);
    const { loadManifest } = await import('../../embed/manifest.js');
    const manifest = await loadManifest(values.model ?? 'models/bind-mini', { verifyHashes: sub === 'eval' });
    if (sub === 'export') {
      const out = requireFlag('dataset', 'out', values.out);
      const { exportDataset } = await import('../../sim/dataset.js');
      const started = Date.now();
      const summary = await exportDataset({
        manifest, seeds, duration, hop, fps, out, ...(events !== undefined ? { events } : {}),
        onSeed: (seed, n) => ctx.logger.info({ seed, windows: n, elapsedSeconds: Math.round((Date.now() - started) / 1000) }, 'exported seed'),
      });
      ctx.stdout.write(`${JSON.stringify({ ...summary, wallSeconds: Math.round((Date.now() - started) / 1000) })}\n`);
      return 0;
    }
    // An output that cannot be written fails now, not after the whole evaluation. 'a' leaves an
    // existing report as it is until the new one replaces it.
    const { closeSync, openSync, writeFileSync } = await import('node:fs');
    for (const [flag, path] of [['out', values.out], ['markdown', values.markdown]] as const) {
      if (path === undefined) continue;
      try {
        closeSync(openSync(path, 'a'));
      } catch (err) {
        throw cannotWrite(`--${flag}`, path, err);
      }
    }
    const { evaluateWindows, reportMarkdown } = await import('../../sim/window-eval.js');
    const report = await evaluateWindows({
      manifest, seeds, duration, hop, fps, ...(events !== undefined ? { events } : {}),
      onSeed: (seed, n) => ctx.logger.info({ seed, windows: n }, 'evaluated seed'),
    });
    const write = (flag: string, path: string, text: string) => {
      try {
        writeFileSync(path, text);
      } catch (err) {
        throw cannotWrite(`--${flag}`, path, err);
      }
    };
    if (values.out !== undefined) write('out', values.out, `${JSON.stringify(report, null, 2)}\n`);
    if (values.markdown !== undefined) write('markdown', values.markdown, reportMarkdown(report));
    ctx.stdout.write(`${JSON.stringify(report.summary)}\n`);
    return 0;
  },
};
