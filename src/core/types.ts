/**
 * The records that flow through sensebind's pipeline (DESIGN.md, "Core types").
 * Plain types, unions tagged by `modality`, so every `switch` over them is checked for exhaustiveness.
 * Stamps are bigint nanoseconds on the agent clock (see clock.ts).
 */

/** Sensor modalities sensebind embeds. `text` exists only for concepts. */
export const SENSOR_MODALITIES = ['vision', 'audio', 'depth', 'thermal', 'imu'] as const;
export type SensorModality = (typeof SENSOR_MODALITIES)[number];
export const MODALITIES = [...SENSOR_MODALITIES, 'text'] as const;
export type Modality = (typeof MODALITIES)[number];

export function isSensorModality(value: string): value is SensorModality {
  return (SENSOR_MODALITIES as readonly string[]).includes(value);
}

/** Nanoseconds on the agent clock. */
export type StampNs = bigint;

interface SampleBase {
  /** Where it came from: a topic name, a serial port path, a file. */
  sensorId: string;
  /** Acquisition time on the agent clock. */
  stamp: StampNs;
}

/** One camera frame, always packed RGB8 (stride = width * 3) after decoding. */
export interface VisionSample extends SampleBase {
  modality: 'vision';
  width: number;
  height: number;
  /** width * height * 3 bytes, row-major, R,G,B. */
  rgb: Uint8Array;
}

/** One depth frame in metres. NaN = invalid, -Inf = too close, +Inf = no return (REP-117). */
export interface DepthSample extends SampleBase {
  modality: 'depth';
  width: number;
  height: number;
  metres: Float32Array;
}

/** One thermal frame, single channel, in the sensor's own units (the manifest normalises). */
export interface ThermalSample extends SampleBase {
  modality: 'thermal';
  width: number;
  height: number;
  values: Float32Array;
}

/** A chunk of mono audio in [-1, 1]; `stamp` is the time of the first sample. */
export interface AudioSample extends SampleBase {
  modality: 'audio';
  rate: number;
  samples: Float32Array;
}

/** One IMU reading: specific force in m/s^2 (+g up at rest) and angular rate in rad/s. */
export interface ImuSample extends SampleBase {
  modality: 'imu';
  acc: readonly [number, number, number];
  gyro: readonly [number, number, number];
}

export type Sample = VisionSample | DepthSample | ThermalSample | AudioSample | ImuSample;

/** The newest frame of a frame modality. */
export interface FrameWindow<S extends VisionSample | DepthSample | ThermalSample> {
  kind: 'frame';
  sample: S;
}

/** The last `seconds` of audio, at the sensor's rate, ending at `end`. */
export interface AudioWindow {
  kind: 'audio';
  rate: number;
  samples: Float32Array;
  /** Stamp of the first sample in `samples`. */
  start: StampNs;
  end: StampNs;
  /** Fraction of the requested window that real samples cover (the rest is zero padding at the front). */
  coverage: number;
}

/**
 * The last `seconds` of IMU, linearly resampled onto `count` evenly spaced steps.
 * `channels` is channel-major [6][count] in the canonical order ax, ay, az, gx, gy, gz; the model manifest
 * reorders and scales (preprocess stage).
 */
export interface ImuWindow {
  kind: 'imu';
  count: number;
  channels: Float32Array;
  start: StampNs;
  end: StampNs;
  /** Raw readings that fell inside the window. */
  readings: number;
  coverage: number;
}

export interface ModalityWindows {
  vision?: FrameWindow<VisionSample>;
  depth?: FrameWindow<DepthSample>;
  thermal?: FrameWindow<ThermalSample>;
  audio?: AudioWindow;
  imu?: ImuWindow;
}

/** Why a modality whose sensor was live carried no evidence (src/window/evidence-gates.ts). */
export const GATE_REASONS = ['silent', 'stationary-noise', 'black', 'no-return', 'frozen', 'at-rest'] as const;
export type GateReason = (typeof GATE_REASONS)[number];

/**
 * One modality's window tagged with its modality: a switch on `modality` narrows `window`, so windows
 * travel through the embedder and preprocessing typed, without casts (mcap's tagged-record style).
 */
export type TaggedWindow = { [M in SensorModality]: { modality: M; window: NonNullable<ModalityWindows[M]> } }[SensorModality];

/** The present windows of a snapshot as tagged windows, in canonical modality order. */
export function taggedWindows(windows: ModalityWindows): TaggedWindow[] {
  const out: TaggedWindow[] = [];
  if (windows.vision) out.push({ modality: 'vision', window: windows.vision });
  if (windows.audio) out.push({ modality: 'audio', window: windows.audio });
  if (windows.depth) out.push({ modality: 'depth', window: windows.depth });
  if (windows.thermal) out.push({ modality: 'thermal', window: windows.thermal });
  if (windows.imu) out.push({ modality: 'imu', window: windows.imu });
  return out;
}

