import { describe, expect, it } from 'vitest';
import { decodeAudioToolsAudio, decodeMgonzs13Audio, decodeRosDriversAudio } from '../../src/decode/audio.js';
import { parseSampleFormat, pcmToMono } from '../../src/decode/pcm.js';

const bytesOf = (f: (v: DataView) => void, n: number) => {
  const v = new DataView(new ArrayBuffer(n));
  f(v);
  return new Uint8Array(v.buffer);
};
const s16 = (values: number[], le = true) => bytesOf((v) => values.forEach((x, i) => v.setInt16(2 * i, x, le)), values.length * 2);
const header = { stamp: { sec: 1, nanosec: 0 }, frame_id: 'mic' };

describe('PCM formats', () => {
  it.each([
    ['S16LE', s16([0, 16384, -32768, 32767]), [0, 0.5, -1, 32767 / 32768]],
    ['S16BE', s16([16384, -16384], false), [0.5, -0.5]],
    ['U8', Uint8Array.from([128, 192, 0, 255]), [0, 0.5, -1, 127 / 128]],
    ['S8', Uint8Array.from([0, 64, 0x80]), [0, 0.5, -1]],
    ['S24LE', Uint8Array.from([0, 0, 0x40, 0, 0, 0x80]), [0.5, -1]],
    ['S32LE', bytesOf((v) => { v.setInt32(0, 2 ** 30, true); v.setInt32(4, -(2 ** 31), true); }, 8), [0.5, -1]],
    ['F32LE', bytesOf((v) => { v.setFloat32(0, 0.25, true); v.setFloat32(4, -1, true); }, 8), [0.25, -1]],
    ['F64BE', bytesOf((v) => v.setFloat64(0, 0.125, false), 8), [0.125]],
    ['U16LE', bytesOf((v) => v.setUint16(0, 49152, true), 2), [0.5]],
  ])('%s', (name, data, expected) => {
    expect(Array.from(pcmToMono(data, parseSampleFormat(name), 1))).toEqual(expected.map((x) => Math.fround(x)));
  });
  it('averages channels to mono', () => {
    expect(Array.from(pcmToMono(s16([16384, 0, -16384, -16384]), parseSampleFormat('S16LE'), 2))).toEqual([0.25, -0.5]);
  });
  it('refuses unknown formats and partial frames', () => {
    expect(() => parseSampleFormat('S16')).toThrow(/needs LE or BE/);
    expect(() => parseSampleFormat('MULAW')).toThrow(/sample_format "MULAW"/);
    expect(() => pcmToMono(new Uint8Array(3), parseSampleFormat('S16LE'), 1)).toThrow(/3 bytes is not a whole number/);
    expect(() => pcmToMono(new Uint8Array(4), parseSampleFormat('S16LE'), 0)).toThrow(/channels 0/);
  });
});

describe('ros-drivers audio_common_msgs', () => {
  const info = { channels: 1, rate: 16000, sampleFormat: 'S16LE', codingFormat: 'WAVE' };
  it('AudioDataStamped and plain AudioData, S16LE', () => {
    const a = decodeRosDriversAudio({ header, audio: { data: s16([8192, -8192]) } }, info, '/audio', 5n);
    expect(a).toEqual({ modality: 'audio', sensorId: '/audio', stamp: 5n, rate: 16000, samples: Float32Array.from([0.25, -0.25]) });
    const b = decodeRosDriversAudio({ data: s16([16384]) }, { ...info, channels: 1 }, '/audio', 6n);
    expect(Array.from(b.samples)).toEqual([0.5]);
  });
  it('a WAVE buffer with a RIFF header is read from its data chunk', () => {
    const riff = Buffer.alloc(44);
    riff.write('RIFF', 0);
    riff.write('WAVEfmt ', 8);
    riff.writeUInt32LE(16, 16);
    riff.write('data', 36);
    riff.writeUInt32LE(2, 40);
    const a = decodeRosDriversAudio({ data: Buffer.concat([riff, Buffer.from(s16([-16384]))]) }, info, '/audio', 0n);
    expect(Array.from(a.samples)).toEqual([-0.5]);
  });
  it('MP3 is refused with a clear message', () => {
    expect(() => decodeRosDriversAudio({ data: new Uint8Array(8) }, { ...info, codingFormat: 'MP3' }, '/audio', 0n)).toThrow(/MP3 is not supported.*format:=wave/);
  });
});

describe('mgonzs13 AudioStamped', () => {
  const msg = (format: number, field: string, values: ArrayLike<number>, channels = 1) => ({
    header,
    audio: {
      audio_data: { float32_data: [], int32_data: [], int16_data: [], int8_data: [], uint8_data: [], [field]: values },
      info: { format, channels, rate: 16000, chunk: 512 },
    },
  });
  it.each([
    [1, 'float32_data', Float32Array.from([0.5, -0.25]), [0.5, -0.25]],
    [2, 'int32_data', Int32Array.from([2 ** 30, -(2 ** 31)]), [0.5, -1]],
    [8, 'int16_data', Int16Array.from([16384, -32768]), [0.5, -1]],
    [16, 'int8_data', Int8Array.from([64, -128]), [0.5, -1]],
    [32, 'uint8_data', Uint8Array.from([192, 0]), [0.5, -1]],
  ])('format %i (%s)', (format, field, values, expected) => {
    const a = decodeMgonzs13Audio(msg(format, field, values), '/audio', 1n);
    expect([a.rate, a.stamp]).toEqual([16000, 1n]);
    expect(Array.from(a.samples)).toEqual(expected);
  });
  it('stereo is averaged; unknown format flag is refused', () => {
    expect(Array.from(decodeMgonzs13Audio(msg(8, 'int16_data', [16384, 0], 2), '/a', 0n).samples)).toEqual([0.25]);
    expect(() => decodeMgonzs13Audio(msg(4, 'int16_data', [1]), '/a', 0n)).toThrow(/format 4: expected a PortAudio flag/);
  });
});

describe('audio_tools AudioDataStamped', () => {
  it('takes format from the inline info', () => {
    const a = decodeAudioToolsAudio(
      { header, audio: { data: s16([16384, 16384, -16384, 0]) }, info: { sample_rate: 48000, sample_format: 'S16LE', channels: 2 } },
      '/audio_stamped',
      77n,
    );
    expect([a.rate, a.stamp, Array.from(a.samples)]).toEqual([48000, 77n, [0.5, -0.25]]);
  });
  it('malformed info is refused', () => {
    expect(() => decodeAudioToolsAudio({ header, audio: { data: new Uint8Array(2) }, info: { sample_rate: 0, sample_format: 'S16LE', channels: 1 } }, '/a', 0n)).toThrow(/sample_rate 0/);
  });
});
