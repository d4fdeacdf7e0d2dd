/**
 * The windowing stage: per-modality buffers fed with Samples, and a Snapshot on demand (every hop).
 *
 * A modality is present in a snapshot only when its newest data is no older than its maxAge: stale data is
 * absent, not reused, so the matcher never mistakes a dead sensor for a quiet one. Each modality listens to
 * one sensor (the first one seen, or the one named in `sensors`); samples from other sensors of the same
 * modality are counted and skipped rather than interleaved into one stream.
 */
import { SENSOR_MODALITIES, type ModalityWindows, type Sample, type SensorModality, type Snapshot, type StampNs } from '../core/types.js';
import { AudioBuffer, type AudioBufferStats } from './audio-buffer.js';
import { FrameBuffer, type FrameBufferStats } from './frame-buffer.js';
import { ImuBuffer, type ImuBufferStats } from './imu-buffer.js';

export interface WindowerOptions {
  /** Seconds of audio per window (model manifest: audio clip length). @default 2 */
  audioSeconds?: number;
  /** Seconds of IMU per window. @default 5 */
  imuSeconds?: number;
  /** IMU steps per window. @default 2000 */
  imuSamples?: number;
  /** Per-modality max age in seconds. @default vision/depth/thermal 1.0, audio/imu 0.5 */
  maxAgeSeconds?: Partial<Record<SensorModality, number>>;
  /** Modalities to ignore entirely. @default [] */
  disabled?: SensorModality[];
  /** Sensor id to listen to per modality; default: the first one seen. */
  sensors?: Partial<Record<SensorModality, string>>;
  /** Fraction of an audio/IMU window that must be real data. @default 0.5 */
  minCoverage?: number;
}

export interface WindowerStats {
  snapshots: number;
  /** Samples skipped: disabled modality or a second sensor of one modality. */
  skipped: Record<SensorModality, number>;
  /** Snapshots in which each modality was present. */
  present: Record<SensorModality, number>;
  /** Age of the newest data per modality at the last snapshot, seconds (NaN when none). */
  ageSeconds: Record<SensorModality, number>;
  sensors: Partial<Record<SensorModality, string>>;
  vision: FrameBufferStats;
  depth: FrameBufferStats;
  thermal: FrameBufferStats;
  audio: AudioBufferStats;
  imu: ImuBufferStats;
}

const DEFAULT_MAX_AGE: Record<SensorModality, number> = { vision: 1.0, depth: 1.0, thermal: 1.0, audio: 0.5, imu: 0.5 };

function perModality<T>(value: () => T): Record<SensorModality, T> {
  return Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, value()])) as Record<SensorModality, T>;
}

export class Windower {
  readonly #maxAgeNs: Record<SensorModality, bigint>;
  readonly #disabled: Set<SensorModality>;
  readonly #sensors: Partial<Record<SensorModality, string>>;
  readonly #vision = new FrameBuffer<Extract<Sample, { modality: 'vision' }>>();
  readonly #depth = new FrameBuffer<Extract<Sample, { modality: 'depth' }>>();
  readonly #thermal = new FrameBuffer<Extract<Sample, { modality: 'thermal' }>>();
  readonly #audio: AudioBuffer;
  readonly #imu: ImuBuffer;
  #seq = 0;
  #skipped = perModality(() => 0);
  #present = perModality(() => 0);
  #age = perModality(() => NaN);

  constructor(options: WindowerOptions = {}) {
    const maxAge = { ...DEFAULT_MAX_AGE, ...options.maxAgeSeconds };
    this.#maxAgeNs = perModality(() => 0n);
    for (const m of SENSOR_MODALITIES) this.#maxAgeNs[m] = BigInt(Math.round(maxAge[m] * 1e9));
    this.#disabled = new Set(options.disabled ?? []);
    this.#sensors = { ...options.sensors };
    const coverage = options.minCoverage === undefined ? {} : { minCoverage: options.minCoverage };
    this.#audio = new AudioBuffer({ windowSeconds: options.audioSeconds ?? 2, ...coverage });
    this.#imu = new ImuBuffer({ windowSeconds: options.imuSeconds ?? 5, count: options.imuSamples ?? 2000, ...coverage });
  }

  push(sample: Sample): void {
    const m = sample.modality;
    if (this.#disabled.has(m)) {
      this.#skipped[m]++;
      return;
    }
    const chosen = this.#sensors[m];
    if (chosen === undefined) this.#sensors[m] = sample.sensorId;
    else if (chosen !== sample.sensorId) {
      this.#skipped[m]++;
      return;
    }
    switch (sample.modality) {
      case 'vision':
        return this.#vision.push(sample);
      case 'depth':
        return this.#depth.push(sample);
      case 'thermal':
        return this.#thermal.push(sample);
      case 'audio':
        return this.#audio.push(sample);
      case 'imu':
        return this.#imu.push(sample);
      default: {
        const never: never = sample;
        throw new Error(`unhandled modality ${(never as Sample).modality}`);
      }
    }
  }

  /** The newest stamp seen on any modality (replay uses it as the bag clock). */
  newestStamp(): StampNs | undefined {
    let newest: bigint | undefined;
    for (const end of [this.#vision.end, this.#depth.end, this.#thermal.end, this.#audio.end, this.#imu.end]) {
      if (end !== undefined && (newest === undefined || end > newest)) newest = end;
    }
    return newest;
  }

  snapshot(now: StampNs): Snapshot {
    const windows: ModalityWindows = {};
    const fresh = (m: SensorModality, end: bigint | undefined): boolean => {
      if (end === undefined || this.#disabled.has(m)) {
        this.#age[m] = NaN;
        return false;
      }
      const age = now - end;
      this.#age[m] = Number(age) / 1e9;
      return age <= this.#maxAgeNs[m];
    };
    const vision = fresh('vision', this.#vision.end) ? this.#vision.window() : undefined;
    if (vision !== undefined) windows.vision = vision;
    const depth = fresh('depth', this.#depth.end) ? this.#depth.window() : undefined;
    if (depth !== undefined) windows.depth = depth;
    const thermal = fresh('thermal', this.#thermal.end) ? this.#thermal.window() : undefined;
    if (thermal !== undefined) windows.thermal = thermal;
    const audio = fresh('audio', this.#audio.end) ? this.#audio.window() : undefined;
    if (audio !== undefined) windows.audio = audio;
    const imu = fresh('imu', this.#imu.end) ? this.#imu.window() : undefined;
    if (imu !== undefined) windows.imu = imu;
    const present = SENSOR_MODALITIES.filter((m) => windows[m] !== undefined);
    const missing = SENSOR_MODALITIES.filter((m) => windows[m] === undefined);
    for (const m of present) this.#present[m]++;
    return { seq: this.#seq++, stamp: now, windows, present, missing };
  }

  stats(): WindowerStats {
    return {
      snapshots: this.#seq,
      skipped: { ...this.#skipped },
      present: { ...this.#present },
      ageSeconds: { ...this.#age },
      sensors: { ...this.#sensors },
      vision: this.#vision.stats(),
      depth: this.#depth.stats(),
      thermal: this.#thermal.stats(),
      audio: this.#audio.stats(),
      imu: this.#imu.stats(),
    };
  }
}
