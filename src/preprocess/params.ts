/**
 * Preprocessing parameters, one schema per modality, as they appear under `modalities.<m>.preprocess` in a
 * model manifest (DESIGN.md, "Models are data"). Defaults are ImageBind's reference values
 * (../shared/reference/imagebind.md); where no source pins a value down (depth normalisation, thermal
 * intensity, IMU order/units) the default is the most common public choice and the comment says so, so a
 * manifest can override it without a code change.
 */
import { z } from 'zod';

const rgb = z.tuple([z.number(), z.number(), z.number()]);
const positive = z.number().positive();

/** Shared image geometry: resize the short side, then centre-crop a square (torchvision Resize + CenterCrop). */
const geometry = {
  /** Short side after resizing; the long side is int(size * long / short) (truncated, as torchvision does). */
  size: z.number().int().positive().default(224),
  /** Side of the centre square cropped after resizing; offsets round((L - crop) / 2) half-to-even. */
  crop: z.number().int().positive().default(224),
  /** Resampling filter, with Pillow's antialiasing (support scaled by the reduction factor). */
  interpolation: z.enum(['bicubic', 'bilinear']).default('bicubic'),
};

export const visionPreprocessSchema = z.strictObject({
  ...geometry,
  /**
   * Who resizes: 'pil' = a bit-exact port of Pillow's 8-bit two-pass resampler (what ImageBind trained with);
   * 'sharp' = libvips through sharp (faster on huge frames, differs from Pillow by up to a few grey levels,
   * see docs/preprocess.md).
   */
  resizer: z.enum(['pil', 'sharp']).default('pil'),
  /** Per-channel mean (R, G, B) subtracted after scaling pixels to [0, 1] (CLIP's). */
  mean: rgb.default([0.48145466, 0.4578275, 0.40821073]),
  /** Per-channel standard deviation (R, G, B) divided after subtracting the mean (CLIP's). */
  std: rgb.default([0.26862954, 0.26130258, 0.27577711]),
});

export const audioPreprocessSchema = z.strictObject({
  /** Rate the model's fbank runs at, in Hz; other rates are resampled (windowed sinc). */
  sampleRate: z.number().int().positive().default(16000),
  /** Length of one clip in seconds. */
  clipSeconds: positive.default(2),
  /** Clips taken from a file: evenly spaced starts 0 .. D - clipSeconds (pytorchvideo ConstantClipsPerVideoSampler). */
  fileClips: z.number().int().positive().default(3),
  /** Clips taken from a live window: the newest `clipSeconds` (the model averages clips, so 1 is enough live). */
  liveClips: z.number().int().positive().default(1),
  /**
   * How a multi-channel file becomes mono: 'channel0' = the first channel, as torchaudio's Kaldi fbank does in
   * the reference (stereo is NOT downmixed there); 'downmix' = the mean of all channels.
   */
  mono: z.enum(['channel0', 'downmix']).default('channel0'),
  /**
   * Reproduce the reference's in-place clip mean subtraction: each clip's mean (over all channels) is
   * subtracted from a buffer the clips share, so overlapping clips of audio shorter than 3 clips see each
   * other's shift. false = each clip subtracts its own mean from a private copy.
   */
  sharedBufferMean: z.boolean().default(true),
  /** Resampler (torchaudio.functional.resample's defaults). */
  resample: z
    .strictObject({
      /** Zero crossings of the sinc on each side (torchaudio lowpass_filter_width). */
      lowpassFilterWidth: z.number().int().positive().default(6),
      /** Cutoff as a fraction of the lower Nyquist rate (torchaudio rolloff). */
      rolloff: z.number().positive().max(1).default(0.99),
    })
    .prefault({}),
  /** Mel bins of the Kaldi fbank. */
  melBins: z.number().int().positive().default(128),
  /** Frames the model takes: fewer are zero-padded on the right, more are cropped. */
  targetFrames: z.number().int().positive().default(204),
  /** Frame length in ms (Kaldi frame_length). */
  frameLengthMs: positive.default(25),
  /** Frame shift in ms (Kaldi frame_shift). */
  frameShiftMs: positive.default(10),
  /** Analysis window (Kaldi window_type); the reference uses 'hanning' (symmetric Hann). */
  window: z.enum(['hanning', 'hamming', 'povey', 'rectangular', 'blackman']).default('hanning'),
  /** Blackman coefficient, used only by window 'blackman'. */
  blackmanCoeff: z.number().default(0.42),
  /** Gaussian dither amplitude; the reference uses 0 (deterministic). */
  dither: z.number().min(0).default(0),
  /** Pre-emphasis coefficient (Kaldi preemphasis_coefficient); the first sample of a frame uses itself. */
  preemphasis: z.number().min(0).max(1).default(0.97),
  /** Subtract each frame's mean before pre-emphasis (Kaldi remove_dc_offset). */
  removeDcOffset: z.boolean().default(true),
  /** Zero-pad each frame to the next power of two for the FFT (Kaldi round_to_power_of_two). */
  roundToPowerOfTwo: z.boolean().default(true),
  /** Only whole frames (Kaldi snip_edges); false is not supported by this implementation's contract. */
  snipEdges: z.literal(true).default(true),
  /** Lowest mel filter edge in Hz. */
  lowFreq: z.number().min(0).default(20),
  /** Highest mel filter edge in Hz; <= 0 means Nyquist + highFreq (Kaldi's convention; the reference: 0 = 8000 Hz). */
  highFreq: z.number().default(0),
  /** Power spectrum (true) or magnitude (false) (Kaldi use_power). */
  usePower: z.boolean().default(true),
  /** Natural log of the mel energies, floored at float32 epsilon (Kaldi use_log_fbank). */
  useLogFbank: z.boolean().default(true),
  /** Mean subtracted from the log-mel spectrogram (ImageBind: -4.268). */
  normMean: z.number().default(-4.268),
  /** Standard deviation dividing it (ImageBind: 9.138). */
  normStd: positive.default(9.138),
});

