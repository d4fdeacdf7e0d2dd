import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapIndexedReader, McapWriter } from '@mcap/core';
import { FileHandleReadable, FileHandleWritable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { PrefetchingReadable, type WorkerPolicy } from '../../src/bag/chunk-prefetch.js';
import { rewriteChunk } from '../../src/bag/chunk-record.js';
import { createSimulation } from '../../src/sim/simulator.js';
import { writeSimulationBag } from '../../src/sim/bag.js';
import { drainBag } from '../helpers/drain-bag.js';

// The worker is the built dist/bag/chunk-worker.js (npm test builds first); without it the reader
// decompresses in-thread and the worker-specific expectations below would not hold.
let dir: string;
let bag: string;

interface Read {
  /** channel, log time and a hash of the bytes of every message, in order (deep-equal on MBs of bytes is slow) */
  messages: string[];
  stats: { fromWorker: number; inThread: number } | undefined;
  chunks: number;
}

/** Every message of the bag: through PrefetchingReadable, or through the library alone with its own CRC check. */
async function readAll(path: string, prefetch: boolean, beforeChunks?: () => Promise<void>, policy: WorkerPolicy = 'always'): Promise<Read> {
  const handle = await open(path, 'r');
  const handlers = await loadDecompressHandlers();
  const readable = prefetch ? new PrefetchingReadable(handle, path, handlers, policy) : new FileHandleReadable(handle);
  try {
    const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: handlers });
    await beforeChunks?.();
    if (readable instanceof PrefetchingReadable) readable.setChunks(reader.chunkIndexes);
    const messages: Read['messages'] = [];
    for await (const m of reader.readMessages({ validateCrcs: !prefetch })) messages.push(`${m.channelId} ${m.logTime} ${createHash('sha1').update(m.data).digest('hex')}`);
    return { messages, stats: readable instanceof PrefetchingReadable ? { ...readable.stats } : undefined, chunks: reader.chunkIndexes.length };
  } finally {
    if (readable instanceof PrefetchingReadable) readable.close();
    await handle.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-prefetch-'));
  bag = join(dir, 'sim.mcap');
  // 6 s of the simulated robot: about 14 MiB of zstd chunks, enough for the reader to use its worker.
  await writeSimulationBag(createSimulation({ seed: 5, duration: 6 }), bag);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// The worker is forced on here ('always'); readMcap uses it only with more than two cores.
describe('MCAP chunks decompressed ahead in a worker', () => {
  it('gives exactly the messages the library reads with its own CRC check, every chunk from the worker', async () => {
    const reference = await readAll(bag, false);
    const prefetched = await readAll(bag, true);
    expect(prefetched.messages.length).toBeGreaterThan(1000);
    expect(prefetched.messages).toEqual(reference.messages);
    expect(prefetched.stats).toEqual({ fromWorker: prefetched.chunks, inThread: 0 });
  });

  it('without a worker (as on a 2-core machine) the in-thread rewrite gives the same messages', async () => {
    const reference = await readAll(bag, false);
    const inThread = await readAll(bag, true, undefined, 'never');
    expect(inThread.messages).toEqual(reference.messages);
    expect(inThread.stats).toEqual({ fromWorker: 0, inThread: inThread.chunks });
  });

  it('the bag deleted once open: the worker cannot open it, the open handle is read in-thread, nothing lost', async () => {
    const copy = join(dir, 'deleted.mcap');
    await writeFile(copy, await readFile(bag));
    const reference = await readAll(bag, false);
    const read = await readAll(copy, true, () => unlink(copy));
    expect(read.messages).toEqual(reference.messages);
    expect(read.stats!.inThread).toBeGreaterThan(0);
    expect(read.stats!.fromWorker + read.stats!.inThread).toBe(read.chunks);
  });

  it('a bit flip inside a compressed chunk stops the replay at that chunk, as the library did', async () => {
    const bad = join(dir, 'flipped.mcap');
    const bytes = await readFile(bag);
    const at = Math.floor(bytes.length * 0.6);
    for (let i = 0; i < 32; i++) bytes[at + i] = bytes[at + i]! ^ 0xff;
    await writeFile(bad, bytes);
    const { items, summary } = await drainBag(bad);
    expect(summary.damage).toBeDefined();
    expect(summary.damage!.reason).toMatch(/^corrupt chunk: /);
    expect(summary.damage!.offset).toBeGreaterThan(0);
    expect(summary.damage!.offset).toBeLessThanOrEqual(at);
    expect(items.filter((i) => i.kind === 'sample').length).toBeGreaterThan(0);
  });

  it('an uncompressed chunk whose records do not match its CRC is refused', async () => {
    const path = join(dir, 'plain.mcap');
    const handle = await open(path, 'w');
    const writer = new McapWriter({ writable: new FileHandleWritable(handle) });
    await writer.start({ profile: '', library: 'test' });
    const channelId = await writer.registerChannel({ topic: '/t', messageEncoding: 'json', schemaId: 0, metadata: new Map() });
    for (let i = 0; i < 10; i++) await writer.addMessage({ channelId, sequence: i, logTime: BigInt(i), publishTime: BigInt(i), data: new TextEncoder().encode(`{"i":${i}}`) });
    await writer.end();
    await handle.close();
    const reader = await McapIndexedReader.Initialize({ readable: new FileHandleReadable(await open(path, 'r')) });
    const chunk = reader.chunkIndexes[0]!;
    expect(chunk.compression).toBe('');
    const raw = (await readFile(path)).subarray(Number(chunk.chunkStartOffset), Number(chunk.chunkStartOffset + chunk.chunkLength));
    expect(rewriteChunk(new Uint8Array(raw), {}).byteLength).toBeGreaterThan(0);
    const flipped = new Uint8Array(raw);
    flipped[flipped.length - 3] = flipped[flipped.length - 3]! ^ 0xff;
    expect(() => rewriteChunk(flipped, {})).toThrow(/^Incorrect chunk CRC \d+ \(expected \d+\)$/);
  });
});
