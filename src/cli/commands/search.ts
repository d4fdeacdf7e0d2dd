/**
 * `sensebind search`: asks the recall store (docs/recall.md) when something happened, by text or by
 * example, scored with the matcher's calibration; prints time ranges with scores and clip links.
 */
import { SensebindError } from '../../core/errors.js';
import { isSensorModality } from '../../core/types.js';
import { PIPELINE_FLAGS, PIPELINE_HELP, pipelineOptions } from '../pipeline-flags.js';
import { openPipeline } from '../../pipeline/open.js';
import { LanceRecallStore } from '../../recall/lance-store.js';
import { executeSearch, searchRequestSchema, type SearchResponse } from '../../recall/request.js';
import { numberFlag, parseCommandArgs, type Command } from '../command.js';

const HELP = `Usage: sensebind search "<text>" [options]
       sensebind search --like <file|bag@seconds> [options]

Searches the embedding memory written by \`run\` (config recall.dir) or \`replay <bag> --remember <dir>\`.
Each remembered moment is scored like a concept that was never set up: the query joins the concept set's
per-modality softmax and is fused over the modalities the moment had. Adjacent moments merge into ranges.

Options:
  --store <dir>        recall store (default: config recall.dir)
  --like <example>     an example instead of text: an image (.png/.jpg), sound (.wav), IMU window (.csv),
                       or <bag>@<seconds> (that moment of a recording, all its modalities)
  --like-modality <m>  the example's modality when the extension does not say
  --modality <list>    modalities that may give evidence, e.g. audio or vision,depth (default: all)
  --since <t>          only moments at or after t: seconds on the agent clock, an ISO date, or
                       -<n>s|m|h|d before the newest remembered moment (e.g. -12h)
  --until <t>          only moments at or before t (same forms)
  --top <k>            ranges to print (default 10)
  --gap <s>            largest gap inside one range, seconds (default 1.5)
  --json               print the result as JSON
${PIPELINE_HELP}`;

export const command: Command = {
  name: 'search',
  summary: 'search the remembered embeddings by text or example (recall)',
  help: HELP,
  async run(argv, ctx) {
    const { values, positionals } = parseCommandArgs('search', argv, {
      ...PIPELINE_FLAGS,
      store: { type: 'string' },
      like: { type: 'string' },
      'like-modality': { type: 'string' },
      modality: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      top: { type: 'string' },
      gap: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (positionals.length > 1) throw new SensebindError('USAGE', `sensebind search: expected one quoted query text, got ${positionals.length} words (quote the text)`);
    const text = positionals[0];
    if ((text === undefined) === (values.like === undefined)) throw new SensebindError('USAGE', 'sensebind search: give a query text or --like <example>, not both (see sensebind search --help)');
    const config = await ctx.loadConfig();
    const dir = values.store ?? config.recall.dir;
    if (dir === '') throw new SensebindError('USAGE', 'sensebind search: no store; pass --store <dir> or set recall.dir in the config');
    const modalities = values.modality?.split(',').map((s) => s.trim());
    for (const m of modalities ?? []) if (!isSensorModality(m)) throw new SensebindError('USAGE', `--modality: unknown modality "${m}"`);
    const parsed = searchRequestSchema.safeParse({
      text,
      like: values.like,
      likeModality: values['like-modality'],
      modalities,
      since: values.since,
      until: values.until,
      top: numberFlag('search', 'top', values.top, 10),
      gapSeconds: numberFlag('search', 'gap', values.gap, 1.5),
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SensebindError('USAGE', `sensebind search: ${issue?.path.join('.') || 'query'}: ${issue?.message ?? 'invalid'}`);
    }
    const pipeline = await openPipeline(await pipelineOptions(ctx, values), { logger: ctx.logger });
    try {
      const store = await LanceRecallStore.open({ dir, modelId: pipeline.runtime.modelId, dim: pipeline.runtime.manifest.embeddingDim, create: false });
      try {
        const result = await executeSearch(
          { store, pipeline, config, hopSeconds: config.window.hopSeconds, calibration: { textScale: pipeline.runtime.scale('text'), ...config.match.calibration }, weights: config.match.fusion.weights },
          parsed.data,
        );
        ctx.stdout.write(values.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result));
        return 0;
      } finally {
        await store.close();
      }
    } finally {
      await pipeline.close();
    }
  },
};

function formatResult(r: SearchResponse): string {
  if (r.ranges.length === 0) return `no remembered moment matches (${r.scored} scored)\n`;
  const lines = r.ranges.map((g, i) => {
    const at = g.startTime ?? `${(Number(BigInt(g.start)) / 1e9).toFixed(1)} s`;
    const per = Object.entries(g.modalityScores)
      .map(([m, s]) => `${m} ${s.toFixed(2)}`)
      .join(', ');
    return `${String(i + 1).padStart(2)}. ${at}  ${g.durationSeconds.toFixed(1)} s  score ${g.score.toFixed(3)}  (${per})${g.clip !== null ? `  ${g.clip}` : ''}`;
  });
  return `${lines.join('\n')}\n(${r.scored} moments scored in ${Math.round(r.ms.nearest + r.ms.read + r.ms.score)} ms)\n`;
}
