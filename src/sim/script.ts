/**
 * The scenario: everything random about one simulated run, drawn up front from the seed. Rendering,
 * audio and IMU synthesis are then pure functions of (script, time), so a frame can be rendered on its own
 * and the same seed always gives the same bytes.
 */
import { Rng } from './rng.js';
import { EVENT_IDS, eventKind, type EventId } from './events.js';

export type Rgb = readonly [number, number, number];

export interface ScenePoster {
  x: number;
  y: number;
  w: number;
  h: number;
  color: Rgb;
}

export interface SceneSetup {
  /** Distance of the back wall from the robot (m). */
  wallDistance: number;
  wallColor: Rgb;
  floorColor: Rgb;
  ceilingColor: Rgb;
  /** Lateral position of the door in the back wall (m). */
  doorX: number;
  doorColor: Rgb;
  posters: ScenePoster[];
  /** A table or cabinet standing in the room, or none. */
  furniture: { x: number; z: number; w: number; h: number; color: Rgb } | undefined;
  /** Global brightness multiplier. */
  brightness: number;
  /** Per-channel colour temperature multiplier. */
  tint: Rgb;
  cameraHeight: number;
  /** Downward pitch in radians. */
  cameraPitch: number;
  /** Mounting roll in radians (small). */
  cameraRoll: number;
  /** Sigma of per-pixel camera noise (0-255 units). */
  imageNoise: number;
  /** Sigma of depth noise in metres at 1 m (grows with distance squared). */
  depthNoise: number;
  /** Fraction of depth pixels dropped as invalid (0). */
  depthDropout: number;
  /** Room tone level (linear amplitude). */
  ambientLevel: number;
  /** Mains hum frequency (50/60 Hz) and level, 0 = none. */
  humHz: number;
  humLevel: number;
  /** A real background recording mixed under everything, or none. */
  backgroundClip: string | undefined;
  backgroundLevel: number;
  /** IMU noise densities. */
  accNoise: number;
  gyroNoise: number;
  gyroBias: readonly [number, number, number];
}

export interface ScheduledEvent {
  kind: EventId;
  /** Seconds from the start of the run. */
  start: number;
  end: number;
  /** Event-specific random parameters (positions, colours, amplitudes), drawn from the seed. */
  p: Record<string, number>;
}

/** Intervals in which the robot drives (wheel vibration, motor noise). */
export interface DriveInterval {
  start: number;
  end: number;
}

export interface Script {
  seed: number;
  duration: number;
  setup: SceneSetup;
  events: ScheduledEvent[];
  drives: DriveInterval[];
}

export interface ScriptOptions {
  seed: number;
  /** Seconds. */
  duration: number;
  /** Kinds allowed to occur. @default all */
  events?: readonly EventId[];
  /** Probability that an audio-visual event overlaps the previous one. @default 0.12 */
  overlapProbability?: number;
}

const WALLS: Rgb[] = [[206, 198, 184], [170, 186, 200], [222, 214, 200], [150, 160, 150], [200, 176, 160], [120, 130, 150], [230, 230, 226]];
const FLOORS: Rgb[] = [[120, 96, 72], [90, 90, 96], [150, 130, 110], [70, 74, 70], [160, 150, 140], [104, 80, 60]];
const DOORS: Rgb[] = [[140, 96, 60], [180, 170, 160], [96, 70, 50], [200, 200, 205]];
const POSTER_COLORS: Rgb[] = [[40, 90, 160], [200, 60, 50], [60, 150, 80], [230, 190, 60], [120, 60, 140], [30, 30, 30]];
const BACKGROUND_CLIPS = ['bg_dishes', 'bg_tap'] as const;
/** Kinds that may start while another event is still running (they do not move the robot). */
const OVERLAPPING: readonly EventId[] = ['alarm_ringing', 'dog_barking', 'someone_talking'];

function jitterColor(rng: Rng, c: Rgb, amount: number): Rgb {
  return [0, 1, 2].map((i) => Math.max(0, Math.min(255, (c[i] ?? 0) + rng.uniform(-amount, amount)))) as unknown as Rgb;
}

