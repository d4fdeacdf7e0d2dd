/**
 * Applies the evidence gates (gates.ts) to a snapshot's windows: a modality with no signal is removed from
 * the snapshot, so it is absent evidence (not embedded, no vote) instead of a vote for whatever concept lies
 * nearest to "nothing" in the model's space. Every decision is counted per modality and reason, and the
 * last measurements are kept in stats() so a user can see where their sensors sit before changing a limit.
 *
 *   audio   silent            RMS level under floorDbfs (digital silence, a muted or unplugged mic)
 *           stationary-noise  a flat spectrum (flatness >= noiseFlatness) whose loudest frames stand no
 *                             more than noiseDynamicsDb above the median: hiss, fans, rain, white noise
 *                             at any level
 *   vision  black             mean luma under blackLevel (lens cap, lights off, a dead sensor)
 *   depth   no-return         fewer than minValidDepth of the pixels have a finite range
 *   frames  frozen            no pixel of the sampled grid changed for frozenSeconds (a stuck driver
 *                             republishing one image; real sensor noise always flips some values)
 *   imu     at-rest           per-axis force std under accStd and angular rate RMS under gyroRms over the
 *                             whole window: the body is still, so motion concepts have nothing to see
 *
 * State: only the frozen detector remembers something (the previous frame's fingerprint per frame
 * modality); it resets when the frame size changes.
 */
import { SENSOR_MODALITIES, type GateReason, type ModalityWindows, type SensorModality, type StampNs } from '../core/types.js';
import { audioActivity, changedFraction, frameFingerprint, imuMotion, meanLuma, validDepthFraction } from './gates.js';

export interface AudioGateOptions {
  /** @default true */
  enabled?: boolean;
  /** Below this RMS level (dBFS, full scale = 1.0) audio is silent. @default -60 */
  floorDbfs?: number;
  /** Spectral flatness at or above which steady audio is noise (1 = white). @default 0.3 */
  noiseFlatness?: number;
  /** Steady = the loudest short frames stand at most this many dB above the median one (98th percentile). @default 5 */
  noiseDynamicsDb?: number;
}

export interface FrameGateOptions {
  /** @default true */
  enabled?: boolean;
  /** Vision frames with a mean luma (0-255) under this are black. @default 10 */
  blackLevel?: number;
  /** Depth frames with a smaller fraction of valid ranges give no evidence. @default 0.02 */
  minValidDepth?: number;
  /** A frame stream unchanged for this long is frozen. @default 2 */
  frozenSeconds?: number;
  /** "Unchanged" = at most this fraction of the sampled pixels differ from the previous frame. @default 0.001 */
  frozenChangedFraction?: number;
}

export interface ImuGateOptions {
  /** @default true */
  enabled?: boolean;
  /** At rest: every axis' specific-force standard deviation over the window under this, m/s^2. @default 0.2 */
  accStd?: number;
  /** At rest: every axis' angular-rate RMS over the window under this, rad/s. @default 0.05 */
  gyroRms?: number;
}

export interface EvidenceGateOptions {
  audio?: AudioGateOptions;
  frame?: FrameGateOptions;
  imu?: ImuGateOptions;
}

const GATE_DEFAULTS = {
  audio: { enabled: true, floorDbfs: -60, noiseFlatness: 0.3, noiseDynamicsDb: 5 },
  frame: { enabled: true, blackLevel: 10, minValidDepth: 0.02, frozenSeconds: 2, frozenChangedFraction: 0.001 },
  imu: { enabled: true, accStd: 0.2, gyroRms: 0.05 },
} as const satisfies { [K in keyof EvidenceGateOptions]-?: Required<NonNullable<EvidenceGateOptions[K]>> };

export interface EvidenceGateStats {
  /** Snapshots in which a present modality was gated, by modality and reason. */
  gated: Record<SensorModality, Partial<Record<GateReason, number>>>;
  /** The last measurements (NaN before the first): where the sensors sit relative to the limits. */
  last: { audioDbfs: number; audioFlatness: number; audioDynamicsDb: number; visionLuma: number; imuAccStd: number; imuGyroRms: number };
}

interface FrameTrack {
  stamp: StampNs;
  fingerprint: Float32Array;
  unchangedSince: StampNs;
}

type FrameModality = 'vision' | 'depth' | 'thermal';

