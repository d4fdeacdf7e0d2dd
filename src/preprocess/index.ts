/**
 * Preprocessing entry points: live windows (from Snapshots), text, and files, each turned into exactly the
 * tensor the manifest's model expects (dims without the batch axis). Pure computation lives in the modality
 * modules; this file only dispatches and does the file I/O.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { SensorModality, TaggedWindow } from '../core/types.js';
import { audioFileTensor, audioWindowTensor } from './audio.js';
import { depthTensor, thermalTensor, type FloatImage } from './depth.js';
import { readGreyImage, readRgbImage } from './image-file.js';
import { readImuCsv, type ImuCsvOptions } from './imu-csv.js';
import { imuTensorFromReadings, imuWindowTensor } from './imu.js';
import type { PreprocessParams, TextPreprocess } from './params.js';
import type { Tensor } from './tensor.js';
import { loadTokenizer } from './tokenizer.js';
import { preprocessRgb } from './vision.js';
import { readWav } from './wav.js';

export type { Tensor } from './tensor.js';
export { tensorBytes } from './tensor.js';
export { resampleImu } from './imu.js';
export * from './params.js';

/** The preprocessing parameters of the sensor modalities a model has (a manifest's `preprocess` entries). */
export type WindowParams = { [M in SensorModality]?: PreprocessParams[M] };

export interface PreprocessWindowOptions {
  /**
   * Write the values here (e.g. this window's slice of the runtime's batch buffer) instead of a new array;
   * must hold at least the tensor's element count. The returned tensor's data is a view of it.
   */
  into?: Float32Array | undefined;
}

function paramsOf<P>(params: P | undefined, modality: SensorModality): P {
  if (params === undefined) throw new SensebindError('INPUT', `no ${modality} preprocessing parameters (the model has no ${modality} modality)`);
  return params;
}

/**
 * Turns one live window into the model's tensor with its modality's parameters from `params`.
 * Throws (RangeError / SensebindError) on malformed windows.
 */
export async function preprocessWindow(tagged: TaggedWindow, params: WindowParams, options: PreprocessWindowOptions = {}): Promise<Tensor> {
  const { into } = options;
  switch (tagged.modality) {
    case 'vision': {
      const s = tagged.window.sample;
      return preprocessRgb({ width: s.width, height: s.height, rgb: s.rgb }, paramsOf(params.vision, 'vision'), `vision frame from ${s.sensorId}`, into);
    }
    case 'depth': {
      const s = tagged.window.sample;
      return depthTensor({ width: s.width, height: s.height, values: s.metres }, paramsOf(params.depth, 'depth'), into);
    }
    case 'thermal': {
      const s = tagged.window.sample;
      return thermalTensor({ width: s.width, height: s.height, values: s.values }, paramsOf(params.thermal, 'thermal'), into);
    }
    case 'audio':
      return audioWindowTensor(tagged.window.samples, tagged.window.rate, paramsOf(params.audio, 'audio'), into);
    case 'imu':
      return imuWindowTensor(tagged.window, paramsOf(params.imu, 'imu'), into);
    default: {
      const never: never = tagged;
      throw new SensebindError('USAGE', `no preprocessing for window ${JSON.stringify((never as { modality?: unknown }).modality)}`);
    }
  }
}

/** Tokenises a text: int64 [contextLength]. `modelDir` is searched for the vocabulary before models/tokenizers. */
export function preprocessText(text: string, params: TextPreprocess, modelDir?: string): Tensor {
  return loadTokenizer(params.vocabulary, modelDir).tokenize(text, params);
}

export interface PreprocessFileOptions {
  /** Folder of the model (text vocabulary lookup). */
  modelDir?: string;
  /** Height and width of a headerless .f32 depth/thermal file (row-major float32 little-endian). */
  shape?: [number, number];
  /** Depth PNG units per metre: 1000 for millimetres (REP-118 16UC1), 5000 for TUM. @default 1000 */
  depthUnitsPerMetre?: number;
  /** IMU csv: window start in the file's time (seconds). @default the first reading */
  imuStartSeconds?: number;
  /** IMU csv: column map and units where the header does not give them (imu-csv.ts). */
  imuCsv?: ImuCsvOptions;
  /** Told what was assumed about the input (an IMU file without gyroscope columns read as zeros). */
  onNote?: (note: string) => void;
}

function inputError(path: string, err: unknown): SensebindError {
  return err instanceof SensebindError ? err : new SensebindError('INPUT', `${path}: ${errorMessage(err)}`, { cause: err });
}

async function readF32(path: string, shape: [number, number] | undefined): Promise<FloatImage> {
  if (shape === undefined) throw new SensebindError('USAGE', `${path}: a .f32 file has no header; give its size with --shape HxW`);
  const [height, width] = shape;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new SensebindError('INPUT', `${path}: cannot read (${errorMessage(err)})`);
  }
  const expected = width * height * 4;
  if (bytes.length !== expected) {
    throw new SensebindError('INPUT', `${path}: ${bytes.length} bytes, expected ${expected} (${height}x${width} float32)`);
  }
  const values = new Float32Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
  return { width, height, values };
}

/** Turns one input file into the model's tensor (audio files: `fileClips` clips). */
export async function preprocessFile<M extends SensorModality | 'text'>(
  modality: M,
  path: string,
  params: PreprocessParams[M],
  options: PreprocessFileOptions = {},
): Promise<Tensor> {
  const ext = extname(path).toLowerCase();
  try {
    switch (modality) {
      case 'vision':
        return await preprocessRgb(await readRgbImage(path), params as PreprocessParams['vision'], path);
      case 'audio': {
        const wav = await readWav(path);
        return audioFileTensor(wav.channels, wav.rate, params as PreprocessParams['audio']);
      }
      case 'depth': {
        const p = params as PreprocessParams['depth'];
        if (ext === '.f32') return depthTensor(await readF32(path, options.shape), p);
        const img = await readGreyImage(path);
        if (img.bits !== 16) throw new SensebindError('INPUT', `${path}: an 8-bit image; depth must be a 16-bit PNG (units per metre ${options.depthUnitsPerMetre ?? 1000}) or a .f32 in metres`);
        const perMetre = options.depthUnitsPerMetre ?? 1000;
        const metres = new Float32Array(img.values.length);
        for (let i = 0; i < metres.length; i++) metres[i] = img.values[i]! / perMetre; // 0 stays 0 = invalid
        return depthTensor({ width: img.width, height: img.height, values: metres }, p);
      }
      case 'thermal': {
        const p = params as PreprocessParams['thermal'];
        const img = ext === '.f32' ? await readF32(path, options.shape) : await readGreyImage(path);
        return thermalTensor(img, p);
      }
      case 'imu': {
        const p = params as PreprocessParams['imu'];
        const rec = await readImuCsv(path, options.imuCsv);
        if (rec.absent.length > 0) options.onNote?.(`${path}: no ${rec.absent.join(' or ')} columns; those channels are fed to the model as zeros`);
        return imuTensorFromReadings(rec.t, rec.channels, options.imuStartSeconds ?? rec.t[0]!, p);
      }
      case 'text': {
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch (err) {
          throw new SensebindError('INPUT', `${path}: cannot read (${errorMessage(err)})`);
        }
        return preprocessText(text, params as TextPreprocess, options.modelDir);
      }
      default: {
        const never: never = modality as never;
        throw new SensebindError('USAGE', `no preprocessing for modality ${String(never)}`);
      }
    }
  } catch (err) {
    throw inputError(path, err);
  }
}
