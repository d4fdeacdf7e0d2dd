/**
 * Audio: waveform -> ImageBind's float32 [clips, 1, melBins, targetFrames] (imagebind/data.py
 * load_and_transform_audio_data + waveform2melspec). Files take `fileClips` evenly spaced clips; live windows
 * take the newest clip. The reference subtracts each clip's mean in place on a buffer the clips share
 * (`sharedBufferMean`), over all channels, then runs the Kaldi fbank on channel 0.
 */
import type { AudioPreprocess } from './params.js';
import { clipRanges } from './clips.js';
import { kaldiFbank, type FbankSettings } from './fbank.js';
import { resampleSinc, resampledLength } from './resample-sinc.js';
import { scratchF32 } from './scratch.js';
import { float32Tensor, outputBuffer, type Tensor } from './tensor.js';
import type { Engine } from './wasm/kernels.js';

function fbankSettings(p: AudioPreprocess): FbankSettings {
  return {
    sampleRate: p.sampleRate,
    frameLengthMs: p.frameLengthMs,
    frameShiftMs: p.frameShiftMs,
    melBins: p.melBins,
    window: p.window,
    blackmanCoeff: p.blackmanCoeff,
    dither: p.dither,
    preemphasis: p.preemphasis,
    removeDcOffset: p.removeDcOffset,
    roundToPowerOfTwo: p.roundToPowerOfTwo,
    lowFreq: p.lowFreq,
    highFreq: p.highFreq,
    usePower: p.usePower,
    useLogFbank: p.useLogFbank,
  };
}

/** Mean of all channels (the 'downmix' option; the reference never does this). */
function downmix(channels: readonly Float32Array[]): Float32Array {
  const first = channels[0]!;
  if (channels.length === 1) return first;
  const out = new Float32Array(first.length);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (const ch of channels) s += ch[i]!;
    out[i] = s / channels.length;
  }
  return out;
}

/** The channels the pipeline carries: all of them for 'channel0' (the clip means span every channel), one for 'downmix'. */
function selectChannels(channels: readonly Float32Array[], p: AudioPreprocess): Float32Array[] {
  return p.mono === 'downmix' ? [downmix(channels)] : [...channels];
}

/**
 * One clip's normalised log-mel block written into `out` at `offset` ([melBins][targetFrames]).
 * `buffers` are the channels of the whole signal; the clip is [start, end) of them.
 */
function clipToMel(buffers: Float32Array[], start: number, end: number, p: AudioPreprocess, out: Float32Array, offset: number): void {
  const n = buffers[0]!.length;
  const s = Math.min(start, n);
  const e = Math.min(end, n);
  const len = e - s;
  // In the shared-buffer mode the subtraction lands in `buffers` (later overlapping clips see it).
  const views = buffers.map((b) => (p.sharedBufferMean ? b.subarray(s, e) : b.slice(s, e)));
  if (len > 0) {
    let sum = 0;
    for (const v of views) for (let i = 0; i < len; i++) sum += v[i]!;
    const mean = Math.fround(sum / (len * views.length));
    for (const v of views) for (let i = 0; i < len; i++) v[i] = v[i]! - mean;
  }
  const fb = kaldiFbank(views[0]!, fbankSettings(p));
  const T = p.targetFrames;
  const m = Math.fround(p.normMean);
  const sd = Math.fround(p.normStd);
  const padValue = Math.fround(Math.fround(0 - m) / sd);
  const frames = Math.min(fb.frames, T);
  for (let b = 0; b < p.melBins; b++) {
    const row = offset + b * T;
    for (let t = 0; t < frames; t++) out[row + t] = Math.fround(Math.fround(Math.fround(fb.data[t * fb.bins + b]!) - m) / sd);
    out.fill(padValue, row + frames, row + T);
  }
}

function melTensor(buffers: Float32Array[], ranges: [number, number][], p: AudioPreprocess, into?: Float32Array): Tensor {
  const block = p.melBins * p.targetFrames;
  const out = outputBuffer(ranges.length * block, into);
  ranges.forEach(([s, e], i) => clipToMel(buffers, s, e, p, out, i * block));
  return float32Tensor([ranges.length, 1, p.melBins, p.targetFrames], out);
}

function toModelRate(channels: readonly Float32Array[], rate: number, p: AudioPreprocess): Float32Array[] {
  return channels.map((ch) => (rate === p.sampleRate ? Float32Array.from(ch) : resampleSinc(ch, rate, p.sampleRate, p.resample)));
}

/** A whole recording (any rate, any channels) -> `fileClips` clips, as the reference loads a file. */
export function audioFileTensor(channels: readonly Float32Array[], rate: number, p: AudioPreprocess): Tensor {
  if (channels.length === 0 || channels[0]!.length === 0) throw new RangeError('audio has no samples');
  const buffers = toModelRate(selectChannels(channels, p), rate, p);
  const ranges = clipRanges(buffers[0]!.length, p.sampleRate, p.clipSeconds, p.fileClips);
  return melTensor(buffers, ranges, p);
}

/**
 * A live mono window -> `liveClips` clips: with one clip the newest `clipSeconds`, with more the file
 * sampler over the window.
 */
export function audioWindowTensor(samples: Float32Array, rate: number, p: AudioPreprocess, into?: Float32Array, engine: Engine = 'auto'): Tensor {
  if (samples.length === 0) throw new RangeError('audio window has no samples');
  // Live windows arrive several times a second: work in a reused buffer (the clip mean is subtracted in place).
  const n16 = rate === p.sampleRate ? samples.length : resampledLength(samples.length, rate, p.sampleRate);
  const buf = scratchF32('audio.window', n16);
  if (rate === p.sampleRate) buf.set(samples);
  else resampleSinc(samples, rate, p.sampleRate, p.resample, buf, engine);
  const buffers = [buf];
  const n = buffers[0]!.length;
  const clip = Math.round(p.clipSeconds * p.sampleRate);
  const ranges: [number, number][] = p.liveClips === 1 ? [[Math.max(0, n - clip), n]] : clipRanges(n, p.sampleRate, p.clipSeconds, p.liveClips);
  return melTensor(buffers, ranges, p, into);
}
