/**
 * The live view's messages, built from one agent tick: pure functions from TickResult (and the windows in
 * its snapshot) to plain JSON objects. The WebSocket server, the ROS 2 `~/scores` topic and event clips all
 * carry these same objects, so one Foxglove layout reads every one of them.
 *
 * Field names are flat and fixed (one number per modality, null when that modality gave no evidence)
 * because Foxglove's Plot panel addresses values by path, e.g.
 * `/sensebind/scores.concepts[:]{id=="glass_breaking"}.smoothed`.
 */
import type { EmbedState, TickResult } from '../agent/agent.js';
import { SENSOR_MODALITIES, type AudioWindow, type ConceptTrace, type GateReason, type ImuWindow, type SensorModality, type StampNs } from '../core/types.js';

export interface Time {
  sec: number;
  nsec: number;
}

export interface ConceptScoreRow {
  id: string;
  label: string;
  /** This snapshot's fused score; null without evidence. */
  fused: number | null;
  /** Smoothed score: an event starts when it reaches `on` (for the minimum duration) and ends below `off`. */
  smoothed: number;
  on: number;
  off: number;
  active: boolean;
  vision: number | null;
  audio: number | null;
  depth: number | null;
  thermal: number | null;
  imu: number | null;
}

export interface ScoresMessage {
  timestamp: Time;
  seq: number;
  /** Concepts listed (at most maxConcepts, the highest smoothed first when cut) and how many exist. */
  total: number;
  concepts: ConceptScoreRow[];
}

/** `gated`: fresh data without signal (silence, frozen frame, IMU at rest), see `gate`; `absent`: no fresh data. */
export type ModalityStateName = EmbedState | 'gated' | 'absent';

export interface ModalitiesMessage {
  timestamp: Time;
  seq: number;
  present: SensorModality[];
  missing: SensorModality[];
  /** One row per sensor modality, in a fixed order. */
  modalities: { name: SensorModality; present: boolean; evidence: boolean; state: ModalityStateName; gate: GateReason | null }[];
}

export interface ImuMessage {
  timestamp: Time;
  acc: { x: number; y: number; z: number };
  gyro: { x: number; y: number; z: number };
}

export interface AudioLevelMessage {
  timestamp: Time;
  /** Root mean square over the span, full scale = 1. */
  rms: number;
  peak: number;
  /** 20 log10(rms), floored at -120. */
  dbfs: number;
  seconds: number;
}

export function toTime(stamp: StampNs): Time {
  const s = stamp < 0n ? 0n : stamp;
  return { sec: Number(s / 1_000_000_000n), nsec: Number(s % 1_000_000_000n) };
}

const score = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

/** One concept's row. */
function scoreRow(t: ConceptTrace): ConceptScoreRow {
  const m = t.modalityScores;
  return {
    id: t.conceptId,
    label: t.label,
    fused: t.fused,
    smoothed: t.smoothed,
    on: t.on,
    off: t.off,
    active: t.active,
    vision: score(m.vision),
    audio: score(m.audio),
    depth: score(m.depth),
    thermal: score(m.thermal),
    imu: score(m.imu),
  };
}

/**
 * Every concept's scores and thresholds; with more than `maxConcepts` concepts, the running ones and then
 * the highest smoothed scores are kept (a memory of thousands would not fit a viewer anyway).
 */
export function scoresMessage(trace: readonly ConceptTrace[], stamp: StampNs, seq: number, maxConcepts = 256): ScoresMessage {
  let rows = trace;
  if (rows.length > maxConcepts) {
    rows = [...trace].sort((a, b) => Number(b.active) - Number(a.active) || b.smoothed - a.smoothed).slice(0, maxConcepts);
  }
  return { timestamp: toTime(stamp), seq, total: trace.length, concepts: rows.map(scoreRow) };
}

export function modalitiesMessage(result: TickResult): ModalitiesMessage {
  const { snapshot, embeddings, embedStates } = result;
  const present = new Set(snapshot.present);
  const evidence = new Set(embeddings.present);
  return {
    timestamp: toTime(snapshot.stamp),
    seq: snapshot.seq,
    present: [...snapshot.present],
    missing: [...snapshot.missing],
    modalities: SENSOR_MODALITIES.map((name) => {
      const gate = snapshot.gated?.[name] ?? null;
      return { name, present: present.has(name), evidence: evidence.has(name), state: embedStates[name] ?? (gate !== null ? 'gated' : 'absent'), gate };
    }),
  };
}

/**
 * The IMU readings of the window's newest `seconds` (the window is resampled onto an even grid, so this
 * is the IMU as the model saw it), at most `maxHz` of them per second.
 */
export function imuMessages(window: ImuWindow, after: StampNs, maxHz = 100): ImuMessage[] {
  const { count, channels, start, end } = window;
  if (count < 2) return [];
  const stepNs = Number(end - start) / (count - 1);
  const stride = Math.max(1, Math.round(1e9 / maxHz / stepNs));
  const out: ImuMessage[] = [];
  // Walk back from the newest step so the decimated grid always ends on the window's last reading.
  for (let i = count - 1; i >= 0; i -= stride) {
    const stamp = start + BigInt(Math.round(i * stepNs));
    if (stamp <= after) break;
    const c = (k: number) => channels[k * count + i] as number;
    out.push({ timestamp: toTime(stamp), acc: { x: c(0), y: c(1), z: c(2) }, gyro: { x: c(3), y: c(4), z: c(5) } });
  }
  return out.reverse();
}

/** The level of the window's newest `seconds` of audio (the zero padding of a short window is left out). */
export function audioLevelMessage(window: AudioWindow, seconds: number): AudioLevelMessage {
  const { samples, rate, coverage } = window;
  const real = Math.floor(samples.length * Math.min(1, Math.max(0, coverage)));
  const n = Math.min(real, Math.max(1, Math.round(seconds * rate)));
  let sum = 0;
  let peak = 0;
  for (let i = samples.length - n; i < samples.length; i++) {
    const v = samples[i] as number;
    sum += v * v;
    const a = Math.abs(v);
    if (a > peak) peak = a;
  }
  const rms = n > 0 ? Math.sqrt(sum / n) : 0;
  return { timestamp: toTime(window.end), rms, peak, dbfs: rms > 1e-6 ? 20 * Math.log10(rms) : -120, seconds: n / rate };
}

/** The score message as the ROS 2 type of event clips (schemas.ts SCORES_ROS_TYPE): null scores become NaN. */
export function scoresRosMessage(m: ScoresMessage): object {
  const n = (x: number | null) => (x === null ? Number.NaN : x);
  return {
    timestamp: { sec: m.timestamp.sec, nanosec: m.timestamp.nsec },
    seq: BigInt(m.seq),
    total: BigInt(m.total),
    concepts: m.concepts.map((c) => ({
      ...c,
      fused: n(c.fused),
      vision: n(c.vision),
      audio: n(c.audio),
      depth: n(c.depth),
      thermal: n(c.thermal),
      imu: n(c.imu),
    })),
  };
}
