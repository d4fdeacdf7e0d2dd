/**
 * Data frames to pipeline Samples, using the scales a device announced in its HELLO. IMU readings become
 * m/s^2 and rad/s, PCM becomes [-1, 1] floats, depth millimetres become metres with REP-117 specials
 * (0 = invalid -> NaN, 0xFFFF = no target -> +Inf).
 */
import type { AudioSample, DepthSample, ImuSample } from '../core/types.js';
import { DEPTH_INVALID, DEPTH_NO_TARGET, type AudioChunkFrame, type DepthFrame, type ImuBatchFrame, type SensorDescriptor } from './protocol.js';

/** Device time (us) of each sample of an IMU batch. */
export function imuSampleTimesUs(frame: ImuBatchFrame): Float64Array {
  const times = new Float64Array(frame.dtUs.length);
  let t = frame.tUs;
  for (let i = 0; i < frame.dtUs.length; i++) {
    t += frame.dtUs[i]!;
    times[i] = t;
  }
  return times;
}

export function imuSamples(frame: ImuBatchFrame, desc: SensorDescriptor, sensorId: string, stamps: readonly bigint[]): ImuSample[] {
  const out: ImuSample[] = [];
  const a = desc.scaleA;
  const g = desc.scaleB;
  const r = frame.raw;
  for (let i = 0, k = 0; i < frame.dtUs.length; i++, k += 6) {
    out.push({
      modality: 'imu',
      sensorId,
      stamp: stamps[i]!,
      acc: [r[k]! * a, r[k + 1]! * a, r[k + 2]! * a],
      gyro: [r[k + 3]! * g, r[k + 4]! * g, r[k + 5]! * g],
    });
  }
  return out;
}

export function audioSample(frame: AudioChunkFrame, desc: SensorDescriptor, sensorId: string, stamp: bigint): AudioSample {
  const samples = new Float32Array(frame.pcm.length);
  const scale = desc.scaleA > 0 ? desc.scaleA : 1 / 32768;
  for (let i = 0; i < samples.length; i++) samples[i] = frame.pcm[i]! * scale;
  return { modality: 'audio', sensorId, stamp, rate: desc.rateMhz / 1000, samples };
}

export function depthSample(frame: DepthFrame, desc: SensorDescriptor, sensorId: string, stamp: bigint): DepthSample {
  const metres = new Float32Array(frame.mm.length);
  const scale = desc.scaleA > 0 ? desc.scaleA : 0.001;
  for (let i = 0; i < metres.length; i++) {
    const v = frame.mm[i]!;
    metres[i] = v === DEPTH_INVALID ? NaN : v === DEPTH_NO_TARGET ? Infinity : v * scale;
  }
  return { modality: 'depth', sensorId, stamp, width: frame.width, height: frame.height, metres };
}
