// The recall writer on a real store: ticks are queued without waiting, written in batches, a full queue
// drops its oldest moments (counted) instead of growing, and close() writes what is left.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { SensorModality, SnapshotEmbeddings } from '../../src/core/types.js';
import { LanceRecallStore } from '../../src/recall/lance-store.js';
import { recallSink } from '../../src/recall/open.js';
import { RecallWriter } from '../../src/recall/writer.js';

const DIM = 16;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-recall-writer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function tick(i: number, present: SensorModality[] = ['vision', 'audio']): SnapshotEmbeddings {
  const stamp = BigInt(i) * 500_000_000n;
  const embeddings: SnapshotEmbeddings['embeddings'] = {};
  for (const m of present) {
    const vector = new Float32Array(DIM);
    vector[i % DIM] = 1;
    embeddings[m] = { modality: m, vector, scale: 1, stamp, modelId: 'w' };
  }
  return { seq: i, stamp, present, missing: [], embeddings };
}

describe('RecallWriter', () => {
  it('batches ticks into the store and flushes what is queued', async () => {
    const store = await LanceRecallStore.open({ dir: join(dir, 'a'), modelId: 'w', dim: DIM });
    const writer = new RecallWriter({ store, logger: silentLogger(), flushSeconds: 0.05, clipOf: (s) => `clip-${s}` });
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) writer.observe(tick(i));
    writer.observe(tick(200, [])); // nothing embedded: nothing to remember
    expect(performance.now() - t0).toBeLessThan(200); // queued, not written, on the caller's time
    await writer.flush();
    expect(writer.stats()).toMatchObject({ observed: 200, written: 200, dropped: 0, failed: 0, queued: 0 });
    expect((await store.stats()).rows).toEqual({ vision: 200, audio: 200 });
    expect((await store.moments([1_500_000_000n]))[0]?.clip).toBe('clip-1500000000');
    await writer.close();
  });

  it('drops the oldest queued moments when the store falls behind, and counts them', async () => {
    const store = await LanceRecallStore.open({ dir: join(dir, 'b'), modelId: 'w', dim: DIM });
    // A flush period longer than the test: only the queue bound decides what survives until close().
    const writer = new RecallWriter({ store, logger: silentLogger(), flushSeconds: 60, maxQueue: 50, batchSize: 1000 });
    const sink = recallSink(writer);
    for (let i = 0; i < 80; i++) writer.observe(tick(i));
    expect(writer.stats()).toMatchObject({ observed: 80, dropped: 30, queued: 50, written: 0 });
    expect(sink.stats()).toMatchObject({ dropped: 30, pending: 50, written: 0 });
    await sink.close();
    expect(writer.stats()).toMatchObject({ written: 50, queued: 0 });
    writer.observe(tick(99)); // after close: ignored, not an error
    const reopened = await LanceRecallStore.open({ dir: join(dir, 'b'), modelId: 'w', dim: DIM, create: false });
    const s = await reopened.stats();
    expect(s.rows.vision).toBe(50);
    expect(s.oldest).toBe(30n * 500_000_000n); // the newest 50 were kept
    await reopened.close();
  });
});
