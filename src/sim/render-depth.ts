/**
 * Depth frames by ray casting the same world description the colour renderer draws: z-depth in
 * millimetres (16UC1, 0 = invalid, REP-118), with distance-dependent noise, dropouts and the minimum
 * range of a real RGB-D camera. Thin things (posters, shards, the alarm light) carry `depth: false`.
 */
import type { Intrinsics, Vec3 } from './camera.js';
import { Rng } from './rng.js';
import type { SceneSetup } from './script.js';
import { DOOR_HALF_WIDTH, DOOR_HEIGHT, HALLWAY_DEPTH, ROOM_HEIGHT, type WorldFrame } from './world.js';

/** Nearer than this the sensor reports 0 (invalid). */
const MIN_RANGE_M = 0.15;
const MAX_RANGE_M = 10;

/** A convex planar polygon prepared for ray tests: plane n.x = d and, per edge, the inward test vectors. */
interface PlaneTest {
  nx: number;
  ny: number;
  nz: number;
  d: number;
  /** Per edge: a point (ax, ay, az) and m = n x (b - a); a hit h is inside when (h - a).m has one sign. */
  edges: Float64Array;
}

function preparePolygon(pts: readonly Vec3[]): PlaneTest {
  const a = pts[0] as Vec3;
  const b = pts[1] as Vec3;
  const c = pts[2] as Vec3;
  const ux = b[0] - a[0], uy = b[1] - a[1], uz = b[2] - a[2];
  const vx = c[0] - a[0], vy = c[1] - a[1], vz = c[2] - a[2];
  const nx = uy * vz - uz * vy, ny = uz * vx - ux * vz, nz = ux * vy - uy * vx;
  const edges = new Float64Array(pts.length * 6);
  for (let i = 0; i < pts.length; i++) {
    const p = pts[i] as Vec3;
    const q = pts[(i + 1) % pts.length] as Vec3;
    const ex = q[0] - p[0], ey = q[1] - p[1], ez = q[2] - p[2];
    // (e x (h - p)) . n = (h - p) . (n x e)
    edges.set([p[0], p[1], p[2], ny * ez - nz * ey, nz * ex - nx * ez, nx * ey - ny * ex], i * 6);
  }
  return { nx, ny, nz, d: nx * a[0] + ny * a[1] + nz * a[2], edges };
}

/** Renders a width*height Uint16Array of millimetres. */
export function renderDepth(k: Intrinsics, frame: WorldFrame, setup: SceneSetup, noise: Rng): Uint16Array {
  const { width: W, height: H } = k;
  const out = new Uint16Array(W * H);
  const oy = frame.pose.height;
  const quads: PlaneTest[] = [];
  const ellipses: Array<{ cx: number; cy: number; z: number; rx: number; ry: number }> = [];
  for (const p of frame.prims) {
    if (!p.depth) continue;
    if (p.kind === 'ellipse') ellipses.push({ cx: p.c[0], cy: p.c[1], z: p.c[2], rx: p.rx, ry: p.ry });
    else if (p.pts.length >= 3) quads.push(preparePolygon(p.pts));
  }
  const D = frame.wallDistance;
  const doorX = frame.doorX;
  const cxp = W / 2;
  const cyp = H / 2;
  const cr = Math.cos(-frame.pose.roll);
  const sr = Math.sin(-frame.pose.roll);
  const cp = Math.cos(frame.pose.pitch);
  const sp = Math.sin(frame.pose.pitch);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const px = u + 0.5;
      const py = v + 0.5;
      let best = Infinity;
      for (const e of frame.screen) {
        const dx = (px / W - e.cx) / e.rx;
        const dy = (py / H - e.cy) / e.ry;
        if (dx * dx + dy * dy <= 1) best = Math.min(best, e.depth);
      }
      // The world-space ray through this pixel, scaled so its component along the optical axis is 1 (a hit at
      // t lies at z-depth t, what a depth camera reports): undo the image roll, then toCamera's pitch.
      const du = px - cxp;
      const dv = py - cyp;
      const xc = (du * cr - dv * sr) / k.f;
      const yc = -(du * sr + dv * cr) / k.f;
      const rx = xc, ry = yc * cp - sp, rz = yc * sp + cp;
      if (ry < 0) best = Math.min(best, -oy / ry);
      if (ry > 0) best = Math.min(best, (ROOM_HEIGHT - oy) / ry);
      if (rz > 0) {
        const t = D / rz;
        const x = t * rx;
        const y = oy + t * ry;
        const inDoorway = Math.abs(x - doorX) < DOOR_HALF_WIDTH && y < DOOR_HEIGHT && y > 0;
        best = Math.min(best, inDoorway ? (D + HALLWAY_DEPTH) / rz : t);
      }
      for (const q of quads) {
        const den = q.nx * rx + q.ny * ry + q.nz * rz;
        if (Math.abs(den) < 1e-12) continue;
        const t = (q.d - q.ny * oy) / den;
        if (t <= 0 || t >= best) continue;
        const hx = t * rx, hy = oy + t * ry, hz = t * rz;
        const E = q.edges;
        let sign = 0;
        let inside = true;
        for (let i = 0; i < E.length; i += 6) {
          const sgn = (hx - (E[i] as number)) * (E[i + 3] as number) + (hy - (E[i + 1] as number)) * (E[i + 4] as number) + (hz - (E[i + 2] as number)) * (E[i + 5] as number);
          if (sgn > 0) {
            if (sign < 0) { inside = false; break; }
            sign = 1;
          } else if (sgn < 0) {
            if (sign > 0) { inside = false; break; }
            sign = -1;
          }
        }
        if (inside) best = t;
      }
      if (rz > 0) {
        for (const e of ellipses) {
          const t = e.z / rz;
          if (t <= 0 || t >= best) continue;
          const dx = (t * rx - e.cx) / e.rx;
          const dy = (oy + t * ry - e.cy) / e.ry;
          if (dx * dx + dy * dy <= 1) best = t;
        }
      }
      const i = v * W + u;
      const metres = best + (noise.next() * 2 - 1) * Math.sqrt(3) * setup.depthNoise * best * best;
      if (!(metres >= MIN_RANGE_M) || metres > MAX_RANGE_M || noise.next() < setup.depthDropout) {
        out[i] = 0;
      } else {
        out[i] = Math.round(metres * 1000);
      }
    }
  }
  return out;
}