function makeSetup(rng: Rng): SceneSetup {
  const posters: ScenePoster[] = [];
  const nPosters = rng.int(0, 3);
  for (let i = 0; i < nPosters; i++) {
    posters.push({ x: rng.uniform(-2.5, 2.5), y: rng.uniform(0.9, 1.6), w: rng.uniform(0.3, 0.9), h: rng.uniform(0.3, 0.7), color: rng.pick(POSTER_COLORS) });
  }
  const warm = rng.uniform(-0.12, 0.12);
  const background = rng.chance(0.45) ? rng.pick(BACKGROUND_CLIPS) : undefined;
  return {
    wallDistance: rng.uniform(3, 6),
    wallColor: jitterColor(rng, rng.pick(WALLS), 12),
    floorColor: jitterColor(rng, rng.pick(FLOORS), 12),
    ceilingColor: jitterColor(rng, [236, 236, 232], 10),
    doorX: rng.uniform(-1.4, 1.4),
    doorColor: jitterColor(rng, rng.pick(DOORS), 10),
    posters,
    furniture: rng.chance(0.5)
      ? { x: rng.pick([-1, 1]) * rng.uniform(1.2, 2.2), z: rng.uniform(1.8, 3), w: rng.uniform(0.6, 1.2), h: rng.uniform(0.5, 0.9), color: jitterColor(rng, [110, 80, 55], 25) }
      : undefined,
    brightness: rng.uniform(0.55, 1.2),
    tint: [1 + warm, 1, 1 - warm],
    cameraHeight: rng.uniform(0.22, 0.36),
    cameraPitch: (rng.uniform(-3, 10) * Math.PI) / 180,
    cameraRoll: (rng.uniform(-2.5, 2.5) * Math.PI) / 180,
    imageNoise: rng.uniform(1.5, 7),
    depthNoise: rng.uniform(0.002, 0.01),
    depthDropout: rng.uniform(0, 0.03),
    ambientLevel: rng.uniform(0.002, 0.012),
    humHz: rng.pick([0, 50, 60]),
    humLevel: rng.uniform(0.001, 0.006),
    backgroundClip: background,
    backgroundLevel: rng.uniform(0.03, 0.12),
    accNoise: rng.uniform(0.01, 0.05),
    gyroNoise: rng.uniform(0.001, 0.006),
    gyroBias: [rng.uniform(-0.01, 0.01), rng.uniform(-0.01, 0.01), rng.uniform(-0.01, 0.01)],
  };
}

/** Event-specific parameters; every kind draws the same number of values so kinds do not shift each other. */
function eventParams(rng: Rng, kind: EventId, duration: number): Record<string, number> {
  const u = Array.from({ length: 8 }, () => rng.next());
  const at = (i: number) => u[i] ?? 0.5;
  switch (kind) {
    case 'collision':
      // impact time (s after start), obstacle x offset, colour index, impact strength
      return { impact: 1 + at(0) * 0.4, x: (at(1) - 0.5) * 0.3, color: at(2), strength: 0.6 + 0.4 * at(3) };
    case 'tipping_over':
      return { fall: 0.6 + at(0) * 0.6, side: at(1) < 0.5 ? -1 : 1, angle: 1.25 + at(2) * 0.35, fallTime: 0.5 + at(3) * 0.4 };
    case 'picked_up':
      return { lift: 0.3 + at(0) * 0.3, height: 0.6 + at(1) * 0.5, swayHz: 0.3 + at(2) * 0.6, swayAmp: 0.05 + at(3) * 0.1, skin: at(4), tilt: 0.2 + at(5) * 0.35 };
    case 'person_approaching':
      return { from: 3.2 + at(0) * 1.5, to: 0.8 + at(1) * 0.5, x: (at(2) - 0.5) * 1.0, shirt: at(3), stepHz: 1.7 + at(4) * 0.5, height: 1.6 + at(5) * 0.25 };
    case 'someone_talking':
      return { dist: 1.9 + at(0) * 1.1, x: (at(1) - 0.5) * 1.4, shirt: at(2), clip: at(3), level: 0.25 + at(4) * 0.3, height: 1.6 + at(5) * 0.25 };
    case 'door_slam':
      return { slam: 0.25 + at(0) * 0.3, strength: 0.6 + at(1) * 0.4, tone: 140 + at(2) * 120 };
    case 'glass_breaking':
      return { crash: 0.2 + at(0) * 0.3, x: (at(1) - 0.5) * 1.0, z: 0.8 + at(2) * 0.7, pieces: 9 + Math.floor(at(3) * 8), pitch: at(4), level: 0.4 + at(5) * 0.4 };
    case 'alarm_ringing':
      return { freq: 2600 + at(0) * 900, period: 0.35 + at(1) * 0.5, x: (at(2) - 0.5) * 2.5, siren: at(3) < 0.35 ? 1 : 0, level: 0.15 + at(4) * 0.2 };
    case 'dog_barking':
      return { dist: 1.2 + at(0) * 1.6, x: (at(1) - 0.5) * 1.6, fur: at(2), clip: at(3), level: 0.35 + at(4) * 0.4, facing: at(5) < 0.5 ? -1 : 1, dur: duration };
  }
}

