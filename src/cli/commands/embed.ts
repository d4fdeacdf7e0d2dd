/**
 * `sensebind embed`: one input file (or a text) -> its embedding, through the same manifest, preprocessing,
 * provider chain and graph the agent uses. Prints one JSON line; logs (which provider loaded and why the
 * others did not) go to stderr.
 */
import { SensebindError } from '../../core/errors.js';
import { resolveBundled } from '../../config/paths.js';
import { MODALITIES, type Modality } from '../../core/types.js';
import { PROVIDERS, type ProviderName } from '../../embed/providers.js';
import { EmbeddingRuntime } from '../../embed/runtime.js';
import { preprocessFile, type PreprocessParams } from '../../preprocess/index.js';
import { FILE_INPUT_FLAGS, IMU_CSV_HELP, fileInputOptions } from '../file-input-flags.js';
import { parseCommandArgs, type Command } from '../command.js';

const NAME = 'embed';

const HELP = `Usage: sensebind embed [--model <dir>] --modality <m> (--input <file> | --text "<string>") [options]

Embeds one input with the model's graph for that modality and prints
{"modality":..,"dim":..,"provider":..,"scale":..,"model":..,"vector":[...]} (vector: unit length).

  --model <dir>          model folder with manifest.json (default: config model.dir)
  --modality <m>         vision | audio | depth | thermal | imu | text (default text with --text)
  --input <file>         vision: jpeg/png; audio: wav (all of the file's clips, averaged);
                         depth: 16-bit png (millimetres) or .f32 metres with --shape;
                         thermal: 8/16-bit png or .f32 with --shape; imu: csv (layouts and units below);
                         text: a UTF-8 text file
  --text "<string>"      text to embed (served from the text embedding cache, config model.cacheDir,
                         when embedded before: then "provider" is "cache")
  --providers <list>     execution providers to try in order, e.g. cpu or cuda,cpu
                         (default: config model.providers = tensorrt,cuda,webgpu,cpu)
  --no-verify            skip the sha256 check of the graph files
  --shape HxW            height and width of a .f32 input
  --depth-units <n>      depth png units per metre (default 1000 = millimetres; TUM: 5000)
  --start <seconds>      imu csv: window start in the file's time (default: first reading)
  --imu-columns, --imu-units   imu csv: column map and units (below)

${IMU_CSV_HELP}`;

function parseProviders(value: string): ProviderName[] {
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((p) => !(PROVIDERS as readonly string[]).includes(p));
  if (list.length === 0 || bad.length > 0) {
    throw new SensebindError('USAGE', `sensebind ${NAME}: --providers takes a comma-separated list of ${PROVIDERS.join(', ')}, got "${value}"`);
  }
  return list as ProviderName[];
}

export const command: Command = {
  name: NAME,
  summary: 'embed one file or text with the model and print the vector as JSON',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(NAME, argv, {
      model: { type: 'string' },
      modality: { type: 'string' },
      input: { type: 'string' },
      text: { type: 'string' },
      providers: { type: 'string' },
      'no-verify': { type: 'boolean' },
      ...FILE_INPUT_FLAGS,
    });
    if ((values.input === undefined) === (values.text === undefined)) {
      throw new SensebindError('USAGE', `sensebind ${NAME}: give exactly one of --input <file> or --text "<string>" (see sensebind ${NAME} --help)`);
    }
    const modality = values.modality ?? (values.text !== undefined ? 'text' : undefined);
    if (modality === undefined) throw new SensebindError('USAGE', `sensebind ${NAME}: --modality is required with --input (${MODALITIES.join(', ')})`);
    if (!(MODALITIES as readonly string[]).includes(modality)) {
      throw new SensebindError('USAGE', `sensebind ${NAME}: --modality must be one of ${MODALITIES.join(', ')}, got "${modality}"`);
    }
    const m = modality as Modality;
    if (values.text !== undefined && m !== 'text') {
      throw new SensebindError('USAGE', `sensebind ${NAME}: --text works with --modality text only (got --modality ${m})`);
    }
    const config = await ctx.loadConfig();
    const modelDir = resolveBundled(values.model ?? config.model.dir);
    const providers = values.providers !== undefined ? parseProviders(values.providers) : config.model.providers;
    const runtime = await EmbeddingRuntime.open(modelDir, {
      providers,
      cacheDir: config.model.cacheDir,
      intraOpThreads: config.model.intraOpThreads,
      interOpThreads: config.model.interOpThreads,
      verifyHashes: values['no-verify'] !== true,
      logger: ctx.logger,
    });
    try {
      let embedding;
      if (values.text !== undefined) {
        [embedding] = await runtime.embedText([values.text]);
      } else {
        const entry = runtime.manifest.modalities[m];
        if (entry === undefined) {
          throw new SensebindError('USAGE', `sensebind ${NAME}: model ${runtime.loaded.path} has no ${m} modality (it has ${runtime.modalities().join(', ')})`);
        }
        const options = { ...fileInputOptions(NAME, runtime.loaded.dir, values), onNote: (note: string) => ctx.logger.warn(note) };
        const tensor = await preprocessFile(m, values.input!, entry.preprocess as PreprocessParams[typeof m], options);
        [embedding] = await runtime.embedTensors(m, [tensor]);
      }
      const e = embedding!;
      ctx.stdout.write(
        `${JSON.stringify({ modality: m, dim: e.vector.length, provider: runtime.provider(m) ?? (m === 'text' ? 'cache' : null), scale: e.scale, model: runtime.modelId, vector: Array.from(e.vector) })}\n`,
      );
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