export class EvidenceGates {
  readonly #audio: Required<AudioGateOptions>;
  readonly #frame: Required<FrameGateOptions>;
  readonly #imu: Required<ImuGateOptions>;
  readonly #frozenNs: bigint;
  readonly #tracks = new Map<FrameModality, FrameTrack>();
  #stats: EvidenceGateStats = {
    gated: Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, {}])) as EvidenceGateStats['gated'],
    last: { audioDbfs: NaN, audioFlatness: NaN, audioDynamicsDb: NaN, visionLuma: NaN, imuAccStd: NaN, imuGyroRms: NaN },
  };

  constructor(options: EvidenceGateOptions = {}) {
    this.#audio = { ...GATE_DEFAULTS.audio, ...options.audio };
    this.#frame = { ...GATE_DEFAULTS.frame, ...options.frame };
    this.#imu = { ...GATE_DEFAULTS.imu, ...options.imu };
    this.#frozenNs = BigInt(Math.round(this.#frame.frozenSeconds * 1e9));
  }

  /** Removes the windows that carry no signal from `windows` (in place) and returns why, per modality. */
  apply(windows: ModalityWindows): Partial<Record<SensorModality, GateReason>> {
    const out: Partial<Record<SensorModality, GateReason>> = {};
    for (const m of SENSOR_MODALITIES) {
      if (windows[m] === undefined) continue;
      const reason = this.#check(m, windows);
      if (reason === undefined) continue;
      out[m] = reason;
      delete windows[m];
      const counts = this.#stats.gated[m];
      counts[reason] = (counts[reason] ?? 0) + 1;
    }
    return out;
  }

  stats(): EvidenceGateStats {
    const gated = Object.fromEntries(SENSOR_MODALITIES.map((m) => [m, { ...this.#stats.gated[m] }])) as EvidenceGateStats['gated'];
    return { gated, last: { ...this.#stats.last } };
  }

  #check(m: SensorModality, windows: ModalityWindows): GateReason | undefined {
    const last = this.#stats.last;
    switch (m) {
      case 'audio': {
        const w = windows.audio;
        if (w === undefined || !this.#audio.enabled) return undefined;
        const a = audioActivity(w);
        last.audioDbfs = a.dbfs;
        last.audioFlatness = a.flatness;
        last.audioDynamicsDb = a.dynamicsDb;
        if (!(a.dbfs >= this.#audio.floorDbfs)) return 'silent';
        if (a.flatness >= this.#audio.noiseFlatness && a.dynamicsDb <= this.#audio.noiseDynamicsDb) return 'stationary-noise';
        return undefined;
      }
      case 'imu': {
        const w = windows.imu;
        if (w === undefined || !this.#imu.enabled) return undefined;
        const motion = imuMotion(w);
        last.imuAccStd = motion.accStd;
        last.imuGyroRms = motion.gyroRms;
        return motion.accStd < this.#imu.accStd && motion.gyroRms < this.#imu.gyroRms ? 'at-rest' : undefined;
      }
      case 'vision':
      case 'depth':
      case 'thermal': {
        const w = windows[m];
        if (w === undefined || !this.#frame.enabled) return undefined;
        return this.#checkFrame(m, w.sample);
      }
      default: {
        const never: never = m;
        throw new Error(`unhandled modality ${String(never)}`);
      }
    }
  }

  #checkFrame(m: FrameModality, sample: NonNullable<ModalityWindows[FrameModality]>['sample']): GateReason | undefined {
    let track = this.#tracks.get(m);
    if (track === undefined || track.stamp !== sample.stamp) {
      // A new frame: compare with the previous one (camera slower than the hop: the same frame is not new).
      const fingerprint = frameFingerprint(sample);
      const unchanged = track !== undefined && changedFraction(track.fingerprint, fingerprint) <= this.#frame.frozenChangedFraction;
      track = { stamp: sample.stamp, fingerprint, unchangedSince: unchanged && track !== undefined ? track.unchangedSince : sample.stamp };
      this.#tracks.set(m, track);
    }
    if (m === 'vision') {
      const luma = meanLuma(track.fingerprint);
      this.#stats.last.visionLuma = luma;
      if (luma < this.#frame.blackLevel) return 'black';
    }
    if (m === 'depth' && validDepthFraction(track.fingerprint) < this.#frame.minValidDepth) return 'no-return';
    if (sample.stamp - track.unchangedSince >= this.#frozenNs) return 'frozen';
    return undefined;
  }
}
