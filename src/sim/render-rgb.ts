/**
 * Colour frames: the world description becomes an SVG scene that sharp (librsvg) rasterises, then one
 * pass applies the scene's lighting (brightness, colour temperature) and seeded sensor noise. Rendering is
 * deterministic: coordinates are printed with fixed precision and the noise comes from the seed.
 */
import sharp from 'sharp';
import { NEAR, projectPolygon, toCamera, projectCamera, type Intrinsics } from './camera.js';
import { Rng } from './rng.js';
import type { Rgb, SceneSetup } from './script.js';
import type { Prim, WorldFrame } from './world.js';

function hex(c: Rgb): string {
  const h = (v: number) => Math.max(0, Math.min(255, Math.round(v))).toString(16).padStart(2, '0');
  return `#${h(c[0])}${h(c[1])}${h(c[2])}`;
}

function meanCameraZ(frame: WorldFrame, p: Prim): number {
  if (p.kind === 'ellipse') return toCamera(frame.pose, p.c)[2];
  let z = 0;
  for (const q of p.pts) z += toCamera(frame.pose, q)[2];
  return z / p.pts.length;
}

function primSvg(k: Intrinsics, frame: WorldFrame, p: Prim): string {
  const op = p.opacity < 1 ? ` fill-opacity="${p.opacity.toFixed(2)}"` : '';
  if (p.kind === 'quad') {
    const pts = projectPolygon(k, frame.pose, p.pts);
    if (pts.length < 3) return '';
    return `<polygon points="${pts.map(([u, v]) => `${u.toFixed(1)},${v.toFixed(1)}`).join(' ')}" fill="${hex(p.fill)}"${op}/>`;
  }
  const c = toCamera(frame.pose, p.c);
  if (c[2] < NEAR) return '';
  const [u, v] = projectCamera(k, c);
  return `<ellipse cx="${u.toFixed(1)}" cy="${v.toFixed(1)}" rx="${((k.f * p.rx) / c[2]).toFixed(1)}" ry="${((k.f * p.ry) / c[2]).toFixed(1)}" fill="${hex(p.fill)}"${op}/>`;
}

/** The SVG document of one frame (exposed for docs and debugging). */
function frameSvg(k: Intrinsics, frame: WorldFrame): string {
  const { width: W, height: H } = k;
  const sorted = frame.prims
    .map((p) => ({ p, z: meanCameraZ(frame, p) }))
    .sort((a, b) => b.z - a.z)
    .map((x) => x.p);
  const body = [...frame.shell, ...sorted].map((p) => primSvg(k, frame, p)).join('');
  const deg = ((frame.pose.roll * 180) / Math.PI).toFixed(2);
  const screen = frame.screen
    .map((e) => `<ellipse cx="${(e.cx * W).toFixed(1)}" cy="${(e.cy * H).toFixed(1)}" rx="${(e.rx * W).toFixed(1)}" ry="${(e.ry * H).toFixed(1)}" fill="${hex(e.fill)}"/>`)
    .join('');
  const wash = frame.wash.opacity > 0 ? `<rect width="${W}" height="${H}" fill="${hex(frame.wash.fill)}" fill-opacity="${frame.wash.opacity.toFixed(2)}"/>` : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">` +
    `<rect width="${W}" height="${H}" fill="#808080"/>` +
    `<g transform="rotate(${deg} ${W / 2} ${H / 2})">${body}</g>${screen}${wash}</svg>`
  );
}

const NOISE_TABLE_SIZE = 1 << 18;
let sharedNoise: Float32Array | undefined;

/** Uniform values in [-1, 1) from a fixed seed (the same on every run, so bags stay deterministic). */
function noiseTable(): Float32Array {
  if (sharedNoise === undefined) {
    const rng = new Rng(0x5eed);
    sharedNoise = new Float32Array(NOISE_TABLE_SIZE);
    for (let i = 0; i < NOISE_TABLE_SIZE; i++) sharedNoise[i] = rng.next() * 2 - 1;
  }
  return sharedNoise;
}

/** Renders one packed RGB8 frame (width*height*3 bytes). */
export async function renderRgb(k: Intrinsics, frame: WorldFrame, setup: SceneSetup, noise: Rng): Promise<Uint8Array> {
  const svg = frameSvg(k, frame);
  const raw = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
  const out = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const gain = [setup.brightness * setup.tint[0], setup.brightness * setup.tint[1], setup.brightness * setup.tint[2]];
  // Uniform noise with the scene's sigma, read from a shared seeded table at a per-frame random offset and
  // stride: per-pixel generator calls would cost more than rendering the scene.
  const table = noiseTable();
  const half = setup.imageNoise * Math.sqrt(3);
  let j = Math.floor(noise.next() * NOISE_TABLE_SIZE);
  const stride = 1 + 2 * Math.floor(noise.next() * 64);
  const g0 = gain[0] as number, g1 = gain[1] as number, g2 = gain[2] as number;
  const mask = NOISE_TABLE_SIZE - 1;
  for (let i = 0; i < out.length; i += 3) {
    const j0 = (j + stride) & mask;
    const j1 = (j0 + stride) & mask;
    j = (j1 + stride) & mask;
    const r = (out[i] as number) * g0 + (table[j0] as number) * half;
    const g = (out[i + 1] as number) * g1 + (table[j1] as number) * half;
    const b = (out[i + 2] as number) * g2 + (table[j] as number) * half;
    out[i] = r < 0 ? 0 : r > 255 ? 255 : r + 0.5;
    out[i + 1] = g < 0 ? 0 : g > 255 ? 255 : g + 0.5;
    out[i + 2] = b < 0 ? 0 : b > 255 ? 255 : b + 0.5;
  }
  return out;
}
