/**
 * What the camera sees at time t: the camera pose and a list of primitives in world coordinates. Both the
 * colour renderer and the depth renderer draw from this one description, so colour and depth always agree.
 * Every event's visual effect lives here, as a pure function of (script, t).
 */
import type { CameraPose, Vec3 } from './camera.js';
import { Rng } from './rng.js';
import type { Rgb, Script, ScheduledEvent } from './script.js';

export const ROOM_HEIGHT = 2.6;
export const DOOR_HALF_WIDTH = 0.45;
export const DOOR_HEIGHT = 2.0;
/** How far behind the doorway the hallway's far wall is (m). */
export const HALLWAY_DEPTH = 1.5;

/** A planar convex polygon in world space. */
export interface QuadPrim {
  kind: 'quad';
  pts: Vec3[];
  fill: Rgb;
  opacity: number;
  /** Whether the depth camera sees it (thin things such as posters and shards it does not). */
  depth: boolean;
}

/** An ellipse in a vertical plane facing the robot (z = c[2]). */
export interface EllipsePrim {
  kind: 'ellipse';
  c: Vec3;
  rx: number;
  ry: number;
  fill: Rgb;
  opacity: number;
  depth: boolean;
}

/** An ellipse fixed to the camera image (hands holding the robot), in fractions of width/height. */
export interface ScreenEllipse {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  fill: Rgb;
  /** Depth reported inside it (m). */
  depth: number;
}

export type Prim = QuadPrim | EllipsePrim;

export interface WorldFrame {
  pose: CameraPose;
  /** Back wall distance and door state for the depth renderer's planes. */
  wallDistance: number;
  doorX: number;
  /** Door panel angle, 0 = closed, ~1.35 = open. */
  doorAngle: number;
  /** The room shell (ceiling, wall, floor, wall decorations), drawn first in this order. */
  shell: Prim[];
  /** Everything standing in the room, drawn far to near. */
  prims: Prim[];
  screen: ScreenEllipse[];
  /** Full-frame colour wash (alarm light), opacity 0 = none. */
  wash: { fill: Rgb; opacity: number };
}

const DOOR_OPEN = 1.35;
const SKIN: Rgb[] = [[236, 200, 170], [200, 150, 110], [150, 100, 70], [95, 65, 45]];
const SHIRTS: Rgb[] = [[200, 40, 40], [40, 90, 190], [40, 150, 70], [230, 200, 50], [60, 60, 60], [240, 240, 240], [150, 70, 160]];
const FUR: Rgb[] = [[150, 100, 55], [60, 45, 35], [220, 200, 160], [30, 30, 30], [190, 140, 80]];
const BOXES: Rgb[] = [[190, 140, 80], [60, 110, 190], [170, 170, 170], [210, 90, 40]];

function pickBy<T>(items: readonly T[], u: number): T {
  return items[Math.min(items.length - 1, Math.floor(u * items.length))] as T;
}

function smoothstep(x: number): number {
  const c = Math.max(0, Math.min(1, x));
  return c * c * (3 - 2 * c);
}

function shade(c: Rgb, k: number): Rgb {
  return [Math.min(255, c[0] * k), Math.min(255, c[1] * k), Math.min(255, c[2] * k)];
}

function wallQuad(x0: number, x1: number, y0: number, y1: number, z: number, fill: Rgb, depth: boolean): QuadPrim {
  return { kind: 'quad', pts: [[x0, y0, z], [x1, y0, z], [x1, y1, z], [x0, y1, z]], fill, opacity: 1, depth };
}

/** A box seen from the front: front face plus top face. */
function box(x: number, z: number, w: number, h: number, d: number, fill: Rgb): QuadPrim[] {
  return [
    { kind: 'quad', pts: [[x - w / 2, h, z], [x + w / 2, h, z], [x + w / 2, h, z + d], [x - w / 2, h, z + d]], fill: shade(fill, 1.18), opacity: 1, depth: true },
    wallQuad(x - w / 2, x + w / 2, 0, h, z, fill, true),
  ];
}

