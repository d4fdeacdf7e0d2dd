import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SenseEvent } from '../../src/core/types.js';
import { JsonlSink, parseJsonlEvents } from '../../src/sinks/jsonl.js';

function event(seq: number, type: SenseEvent['type'] = 'start'): SenseEvent {
  return {
    v: 1, id: `robot-${seq}`, type, robot: 'robot', concept: { id: 'glass', label: 'glass breaking' },
    score: 0.9, peakScore: 0.9, modalityScores: { audio: 0.95 }, present: ['audio'], missing: ['vision'],
    start: '1700000000000000000', end: null,
    startTime: '2023-11-14T22:13:20.000000000Z', endTime: null, emittedAt: new Date(0).toISOString(), seq,
  };
}

let dir: string;
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('JsonlSink', () => {
  it('appends one event per line, in order, across reopen', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-jsonl-'));
    const path = join(dir, 'nested', 'events.jsonl');
    const sink = new JsonlSink({ path, fsync: true });
    await Promise.all([sink.write(event(0)), sink.write(event(1)), sink.write(event(2, 'end'))]);
    await sink.close();
    const again = new JsonlSink({ path });
    await again.write(event(3));
    await again.close();
    const events = parseJsonlEvents(await readFile(path, 'utf8'));
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(events[2]!.type).toBe('end');
    expect(sink.stats()).toMatchObject({ written: 3, pending: 0, errors: 0 });
  });

  it('counts a write it cannot make instead of throwing', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-jsonl-'));
    const blocker = join(dir, 'file');
    await writeFile(blocker, 'x');
    const sink = new JsonlSink({ path: join(blocker, 'events.jsonl') }); // parent is a file
    await sink.write(event(0));
    expect(sink.stats()).toMatchObject({ written: 0, errors: 1, dropped: 1 });
    await sink.write(event(1));
    expect(sink.stats().dropped).toBe(2);
  });

  it('skips a torn last line when reading back', () => {
    const text = `${JSON.stringify(event(0))}\n{"v":1,"id":"robot-1","ty`;
    expect(parseJsonlEvents(text)).toHaveLength(1);
  });
});