export function makeScript(options: ScriptOptions): Script {
  const { seed, duration, events: allowed = EVENT_IDS, overlapProbability = 0.12 } = options;
  const setupRng = Rng.derive(seed, 'setup');
  const schedRng = Rng.derive(seed, 'schedule');
  const paramRng = Rng.derive(seed, 'event-params');
  const setup = makeSetup(setupRng);
  const events: ScheduledEvent[] = [];
  let t = schedRng.uniform(1.5, 4);
  while (allowed.length > 0) {
    const kind = schedRng.pick(allowed);
    const [lo, hi] = eventKind(kind).seconds;
    const length = schedRng.uniform(lo, hi);
    if (t + length > duration - 0.5) break;
    const event: ScheduledEvent = { kind, start: t, end: t + length, p: eventParams(paramRng, kind, length) };
    events.push(event);
    const overlaps = OVERLAPPING.filter((k) => allowed.includes(k) && k !== kind);
    if (overlaps.length > 0 && schedRng.chance(overlapProbability)) {
      const other = schedRng.pick(overlaps);
      const [olo, ohi] = eventKind(other).seconds;
      const ostart = t + length * schedRng.uniform(0.4, 0.8);
      const olength = schedRng.uniform(olo, ohi);
      if (ostart + olength <= duration - 0.5) {
        events.push({ kind: other, start: ostart, end: ostart + olength, p: eventParams(paramRng, other, olength) });
        t = ostart + olength;
      } else {
        t += length;
      }
    } else {
      t += length;
    }
    // Quiet stretches: mostly short gaps, sometimes a long one.
    t += schedRng.chance(0.12) ? schedRng.uniform(8, 14) : schedRng.uniform(2, 5.5);
  }
  events.sort((a, b) => a.start - b.start);
  const drives: DriveInterval[] = [];
  const driveRng = Rng.derive(seed, 'drives');
  let d = 0;
  while (d < duration) {
    const driving = driveRng.chance(0.5);
    const len = driveRng.uniform(3, 12);
    if (driving) drives.push({ start: d, end: Math.min(duration, d + len) });
    d += len;
  }
  return { seed, duration, setup, events, drives };
}

/** Events whose interval contains `t`, latest start first. */
export function activeEvents(script: Script, t: number): ScheduledEvent[] {
  return script.events.filter((e) => t >= e.start && t < e.end).sort((a, b) => b.start - a.start);
}

export function isDriving(script: Script, t: number): boolean {
  // A robot that is being held, lying on its side or has just hit something does not drive.
  for (const e of script.events) {
    if ((e.kind === 'picked_up' || e.kind === 'tipping_over') && t >= e.start && t < e.end) return false;
    if (e.kind === 'collision' && t >= e.start + (e.p.impact ?? 1) && t < e.end) return false;
  }
  // Approaching an obstacle means driving towards it.
  for (const e of script.events) if (e.kind === 'collision' && t >= e.start && t < e.start + (e.p.impact ?? 1)) return true;
  return script.drives.some((d) => t >= d.start && t < d.end);
}