function person(x: number, z: number, height: number, shirt: Rgb, skin: Rgb, walkPhase: number, armUp: number): Prim[] {
  const H = height;
  const lift = 0.07 * Math.sin(walkPhase);
  const swing = 0.06 * Math.sin(walkPhase);
  const pants: Rgb = [45, 50, 70];
  const prims: Prim[] = [
    wallQuad(x - 0.17, x - 0.03, Math.max(0, lift), 0.48 * H, z, pants, true),
    wallQuad(x + 0.03, x + 0.17, Math.max(0, -lift), 0.48 * H, z, pants, true),
    wallQuad(x - 0.22, x + 0.22, 0.46 * H, 0.83 * H, z, shirt, true),
    // arms: left swings while walking, right may be raised while talking
    wallQuad(x - 0.3, x - 0.22, 0.5 * H + swing, 0.81 * H, z, shade(shirt, 0.85), true),
    armUp > 0
      ? { kind: 'quad', pts: [[x + 0.22, 0.74 * H, z], [x + 0.3, 0.8 * H, z], [x + 0.42, 0.8 * H + 0.3 * armUp, z], [x + 0.35, 0.76 * H + 0.3 * armUp, z]], fill: skin, opacity: 1, depth: true }
      : wallQuad(x + 0.22, x + 0.3, 0.5 * H - swing, 0.81 * H, z, shade(shirt, 0.85), true),
    wallQuad(x - 0.05, x + 0.05, 0.82 * H, 0.87 * H, z, skin, true),
    { kind: 'ellipse', c: [x, 0.92 * H, z], rx: 0.1, ry: 0.12, fill: skin, opacity: 1, depth: true },
    { kind: 'ellipse', c: [x, 0.97 * H, z - 0.001], rx: 0.1, ry: 0.06, fill: [40, 30, 25], opacity: 1, depth: false },
  ];
  return prims;
}

function dog(x: number, z: number, fur: Rgb, facing: number, mouthOpen: boolean): Prim[] {
  const leg = (dx: number): QuadPrim => wallQuad(x + dx - 0.03, x + dx + 0.03, 0, 0.26, z, shade(fur, 0.8), true);
  const hx = x + facing * 0.34;
  return [
    leg(-0.22), leg(-0.12), leg(0.12), leg(0.22),
    { kind: 'quad', pts: [[x - facing * 0.3, 0.38, z], [x - facing * 0.46, 0.52, z], [x - facing * 0.43, 0.55, z], [x - facing * 0.27, 0.42, z]], fill: fur, opacity: 1, depth: false },
    { kind: 'ellipse', c: [x, 0.34, z], rx: 0.32, ry: 0.12, fill: fur, opacity: 1, depth: true },
    { kind: 'ellipse', c: [hx, 0.47, z - 0.01], rx: 0.1, ry: 0.1, fill: fur, opacity: 1, depth: true },
    { kind: 'ellipse', c: [hx + facing * 0.1, 0.44, z - 0.02], rx: 0.07, ry: 0.045, fill: shade(fur, 0.9), opacity: 1, depth: false },
    { kind: 'ellipse', c: [hx - facing * 0.05, 0.56, z - 0.02], rx: 0.035, ry: 0.06, fill: shade(fur, 0.6), opacity: 1, depth: false },
    { kind: 'ellipse', c: [hx + facing * 0.16, 0.46, z - 0.03], rx: 0.02, ry: 0.02, fill: [20, 20, 20], opacity: 1, depth: false },
    ...(mouthOpen ? [{ kind: 'ellipse', c: [hx + facing * 0.12, 0.4, z - 0.03], rx: 0.05, ry: 0.03, fill: [120, 30, 40], opacity: 1, depth: false } as EllipsePrim] : []),
  ];
}

function shards(seed: number, e: ScheduledEvent): Prim[] {
  const rng = Rng.derive(seed, `shards@${e.start.toFixed(3)}`);
  const gx = e.p.x ?? 0;
  const gz = e.p.z ?? 1.5;
  const prims: Prim[] = [];
  // a splash of spilled water under the shards
  const puddle: Vec3[] = [];
  for (let i = 0; i < 14; i++) {
    const a = (i / 14) * 2 * Math.PI;
    const r = 0.35 + 0.08 * Math.sin(3 * a + gx);
    puddle.push([gx + r * Math.cos(a), 0.001, gz + 0.7 * r * Math.sin(a)]);
  }
  prims.push({ kind: 'quad', pts: puddle, fill: [160, 205, 235], opacity: 0.7, depth: false });
  const n = e.p.pieces ?? 10;
  for (let i = 0; i < n; i++) {
    const cx = gx + rng.uniform(-0.5, 0.5);
    const cz = gz + rng.uniform(-0.35, 0.35);
    const s = rng.uniform(0.06, 0.16);
    const a = rng.uniform(0, 2 * Math.PI);
    const pts: Vec3[] = [0, 1, 2].map((k) => {
      const ang = a + (k * 2 * Math.PI) / 3 + rng.uniform(-0.4, 0.4);
      return [cx + s * Math.cos(ang), 0.003, cz + s * Math.sin(ang)] as Vec3;
    });
    prims.push({ kind: 'quad', pts, fill: [235, 250, 255], opacity: 1, depth: false });
  }
  return prims;
}

