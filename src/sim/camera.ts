/**
 * One pinhole camera model shared by the colour renderer (SVG) and the depth renderer (ray casting), so
 * the two images of a frame agree pixel for pixel. World: x right, y up, z forward from the robot; the
 * camera sits at (0, height, 0), pitched down by `pitch` and rolled by `roll` about its optical axis.
 * Roll is applied in the image plane (an SVG rotate; the depth renderer un-rotates each pixel).
 */
export type Vec3 = readonly [number, number, number];

export interface CameraPose {
  height: number;
  /** Radians, positive = looking down. */
  pitch: number;
  /** Radians, positive = image content turns clockwise. */
  roll: number;
}

export interface Intrinsics {
  width: number;
  height: number;
  /** Focal length in pixels. */
  f: number;
}

/** Horizontal field of view about 64 degrees, typical of RGB-D cameras on small robots. */
export function intrinsicsFor(width: number, height: number): Intrinsics {
  return { width, height, f: width * 0.8 };
}

/** World point -> camera coordinates (x right, y up, z forward along the optical axis), before roll. */
export function toCamera(pose: CameraPose, p: Vec3): Vec3 {
  const dx = p[0];
  const dy = p[1] - pose.height;
  const dz = p[2];
  const s = Math.sin(pose.pitch);
  const c = Math.cos(pose.pitch);
  return [dx, dy * c + dz * s, -dy * s + dz * c];
}

/** Camera coordinates -> pixel (before roll). */
export function projectCamera(k: Intrinsics, pc: Vec3): [number, number] {
  return [k.width / 2 + (k.f * pc[0]) / pc[2], k.height / 2 - (k.f * pc[1]) / pc[2]];
}

export const NEAR = 0.05;

/** Sutherland-Hodgman clip of a camera-space polygon against the near plane z = NEAR. */
function clipNear(poly: readonly Vec3[]): Vec3[] {
  const out: Vec3[] = [];
  for (let i = 0; i < poly.length; i++) {
    const a = poly[i] as Vec3;
    const b = poly[(i + 1) % poly.length] as Vec3;
    const ina = a[2] >= NEAR;
    const inb = b[2] >= NEAR;
    if (ina) out.push(a);
    if (ina !== inb) {
      const t = (NEAR - a[2]) / (b[2] - a[2]);
      out.push([a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), NEAR]);
    }
  }
  return out;
}

/** Projects a world polygon to pixel coordinates (before roll), clipped at the near plane. */
export function projectPolygon(k: Intrinsics, pose: CameraPose, poly: readonly Vec3[]): Array<[number, number]> {
  return clipNear(poly.map((p) => toCamera(pose, p))).map((pc) => projectCamera(k, pc));
}