export const textPreprocessSchema = z.strictObject({
  /** Tokens per text, SOT and EOT included; shorter texts are zero-padded. */
  contextLength: z.number().int().min(2).default(77),
  /**
   * CLIP BPE vocabulary (gzipped merges file). A bare name is looked up in the model folder, then in the
   * project's models/tokenizers/.
   */
  vocabulary: z.string().min(1).default('bpe_simple_vocab_16e6.txt.gz'),
  /**
   * Long texts: 'keep' = truncate the tokens and always end with EOT (ImageBind HEAD since commit 1125e1e);
   * 'truncate' = cut after EOT is appended, so long texts lose it (older ImageBind and OpenAI CLIP's default).
   */
  eot: z.enum(['keep', 'truncate']).default('keep'),
  /** Id that pads the tail. */
  padId: z.number().int().min(0).default(0),
});

export const depthPreprocessSchema = z.strictObject({
  ...geometry,
  /** Depth is clipped to [minMetres, maxMetres] before conversion (Omnivore issue #12: 0.01 .. 50). */
  minMetres: positive.default(0.01),
  maxMetres: positive.default(50),
  /** Model input: 'disparity' = baseline * focal / metres (ImageBind paper, following Omnivore); 'metres' = depth itself. */
  representation: z.enum(['disparity', 'metres']).default('disparity'),
  /** Stereo/structured-light baseline in metres (Kinect 0.075; RealSense/Xtion 0.095). */
  baselineMetres: positive.default(0.075),
  /** Focal length in pixels used for disparity; ImageBind's value is unknown (this default: NYU-Depth v2 Kinect fx). */
  focalPx: positive.default(518.8579),
  /** The converted value is clamped to [0, clampMax] and divided by `divisor` (Omnivore: 75 and 75). */
  clampMax: positive.default(75),
  divisor: positive.default(75),
  /** Value for invalid pixels (NaN, 0 in 16UC1, +Inf no return) after conversion, before normalisation. */
  invalidValue: z.number().default(0),
  /**
   * Normalisation after scaling: (x - mean) / std. Omnivore's 0.0418 / 0.0295; whether ImageBind applies it is
   * unknown (mean 0, std 1 turns it off).
   */
  mean: z.number().default(0.0418),
  std: positive.default(0.0295),
});

export const thermalPreprocessSchema = z.strictObject({
  ...geometry,
  /** Sensor values are mapped linearly from [rangeMin, rangeMax] onto [0, 1] (8-bit images: 0 .. 255). */
  rangeMin: z.number().default(0),
  rangeMax: z.number().default(255),
  /** Clamp to [0, 1] after the mapping (sensor values outside the range). */
  clamp: z.boolean().default(true),
  /** Normalisation (x - mean) / std; ImageBind's is unknown, this default is CLIP's red channel (Weaviate's loader). */
  mean: z.number().default(0.48145466),
  std: positive.default(0.26862954),
});

export const IMU_CHANNELS = ['ax', 'ay', 'az', 'gx', 'gy', 'gz'] as const;
export type ImuChannel = (typeof IMU_CHANNELS)[number];

export const imuPreprocessSchema = z.strictObject({
  /** Window length in seconds (ImageBind/Ego4D: 5 s). */
  windowSeconds: positive.default(5),
  /** Evenly spaced steps the window is linearly resampled onto (ImageBind: 2000, about 400 Hz). */
  samples: z.number().int().positive().default(2000),
  /**
   * Which reading goes to each model channel (accelerometer ax..az in m/s^2, gyroscope gx..gz in rad/s).
   * ImageBind's order is unknown; this default is accelerometer then gyroscope, X Y Z.
   */
  channelOrder: z
    .array(z.enum(IMU_CHANNELS))
    .length(6)
    .refine((a) => new Set(a).size === 6, 'each of ax, ay, az, gx, gy, gz exactly once')
    .default(['ax', 'ay', 'az', 'gx', 'gy', 'gz']),
  /** Multiplier per model channel (after reordering); ImageBind's units are unknown, 1 = SI units as they come. */
  scale: z.array(z.number()).length(6).default([1, 1, 1, 1, 1, 1]),
});

const preprocessSchemas = {
  vision: visionPreprocessSchema,
  audio: audioPreprocessSchema,
  text: textPreprocessSchema,
  depth: depthPreprocessSchema,
  thermal: thermalPreprocessSchema,
  imu: imuPreprocessSchema,
} as const;

export type VisionPreprocess = z.infer<typeof visionPreprocessSchema>;
export type AudioPreprocess = z.infer<typeof audioPreprocessSchema>;
export type TextPreprocess = z.infer<typeof textPreprocessSchema>;
export type DepthPreprocess = z.infer<typeof depthPreprocessSchema>;
export type ThermalPreprocess = z.infer<typeof thermalPreprocessSchema>;
export type ImuPreprocess = z.infer<typeof imuPreprocessSchema>;

/** Parameters by modality name. */
export interface PreprocessParams {
  vision: VisionPreprocess;
  audio: AudioPreprocess;
  text: TextPreprocess;
  depth: DepthPreprocess;
  thermal: ThermalPreprocess;
  imu: ImuPreprocess;
}

/** ImageBind's parameters for every modality (the schemas' defaults). */
export function defaultPreprocess<M extends keyof PreprocessParams>(modality: M): PreprocessParams[M] {
  return preprocessSchemas[modality].parse({}) as PreprocessParams[M];
}
