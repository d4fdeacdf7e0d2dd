// Audio against torchaudio (test/golden/make_golden.py): Kaldi fbank element-wise after normalisation,
// 16 kHz input within 1e-3; resampled input measured (the resampler itself is compared sample by sample).
import { describe, expect, it } from 'vitest';
import { audioFileTensor, audioWindowTensor } from '../../src/preprocess/audio.js';
import { clipRanges } from '../../src/preprocess/clips.js';
import { preprocessFile } from '../../src/preprocess/index.js';
import { defaultPreprocess } from '../../src/preprocess/params.js';
import { resampleSinc } from '../../src/preprocess/resample-sinc.js';
import { readWav } from '../../src/preprocess/wav.js';
import { errors, f32, fmt, golden, inputOf, missingInput } from './golden.js';

const params = defaultPreprocess('audio');

interface AudioCase {
  name: string;
  input: string;
  rate: number;
  channels: number;
  truncate: number | null;
  shape: number[];
  frameStride: number;
  frames: string;
  framesShape: [number, number, number, number];
}
const cases = golden.audio.cases as AudioCase[];

/** Every `stride`-th frame of a [clips,1,128,204] tensor, in the golden layout. */
function strided(data: Float32Array, [clips, , bins, frames]: [number, number, number, number], stride: number): Float32Array {
  const out = new Float32Array(clips * bins * frames);
  let o = 0;
  for (let c = 0; c < clips; c++)
    for (let b = 0; b < bins; b++)
      for (let f = 0; f < frames; f++) out[o++] = data[c * bins * 204 + b * 204 + f * stride]!;
  return out;
}

describe('audio preprocessing vs torchaudio', () => {
  for (const c of cases) it.skipIf(missingInput(`audio ${c.name}`, c.input))(c.name, async () => {
    let t;
    if (c.truncate === null) {
      t = await preprocessFile('audio', inputOf(c.input), params);
    } else {
      const wav = await readWav(inputOf(c.input));
      t = audioFileTensor(wav.channels.map((ch) => ch.slice(0, c.truncate!)), wav.rate, params);
    }
    expect(t.dims).toEqual(c.shape);
    const e = errors(strided(t.data as Float32Array, c.framesShape, c.frameStride), f32(c.frames));
    console.log(`audio ${c.name} (${c.rate} Hz, ${c.channels} ch): ${fmt(e)}`);
    expect(e.max).toBeLessThanOrEqual(c.rate === 16000 ? 1e-3 : 5e-3);
  });

  const r = golden.audio.resample as { input: string; samples: number; length: number; stride: number; values: string };
  it.skipIf(missingInput('audio resampler', r.input))('resamples 44.1 kHz -> 16 kHz like torchaudio.functional.resample', async () => {
    const wav = await readWav(inputOf(r.input));
    const out = resampleSinc(wav.channels[0]!.slice(0, r.samples), wav.rate, 16000, params.resample);
    expect(out.length).toBe(r.length);
    const e = errors(out.filter((_, i) => i % r.stride === 0), f32(r.values));
    console.log(`resampler 44.1k->16k: ${fmt(e)}`);
    expect(e.max).toBeLessThan(1e-5);
  });

  it('selects clips like pytorchvideo ConstantClipsPerVideoSampler', () => {
    expect(clipRanges(96000, 16000, 2, 3)).toEqual([[0, 32000], [32000, 64000], [64000, 96000]]);
    expect(clipRanges(20800, 16000, 2, 3)).toEqual([[0, 32000], [0, 32000], [0, 32000]]);
    // 4.1 - 2 is 2.0999999999999996 in binary: the reference lands one sample early (values from Python).
    expect(clipRanges(65600, 16000, 2, 3)).toEqual([[0, 32000], [16799, 48799], [33599, 65599]]);
    expect(clipRanges(80017, 16000, 2, 3)).toEqual([[0, 32000], [24008, 56008], [48016, 80016]]);
  });

  const dog = 'audio/esc10/dog_bark__1-100032-A.wav';
  it.skipIf(missingInput('audio live window', dog))('live window: the newest clip, [1,1,128,204], any input rate', async () => {
    const wav = await readWav(inputOf(dog));
    const t = audioWindowTensor(wav.channels[0]!, wav.rate, params);
    expect(t.dims).toEqual([1, 1, 128, 204]);
    // The newest 2 s of the file are the reference's third clip (start D - 2).
    const ref = await preprocessFile('audio', inputOf(dog), params);
    const block = 128 * 204;
    const e = errors(t.data.subarray(0, block) as Float32Array, (ref.data as Float32Array).subarray(2 * block, 3 * block));
    expect(e.max).toBeLessThan(1e-3);
  });

  const applause = 'audio/freesound/applause.wav';
  it.skipIf(missingInput('audio downmix', applause))('downmix option averages channels instead of taking channel 0', async () => {
    const wav = await readWav(inputOf(applause));
    const ch0 = audioFileTensor(wav.channels, wav.rate, params);
    const mix = audioFileTensor(wav.channels, wav.rate, { ...params, mono: 'downmix' });
    const mono = audioFileTensor([wav.channels.reduce((a, b) => a.map((v, i) => (v + b[i]!) / 2))], wav.rate, params);
    expect(errors(mix.data as Float32Array, mono.data as Float32Array).max).toBeLessThan(1e-4);
    expect(errors(mix.data as Float32Array, ch0.data as Float32Array).mean).toBeGreaterThan(1e-3);
  });
});