/** What the agent knows at time `stamp`: a window per present modality; the others are listed as missing. */
export interface Snapshot {
  seq: number;
  stamp: StampNs;
  windows: ModalityWindows;
  present: SensorModality[];
  missing: SensorModality[];
  /** Modalities with fresh data but no signal (silence, a frozen frame, an IMU at rest): missing, and why. */
  gated?: Partial<Record<SensorModality, GateReason>>;
}

/** A unit-length embedding of one modality. */
export interface Embedding {
  modality: Modality;
  vector: Float32Array;
  /** The model's output scale for this modality (ImageBind's logit scale); 1 when it has none. */
  scale: number;
  stamp: StampNs;
  modelId: string;
}

export interface ConceptThresholds {
  /** Fused, calibrated score at which an event starts. */
  on: number;
  /** Score below which a running event ends (hysteresis: off < on). */
  off: number;
}

export interface Concept {
  id: string;
  label: string;
  prompts: string[];
  /** Optional per-modality prompt templates, e.g. { audio: ["the sound of {}"] }. */
  templates?: Partial<Record<SensorModality, string[]>>;
  /** Modalities allowed to trigger the concept; all when absent. */
  modalities?: SensorModality[];
  thresholds?: ConceptThresholds;
  /** Seconds after an event ends before the concept may start again. */
  cooldownSeconds?: number;
  enabled: boolean;
  /** Whether the concept is a background concept (never emits events; calibrates the softmax). */
  background?: boolean;
}

export type EventPhase = 'start' | 'update' | 'end';

/** An event as it leaves the agent (JSONL, MQTT, ROS 2). Stamps are ns on the agent clock, as strings. */
export interface SenseEvent {
  /** Payload schema version. */
  v: 1;
  /** Stable per event across start/update/end; unique per robot. */
  id: string;
  type: EventPhase;
  robot: string;
  concept: { id: string; label: string };
  score: number;
  peakScore: number;
  modalityScores: Partial<Record<SensorModality, number>>;
  present: SensorModality[];
  missing: SensorModality[];
  /** Agent-clock ns as decimal strings (JSON has no 64-bit integers). */
  start: string;
  end: string | null;
  /** `start` and `end` as ISO 8601 UTC (nanosecond digits), for people reading the events. */
  startTime: string;
  endTime: string | null;
  /** Wall-clock ISO time of this message. */
  emittedAt: string;
  /** Sequence number of this message within the agent run (ordering aid for consumers). */
  seq: number;
  clip?: string;
}

/** The embeddings of one snapshot, as the matcher receives them. Missing modalities have no entry. */
export interface SnapshotEmbeddings {
  seq: number;
  stamp: StampNs;
  present: SensorModality[];
  missing: SensorModality[];
  embeddings: Partial<Record<SensorModality, Embedding>>;
  /** Modalities the evidence gates found without signal (listed in `missing` too), and why. */
  gated?: Partial<Record<SensorModality, GateReason>>;
}

/** One concept's score for one snapshot (for displays and metrics). */
export interface ConceptScore {
  conceptId: string;
  label: string;
  /** Fused calibrated score in [0, 1]. */
  score: number;
  modalityScores: Partial<Record<SensorModality, number>>;
}

export interface MatchOutput {
  /** Lifecycle events to emit (start/update/end). */
  events: SenseEvent[];
  /** The best-scoring concepts of this snapshot, highest first (at most a handful). */
  top: ConceptScore[];
  /**
   * Every (non-background) concept's scores and thresholds for this snapshot, computed on demand from the
   * matcher's buffers (the live view and clips call it; a plain run never pays for it). Valid only until
   * the next snapshot is processed: call it from the tick callback.
   */
  trace?: () => ConceptTrace[];
}

/** One concept after one snapshot: the evidence an event decision was made on. */
export interface ConceptTrace {
  conceptId: string;
  label: string;
  /** Fused score of this snapshot; null when no modality that may observe the concept gave evidence. */
  fused: number | null;
  /** The lifecycle's smoothed score: what the on/off thresholds are compared with. */
  smoothed: number;
  on: number;
  off: number;
  /** An event of this concept is running. */
  active: boolean;
  /** Calibrated score of each modality that gave evidence this snapshot. */
  modalityScores: Partial<Record<SensorModality, number>>;
}

/**
 * The matching stage as the agent sees it: embeddings in, events out. Implemented in src/match/.
 * `process` is called once per snapshot in stamp order; `finish` ends every open event (shutdown, end of bag).
 */
export interface SnapshotMatcher {
  process(input: SnapshotEmbeddings): MatchOutput;
  finish(stamp: StampNs): SenseEvent[];
}
