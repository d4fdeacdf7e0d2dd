/**
 * Consistent Overhead Byte Stuffing (the framing of PROTOCOL.md): an encoded frame has no 0x00, so 0x00
 * marks frame ends and a receiver resynchronises at the next one after any corruption.
 */

/** Encodes `raw` and appends the 0x00 delimiter. */
export function cobsEncode(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(raw.length + Math.floor(raw.length / 254) + 2);
  let codePos = 0;
  let len = 1;
  let code = 1;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0) {
      out[codePos] = code;
      codePos = len++;
      code = 1;
      continue;
    }
    out[len++] = b;
    code++;
    if (code === 0xff) {
      out[codePos] = code;
      codePos = len++;
      code = 1;
    }
  }
  out[codePos] = code;
  out[len++] = 0;
  return out.subarray(0, len);
}

/**
 * Decodes `src[start, end)` (one frame body, without its delimiter) into `out`.
 * Returns the decoded length, or -1 when the COBS structure is broken.
 */
export function cobsDecode(src: Uint8Array, start: number, end: number, out: Uint8Array): number {
  let r = start;
  let w = 0;
  while (r < end) {
    const code = src[r++]!;
    if (code === 0) return -1;
    const blockEnd = r + code - 1;
    if (blockEnd > end || w + code - 1 > out.length) return -1;
    while (r < blockEnd) {
      const b = src[r++]!;
      if (b === 0) return -1;
      out[w++] = b;
    }
    if (code !== 0xff && r < end) {
      if (w >= out.length) return -1;
      out[w++] = 0;
    }
  }
  return w;
}
