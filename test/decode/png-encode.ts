/**
 * A minimal PNG encoder for tests (grey 16-bit and RGB 8-bit, filter 0): fixtures with known pixel values
 * built without the library under test (sharp decodes them).
 */
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function encodePng(width: number, height: number, kind: 'grey16' | 'rgb8', pixels: ArrayLike<number>): Buffer {
  const bpp = kind === 'grey16' ? 2 : 3;
  const raw = Buffer.alloc(height * (1 + width * bpp));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * bpp);
    for (let x = 0; x < width * (kind === 'grey16' ? 1 : 3); x++) {
      const v = pixels[y * width * (kind === 'grey16' ? 1 : 3) + x]!;
      if (kind === 'grey16') raw.writeUInt16BE(v, row + 1 + 2 * x);
      else raw[row + 1 + x] = v;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = kind === 'grey16' ? 16 : 8;
  ihdr[9] = kind === 'grey16' ? 0 : 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