/** Camera pose and primitives at `t` seconds. */
export function worldAt(script: Script, t: number): WorldFrame {
  const s = script.setup;
  let height = s.cameraHeight;
  let pitch = s.cameraPitch;
  let roll = s.cameraRoll;
  let doorAngle = DOOR_OPEN;
  const prims: Prim[] = [];
  const shell: Prim[] = [];
  const screen: ScreenEllipse[] = [];
  let wash = { fill: [255, 30, 20] as Rgb, opacity: 0 };

  const D = s.wallDistance;
  // room shell: ceiling, wall, floor
  shell.push({ kind: 'quad', pts: [[-40, ROOM_HEIGHT, 0], [40, ROOM_HEIGHT, 0], [40, ROOM_HEIGHT, D], [-40, ROOM_HEIGHT, D]], fill: s.ceilingColor, opacity: 1, depth: false });
  shell.push(wallQuad(-40, 40, 0, ROOM_HEIGHT, D, s.wallColor, false));
  shell.push({ kind: 'quad', pts: [[-40, 0, 0], [40, 0, 0], [40, 0, D], [-40, 0, D]], fill: s.floorColor, opacity: 1, depth: false });
  shell.push(wallQuad(-40, 40, 0, 0.08, D - 0.002, shade(s.wallColor, 0.7), false));
  for (const p of s.posters) shell.push(wallQuad(p.x - p.w / 2, p.x + p.w / 2, p.y - p.h / 2, p.y + p.h / 2, D - 0.004, p.color, false));
  shell.push(wallQuad(s.doorX - DOOR_HALF_WIDTH, s.doorX + DOOR_HALF_WIDTH, 0, DOOR_HEIGHT, D - 0.006, [28, 28, 34], false));
  if (s.furniture !== undefined) prims.push(...box(s.furniture.x, s.furniture.z, s.furniture.w, s.furniture.h, 0.5, s.furniture.color));

  for (const e of script.events) {
    if (t < e.start || t >= e.end) continue;
    const tau = t - e.start;
    const dur = e.end - e.start;
    const p = e.p;
    switch (e.kind) {
      case 'collision': {
        const impact = p.impact ?? 1;
        const z = tau < impact ? 0.24 + (impact - tau) * 0.9 : 0.24 + 0.04 * Math.exp(-(tau - impact) / 0.1);
        prims.push(...box(p.x ?? 0, z, 0.7, 0.5, 0.45, pickBy(BOXES, p.color ?? 0)));
        if (tau >= impact) {
          const k = (p.strength ?? 1) * Math.exp(-(tau - impact) / 0.25);
          roll += 0.07 * k * Math.sin(2 * Math.PI * 9 * (tau - impact));
          pitch += 0.05 * k * Math.sin(2 * Math.PI * 7 * (tau - impact) + 1);
        }
        break;
      }
      case 'tipping_over': {
        const fall = p.fall ?? 1;
        const ft = p.fallTime ?? 0.7;
        // someone rights the robot during the last 0.6 s of the interval
        const prog = (tau < fall ? 0 : Math.min(1, ((tau - fall) / ft) ** 2)) * (1 - smoothstep((tau - (dur - 0.6)) / 0.6));
        roll += (p.side ?? 1) * (p.angle ?? 1.4) * prog;
        height = height + (0.13 - height) * prog;
        pitch = pitch * (1 - prog) - 0.05 * prog;
        if (tau > fall + ft) roll += 0.03 * Math.exp(-(tau - fall - ft) / 0.2) * Math.sin(2 * Math.PI * 8 * (tau - fall - ft));
        break;
      }
      case 'picked_up': {
        const lift = p.lift ?? 0.4;
        const a = smoothstep((tau - lift) / 0.7) * (1 - smoothstep((tau - (dur - 0.8)) / 0.6));
        const w = 2 * Math.PI * (p.swayHz ?? 0.5) * tau;
        height += a * (p.height ?? 0.8);
        pitch += a * ((p.tilt ?? 0.3) + (p.swayAmp ?? 0.1) * 0.7 * Math.sin(w + 1.3));
        roll += a * (p.swayAmp ?? 0.1) * Math.sin(w);
        if (tau >= lift - 0.2 && tau <= dur - 0.2) {
          const skin = pickBy(SKIN, p.skin ?? 0);
          screen.push({ cx: 0.04, cy: 0.88, rx: 0.2, ry: 0.26, fill: [50, 60, 80], depth: 0.22 });
          screen.push({ cx: 0.96, cy: 0.88, rx: 0.2, ry: 0.26, fill: [50, 60, 80], depth: 0.22 });
          screen.push({ cx: 0.14, cy: 0.8, rx: 0.13, ry: 0.16, fill: skin, depth: 0.16 });
          screen.push({ cx: 0.86, cy: 0.8, rx: 0.13, ry: 0.16, fill: skin, depth: 0.16 });
        }
        break;
      }
      case 'person_approaching': {
        const from = p.from ?? 4;
        const z = from + ((p.to ?? 1) - from) * (tau / dur);
        const phase = Math.PI * (p.stepHz ?? 1.8) * tau * 2;
        prims.push(...person(p.x ?? 0, z, p.height ?? 1.7, pickBy(SHIRTS, p.shirt ?? 0), pickBy(SKIN, (p.shirt ?? 0) * 3.7 % 1), phase, 0));
        break;
      }
      case 'someone_talking': {
        const gesture = Math.max(0, Math.sin(2 * Math.PI * 0.6 * tau + (p.clip ?? 0) * 6));
        // a conversation: the speaker gesturing and a listener beside them (one walking person = approaching)
        const side = (p.x ?? 0) > 0 ? -1 : 1;
        prims.push(...person((p.x ?? 0) + side * 0.75, (p.dist ?? 1.5) + 0.3, (p.height ?? 1.7) - 0.08, pickBy(SHIRTS, ((p.shirt ?? 0) + 0.37) % 1), pickBy(SKIN, (p.clip ?? 0) * 5.3 % 1), 0, 0));
        prims.push(...person(p.x ?? 0, p.dist ?? 1.5, p.height ?? 1.7, pickBy(SHIRTS, p.shirt ?? 0), pickBy(SKIN, (p.shirt ?? 0) * 3.7 % 1), 0, 0.4 + gesture));
        break;
      }
      case 'door_slam': {
        const slam = p.slam ?? 0.3;
        doorAngle = Math.min(doorAngle, tau < slam ? DOOR_OPEN * (1 - (tau / slam) ** 2) : 0);
        if (tau >= slam) {
          const k = 0.3 * (p.strength ?? 1) * Math.exp(-(tau - slam) / 0.15);
          roll += 0.02 * k * Math.sin(2 * Math.PI * 11 * (tau - slam));
        }
        break;
      }
      case 'glass_breaking':
        if (tau >= (p.crash ?? 0.3)) prims.push(...shards(script.seed, e));
        break;
      case 'alarm_ringing': {
        const on = Math.floor(tau / (p.period ?? 0.5)) % 2 === 0;
        const ax = p.x ?? 0;
        prims.push({ kind: 'ellipse', c: [ax, 2.0, D - 0.01], rx: 0.15, ry: 0.15, fill: [90, 90, 90], opacity: 1, depth: false });
        prims.push({ kind: 'ellipse', c: [ax, 2.0, D - 0.02], rx: 0.11, ry: 0.11, fill: on ? [255, 40, 30] : [200, 35, 25], opacity: 1, depth: false });
        prims.push({ kind: 'ellipse', c: [ax, 2.0, D - 0.03], rx: 0.5, ry: 0.5, fill: [255, 60, 40], opacity: on ? 0.4 : 0.2, depth: false });
        wash = { fill: [255, 30, 20], opacity: on ? 0.22 : 0.14 };
        break;
      }
      case 'dog_barking': {
        const mouth = Math.sin(2 * Math.PI * 1.6 * tau + (p.clip ?? 0) * 5) > 0.2;
        prims.push(...dog(p.x ?? 0, p.dist ?? 2, pickBy(FUR, p.fur ?? 0), p.facing ?? 1, mouth));
        break;
      }
    }
  }

  // the door panel swings about its left hinge
  const hx = s.doorX - DOOR_HALF_WIDTH;
  const w = 2 * DOOR_HALF_WIDTH;
  const ex = hx + w * Math.cos(doorAngle);
  const ez = D - w * Math.sin(doorAngle);
  prims.push({ kind: 'quad', pts: [[hx, 0, D - 0.008], [ex, 0, ez - 0.008], [ex, DOOR_HEIGHT, ez - 0.008], [hx, DOOR_HEIGHT, D - 0.008]], fill: s.doorColor, opacity: 1, depth: true });

  return { pose: { height, pitch, roll }, wallDistance: D, doorX: s.doorX, doorAngle, shell, prims, screen, wash };
}
