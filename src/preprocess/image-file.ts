/**
 * Image files through sharp: decode to what PIL's Image.open(...).convert(...) would hold. No EXIF rotation
 * (PIL does not apply it either); alpha is dropped, not composited (PIL's RGBA -> RGB); grey is replicated.
 */
import { readFile } from 'node:fs/promises';
import type { Metadata } from 'sharp';
import { loadSharp } from '../core/sharp.js';
import { SensebindError, errorMessage } from '../core/errors.js';
import type { RgbImage } from './vision.js';

async function readInput(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SensebindError('INPUT', `${path}: cannot read (${code === 'ENOENT' ? 'file not found' : errorMessage(err)})`);
  }
}

async function metadata(path: string, bytes: Buffer): Promise<Metadata> {
  try {
    const meta = await (await loadSharp())(bytes).metadata();
    if (!meta.width || !meta.height) throw new Error(`image has ${meta.width ?? 0}x${meta.height ?? 0} pixels`);
    return meta;
  } catch (err) {
    throw new SensebindError('INPUT', `${path}: not a readable image (${errorMessage(err)}); expected a JPEG or PNG`);
  }
}

/** Decodes a JPEG/PNG (8-bit RGB, RGBA, grey, grey+alpha, palette) into packed RGB8. */
export async function readRgbImage(path: string): Promise<RgbImage> {
  const bytes = await readInput(path);
  const meta = await metadata(path, bytes);
  // A 16-bit grey PNG is a depth or radiometric frame: scaled to 8 bits it would become an almost black
  // picture that embeds as "darkness", silently. 16-bit colour images are real photos and are kept.
  if (meta.depth === 'ushort' && (meta.channels ?? 0) - (meta.hasAlpha ? 1 : 0) === 1) {
    throw new SensebindError(
      'INPUT',
      `${path}: a 16-bit single-channel image (a depth or thermal frame), not a camera picture; use --modality depth (with --depth-units) or thermal`,
    );
  }
  try {
    const { data, info } = await (await loadSharp())(bytes, { failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw new SensebindError('INPUT', `${path}: cannot decode image (${errorMessage(err)})`);
  }
}

export interface GreyImage {
  width: number;
  height: number;
  values: Float32Array;
}

/**
 * Decodes a single-channel image keeping its bit depth (16-bit PNG depth maps, 8-bit thermal images) as the
 * raw integer values. A colour image is refused: depth and thermal are one channel.
 */
export async function readGreyImage(path: string): Promise<GreyImage & { bits: 8 | 16 }> {
  const bytes = await readInput(path);
  const meta = await metadata(path, bytes);
  const channels = (meta.channels ?? 0) - (meta.hasAlpha ? 1 : 0);
  if (channels !== 1) {
    throw new SensebindError('INPUT', `${path}: has ${channels} colour channels, expected a single-channel (grey) image`);
  }
  const sixteen = meta.depth === 'ushort';
  try {
    const { data, info } = await (await loadSharp())(bytes, { failOn: 'error' })
      .removeAlpha()
      // Without an explicit 16-bit colourspace libvips would reduce to 8 bits on the way out.
      .toColourspace(sixteen ? 'grey16' : 'b-w')
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const n = info.width * info.height;
    const values = new Float32Array(n);
    if (sixteen) {
      const u16 = new Uint16Array(data.buffer, data.byteOffset, n);
      for (let i = 0; i < n; i++) values[i] = u16[i]!;
    } else {
      for (let i = 0; i < n; i++) values[i] = data[i]!;
    }
    return { width: info.width, height: info.height, values, bits: sixteen ? 16 : 8 };
  } catch (err) {
    throw new SensebindError('INPUT', `${path}: cannot decode image (${errorMessage(err)})`);
  }
}
