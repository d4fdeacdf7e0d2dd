/**
 * The windowing stage: per-modality buffers fed with Samples, and a Snapshot on demand (every hop).
 *
 * A modality is present in a snapshot only when its newest data is no older than its maxAge: stale data is
 * absent, not reused, so the matcher never mistakes a dead sensor for a quiet one. Each modality listens to
 * one sensor (the first one seen, or the one named in `sensors`, config `window.sensors`); samples from
 * other sensors of the same modality are counted and skipped rather than interleaved into one stream, and
 * each such sensor is logged once, naming the key that picks it.
 *
 * Two things happen to the windows before they leave: IMU windows are rotated into the robot frame
 * (`imuMounting`, imu-mounting.ts), then the evidence gates (evidence-gates.ts) take out modalities whose
 * window carries no signal (silence, steady noise, black or frozen frames, an IMU at rest); those are listed
 * in `missing` and, with their reason, in `gated`.
 */
import { silentLogger, type Logger } from '../core/log.js';
import { SENSOR_MODALITIES, type ImuWindow, type ModalityWindows, type Sample, type SensorModality, type Snapshot, type StampNs } from '../core/types.js';
import { AudioBuffer, type AudioBufferStats } from './audio-buffer.js';
import { FrameBuffer, type FrameBufferStats } from './frame-buffer.js';
import { ImuBuffer, type ImuBufferStats } from './imu-buffer.js';
import { EvidenceGates, type EvidenceGateOptions, type EvidenceGateStats } from './evidence-gates.js';
import { meanAcceleration } from './gates.js';
import { IDENTITY, gravityAlignment, isIdentity, parseImuMounting, rotateImuWindow, type ImuMountingSpec, type Rotation3 } from './imu-mounting.js';

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
  sensors?: { [M in SensorModality]?: string | undefined };
  /** Fraction of an audio/IMU window that must be real data. @default 0.5 */
  minCoverage?: number;
  /** Evidence gates (evidence-gates.ts): modalities without signal become absent; false = none. @default all on */
  gates?: EvidenceGateOptions | false;
  /** The IMU's orientation on the robot (imu-mounting.ts), applied to every IMU window. @default 'x,y,z' */
  imuMounting?: ImuMountingSpec;
  /** Says once per ignored sensor that it is ignored. @default silent */
  logger?: Logger;
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
  /** Evidence gate counts and last measurements (empty counts when gates are off). */
  gates: EvidenceGateStats;
  /** Sensor-to-robot rotation applied to IMU windows (row-major), and whether it was estimated ('auto'). */
  imuMounting: { rotation: number[]; estimated: boolean; pending: boolean };
  vision: FrameBufferStats;
  depth: FrameBufferStats;
  thermal: FrameBufferStats;
  audio: AudioBufferStats;
  imu: ImuBufferStats;
}

const STANDARD_GRAVITY = 9.80665;

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
  readonly #log: Logger;
  readonly #ignoredSensors = new Set<string>();
  #seq = 0;
  #skipped = perModality(() => 0);
  #present = perModality(() => 0);
  #age = perModality(() => NaN);
  readonly #gates: EvidenceGates | undefined;
  readonly #gatesOff = new EvidenceGates();
  #mounting: Rotation3 | 'auto';
  #estimated = false;

  constructor(options: WindowerOptions = {}) {
    const maxAge = { ...DEFAULT_MAX_AGE, ...options.maxAgeSeconds };
    this.#maxAgeNs = perModality(() => 0n);
    for (const m of SENSOR_MODALITIES) this.#maxAgeNs[m] = BigInt(Math.round(maxAge[m] * 1e9));
    this.#disabled = new Set(options.disabled ?? []);
    this.#sensors = Object.fromEntries(Object.entries(options.sensors ?? {}).filter(([, v]) => v !== undefined));
    this.#log = options.logger ?? silentLogger();
    const coverage = options.minCoverage === undefined ? {} : { minCoverage: options.minCoverage };
    this.#audio = new AudioBuffer({ windowSeconds: options.audioSeconds ?? 2, ...coverage });
    this.#imu = new ImuBuffer({ windowSeconds: options.imuSeconds ?? 5, count: options.imuSamples ?? 2000, ...coverage });
    this.#gates = options.gates === false ? undefined : new EvidenceGates(options.gates);
    this.#mounting = parseImuMounting(options.imuMounting ?? 'x,y,z');
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
      const key = `${m}\u0000${sample.sensorId}`;
      if (!this.#ignoredSensors.has(key)) {
        this.#ignoredSensors.add(key);
        this.#log.info(
          { modality: m, using: chosen, ignored: sample.sensorId },
          `second ${m} sensor ${sample.sensorId} ignored: ${m} listens to ${chosen}; set window.sensors.${m} to pick the sensor`,
        );
      }
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
    const imu = fresh('imu', this.#imu.end) ? this.#imuWindow() : undefined;
    if (imu !== undefined) windows.imu = imu;
    const gated = this.#gates?.apply(windows) ?? {};
    const present = SENSOR_MODALITIES.filter((m) => windows[m] !== undefined);
    const missing = SENSOR_MODALITIES.filter((m) => windows[m] === undefined);
    for (const m of present) this.#present[m]++;
    const snapshot: Snapshot = { seq: this.#seq++, stamp: now, windows, present, missing };
    if (Object.keys(gated).length > 0) snapshot.gated = gated;
    return snapshot;
  }

  /** The IMU window in the robot frame; 'auto' mounting is fixed by the first window at rest. */
  #imuWindow(): ImuWindow | undefined {
    const w = this.#imu.window();
    if (w === undefined) return undefined;
    if (this.#mounting === 'auto') {
      // Quasi-static is enough: over a whole window, hand-held or driving motion averages out and the mean
      // specific force is gravity; a window whose mean has gravity's magnitude (within 5 %) fixes it.
      const g = meanAcceleration(w);
      if (w.coverage < 1 || Math.abs(Math.hypot(...g) / STANDARD_GRAVITY - 1) > 0.05) return w;
      this.#mounting = gravityAlignment(g);
      this.#estimated = true;
    }
    return isIdentity(this.#mounting) ? w : rotateImuWindow(w, this.#mounting);
  }

  stats(): WindowerStats {
    return {
      snapshots: this.#seq,
      skipped: { ...this.#skipped },
      present: { ...this.#present },
      ageSeconds: { ...this.#age },
      sensors: { ...this.#sensors },
      gates: (this.#gates ?? this.#gatesOff).stats(),
      imuMounting: { rotation: [...(this.#mounting === 'auto' ? IDENTITY : this.#mounting)], estimated: this.#estimated, pending: this.#mounting === 'auto' },
      vision: this.#vision.stats(),
      depth: this.#depth.stats(),
      thermal: this.#thermal.stats(),
      audio: this.#audio.stats(),
      imu: this.#imu.stats(),
    };
  }
}
