/**
 * `sensebind preprocess`: one input file (or a text) -> the exact tensor the model's manifest asks for,
 * written as raw little-endian values, with its shape and dtype printed as one JSON line. Used to check
 * preprocessing against other implementations and to feed graphs outside sensebind.
 */
import { writeFile } from 'node:fs/promises';
import { SensebindError, cannotWrite } from '../../core/errors.js';
import { MODALITIES, type Modality } from '../../core/types.js';
import { loadManifest } from '../../embed/manifest.js';
import { preprocessFile, preprocessText, tensorBytes, type PreprocessParams, type Tensor } from '../../preprocess/index.js';
import { FILE_INPUT_FLAGS, IMU_CSV_HELP, fileInputOptions } from '../file-input-flags.js';
import { parseCommandArgs, requireFlag, type Command } from '../command.js';

const NAME = 'preprocess';

const HELP = `Usage: sensebind preprocess --model <dir> --modality <m> (--input <file> | --text "<string>") --out <file> [options]

Turns one input into the tensor the model expects and writes it as raw little-endian values
(float32; int64 for text). Prints {"shape":[...],"dtype":"float32"} on stdout.

  --model <dir>        model folder with manifest.json (e.g. models/imagebind)
  --modality <m>       vision | audio | depth | thermal | imu | text
  --input <file>       vision: jpeg/png; audio: wav (8/16/24/32-bit int, float, any rate/channels);
                       depth: 16-bit png (millimetres) or .f32 metres with --shape;
                       thermal: 8/16-bit png or .f32 with --shape; imu: csv (layouts and units below);
                       text: a UTF-8 text file
  --text "<string>"    text to tokenise (instead of --input)
  --out <file>         where to write the tensor
  --shape HxW          height and width of a .f32 input
  --depth-units <n>    depth png units per metre (default 1000 = millimetres; TUM: 5000)
  --start <seconds>    imu csv: window start in the file's time (default: first reading)
  --imu-columns, --imu-units   imu csv: column map and units (below)

${IMU_CSV_HELP}`;

export const command: Command = {
  name: NAME,
  summary: 'turn one input file into the exact tensor a model expects',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs(NAME, argv, {
      model: { type: 'string' },
      modality: { type: 'string' },
      input: { type: 'string' },
      text: { type: 'string' },
      out: { type: 'string' },
      ...FILE_INPUT_FLAGS,
    });
    const modelDir = requireFlag(NAME, 'model', values.model);
    const modality = requireFlag(NAME, 'modality', values.modality);
    const out = requireFlag(NAME, 'out', values.out);
    if (!(MODALITIES as readonly string[]).includes(modality)) {
      throw new SensebindError('USAGE', `sensebind ${NAME}: --modality must be one of ${MODALITIES.join(', ')}, got "${modality}"`);
    }
    const m = modality as Modality;
    if ((values.input === undefined) === (values.text === undefined)) {
      throw new SensebindError('USAGE', `sensebind ${NAME}: give exactly one of --input <file> or --text "<string>"`);
    }
    if (values.text !== undefined && m !== 'text') {
      throw new SensebindError('USAGE', `sensebind ${NAME}: --text works with --modality text only (got --modality ${m})`);
    }
    const options = { ...fileInputOptions(NAME, modelDir, values), onNote: (note: string) => ctx.logger.warn(note) };

    const loaded = await loadManifest(modelDir, { verifyHashes: false });
    const entry = loaded.manifest.modalities[m];
    if (entry === undefined) {
      const has = MODALITIES.filter((x) => loaded.manifest.modalities[x] !== undefined);
      throw new SensebindError('USAGE', `sensebind ${NAME}: model ${loaded.path} has no ${m} modality (it has ${has.join(', ')})`);
    }
    const params = entry.preprocess as PreprocessParams[typeof m];
    const t0 = performance.now();
    const tensor: Tensor =
      values.text !== undefined
        ? preprocessText(values.text, params as PreprocessParams['text'], loaded.dir)
        : await preprocessFile(m, values.input!, params, options);
    ctx.logger.debug({ modality: m, ms: performance.now() - t0 }, 'preprocessed');
    try {
      await writeFile(out, tensorBytes(tensor));
    } catch (err) {
      throw cannotWrite('--out', out, err);
    }
    ctx.stdout.write(`${JSON.stringify({ shape: tensor.dims, dtype: tensor.dtype })}\n`);
    return 0;
  },
};
