/**
 * The three audio layouts found on robots, to one mono AudioSample (stamp = first sample):
 * 1. ros-drivers audio_common_msgs: AudioData{uint8[] data} / AudioDataStamped{header, audio}, format on a
 *    separate latched AudioInfo topic {channels, sample_rate, sample_format, bitrate, coding_format}.
 *    MP3 (the capture node's default) is refused: decoding it needs a codec sensebind does not carry.
 * 2. mgonzs13 audio_common_msgs: AudioStamped{header, audio{audio_data{float32_data, int32_data,
 *    int16_data, int8_data, uint8_data}, info{format (PortAudio flag), channels, rate, chunk}}}.
 * 3. audio_tools (CLFML): AudioDataStamped{header, audio{data}, info{sample_rate, sample_format, channels}};
 *    its header stamps count samples, so callers use the receive/log time instead.
 */
import type { AudioSample } from '../core/types.js';
import { bad, bytes, num, numbers, obj, str, type Fields } from './fields.js';
import { interleavedToMono, parseSampleFormat, pcmToMono } from './pcm.js';

/** The format of ros-drivers audio, from its AudioInfo topic (or config). */
export interface AudioFormatInfo {
  channels: number;
  rate: number;
  /** e.g. S16LE */
  sampleFormat: string;
  /** WAVE (raw PCM) or MP3. */
  codingFormat: string;
}

export function parseRosDriversInfo(msg: Fields): AudioFormatInfo {
  const info = {
    channels: num(msg, 'channels'),
    rate: num(msg, 'sample_rate'),
    sampleFormat: str(msg, 'sample_format'),
    codingFormat: str(msg, 'coding_format'),
  };
  if (!(info.rate > 0)) bad(`AudioInfo sample_rate ${info.rate}: expected > 0`);
  return info;
}

/** Skips a RIFF/WAVE header when a publisher sends whole WAV buffers instead of raw PCM. */
function stripWavHeader(data: Uint8Array): Uint8Array {
  if (data.length < 12 || data[0] !== 0x52 || data[1] !== 0x49 || data[2] !== 0x46 || data[3] !== 0x46) return data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 12;
  while (at + 8 <= data.length) {
    const id = String.fromCharCode(data[at]!, data[at + 1]!, data[at + 2]!, data[at + 3]!);
    const size = view.getUint32(at + 4, true);
    if (id === 'data') return data.subarray(at + 8, Math.min(data.length, at + 8 + size));
    at += 8 + size + (size % 2);
  }
  return bad('WAVE buffer without a data chunk');
}

export function decodeRosDriversAudio(msg: Fields, info: AudioFormatInfo, sensorId: string, stamp: bigint): AudioSample {
  // AudioDataStamped nests AudioData under `audio`; plain AudioData has `data` at the top.
  const payload = msg['audio'] !== undefined ? obj(msg['audio'], 'audio') : msg;
  const data = bytes(payload, 'data');
  const coding = info.codingFormat.trim().toUpperCase();
  if (coding === 'MP3') {
    bad('coding_format MP3 is not supported (no MP3 decoder); run the capture node with format:=wave');
  }
  if (coding !== 'WAVE' && coding !== 'WAV' && coding !== 'PCM' && coding !== '') {
    bad(`coding_format "${info.codingFormat}": expected WAVE (raw PCM)`);
  }
  const samples = pcmToMono(stripWavHeader(data), parseSampleFormat(info.sampleFormat), info.channels);
  return { modality: 'audio', sensorId, stamp, rate: info.rate, samples };
}

/** PortAudio sample-format flags used by mgonzs13/audio_common. */
const PA_FORMATS: Record<number, { field: string; full: number; offset: number }> = {
  1: { field: 'float32_data', full: 1, offset: 0 },
  2: { field: 'int32_data', full: 2 ** 31, offset: 0 },
  8: { field: 'int16_data', full: 2 ** 15, offset: 0 },
  16: { field: 'int8_data', full: 2 ** 7, offset: 0 },
  32: { field: 'uint8_data', full: 2 ** 7, offset: 128 },
};

export function decodeMgonzs13Audio(msg: Fields, sensorId: string, stamp: bigint): AudioSample {
  const audio = obj(msg['audio'], 'audio');
  const info = obj(audio['info'], 'audio.info');
  const data = obj(audio['audio_data'], 'audio.audio_data');
  const format = num(info, 'format');
  const rate = num(info, 'rate');
  const channels = num(info, 'channels');
  const pa = PA_FORMATS[format];
  if (pa === undefined) bad(`audio.info.format ${format}: expected a PortAudio flag 1 (f32), 2 (i32), 8 (i16), 16 (i8) or 32 (u8)`);
  if (!(rate > 0)) bad(`audio.info.rate ${rate}: expected > 0`);
  const samples = interleavedToMono(numbers(data, pa.field), channels, pa.full, pa.offset);
  return { modality: 'audio', sensorId, stamp, rate, samples };
}

export function decodeAudioToolsAudio(msg: Fields, sensorId: string, stamp: bigint): AudioSample {
  const audio = obj(msg['audio'], 'audio');
  const info = obj(msg['info'], 'info');
  const rate = num(info, 'sample_rate');
  if (!(rate > 0)) bad(`info.sample_rate ${rate}: expected > 0`);
  const samples = pcmToMono(bytes(audio, 'data'), parseSampleFormat(str(info, 'sample_format')), num(info, 'channels'));
  return { modality: 'audio', sensorId, stamp, rate, samples };
}
