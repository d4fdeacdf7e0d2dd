// The shared vectors, TypeScript side: every hex decodes to its stated meaning and every meaning encodes
// to the same bytes; the C core checks the same file (firmware.test.ts runs it).
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/serial/frame-codec.js';
import { FrameDecoder } from '../../src/serial/frame-decoder.js';
import { PROTOCOL_VERSION } from '../../src/serial/protocol.js';
import { loadVectors } from './vector-frames.js';

const { protocol, vectors } = loadVectors();

describe('shared test vectors', () => {
  it('are for this protocol version and cover every frame type and every rejection reason', () => {
    expect(protocol).toBe(PROTOCOL_VERSION);
    const types = new Set(vectors.flatMap((v) => (v.frame ? [v.frame.type] : [])));
    expect([...types].sort()).toEqual(['audio', 'depth', 'error', 'heartbeat', 'hello', 'helloRequest', 'imu', 'syncReply', 'syncRequest']);
    const errors = new Set(vectors.flatMap((v) => (v.error ? [v.error] : [])));
    expect([...errors].sort()).toEqual(['cobs', 'crc', 'payload', 'short', 'tooLong', 'unknownType', 'version']);
  });

  for (const v of vectors) {
    it(v.name, () => {
      const d = new FrameDecoder();
      d.append(v.bytes);
      const result = d.next();
      expect(d.next()).toBeUndefined();
      expect(result).toBeDefined();
      if (v.error === 'unknownType') {
        // PROTOCOL.md §3, §6: skipped and counted as unknownType, not a bad frame (later firmware may add types).
        expect(result).toMatchObject({ ok: false, reason: 'unknownType' });
        expect(d.stats()).toMatchObject({ bad: 0, unknownType: 1, bytesSinceValid: 0 });
        return;
      }
      if (v.error) {
        expect(result).toMatchObject({ ok: false, reason: v.error });
        expect(d.stats().bad).toBe(1);
        return;
      }
      expect(result).toEqual({ ok: true, frame: v.frame });
      expect(Buffer.from(encodeFrame(v.frame!)).toString('hex')).toBe(Buffer.from(v.bytes).toString('hex'));
    });
  }

  it('decode the same when the bytes arrive one at a time, all in one chunk, or split at random', () => {
    const all = Buffer.concat(vectors.map((v) => v.bytes));
    const expected = vectors.map((v) => (v.error ? v.error : v.frame!.type));
    for (const chunking of ['one', 'all', 'random'] as const) {
      const d = new FrameDecoder();
      let pos = 0;
      let seed = 7;
      while (pos < all.length) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const n = chunking === 'one' ? 1 : chunking === 'all' ? all.length : 1 + (seed % 97);
        d.append(all.subarray(pos, pos + n));
        pos += n;
      }
      const got: string[] = [];
      for (let r = d.next(); r; r = d.next()) got.push(r.ok ? r.frame.type : r.reason);
      expect(got, chunking).toEqual(expected);
    }
  });
});
