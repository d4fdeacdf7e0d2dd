import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { sessionWithoutRos2 } from '../helpers/ros2-absent.js';
import { ros2Schema } from '../../src/config/ros2.js';
import { createLogger } from '../../src/core/log.js';
import type { SenseEvent } from '../../src/core/types.js';
import { LoopbackTransport } from '../../src/ros2/loopback-transport.js';
import { Ros2Session } from '../../src/ros2/session.js';
import { Ros2EventSink, classificationMessage } from '../../src/sinks/ros2.js';

const event = (type: SenseEvent['type'], score: number): SenseEvent => ({
  v: 1,
  id: 'ev-1',
  type,
  robot: 'r1',
  concept: { id: 'glass', label: 'glass breaking' },
  score,
  peakScore: 0.9,
  modalityScores: { audio: 0.9 },
  present: ['audio'],
  missing: ['vision'],
  start: '1700000000500000000',
  end: type === 'end' ? '1700000002000000000' : null,
  startTime: '2023-11-14T22:13:20.500000000Z',
  endTime: type === 'end' ? '2023-11-14T22:13:22.000000000Z' : null,
  emittedAt: '2026-01-01T00:00:00.000Z',
  seq: 1,
});

describe('Ros2EventSink', () => {
  it('publishes the event JSON on ~/events and a Classification for start/update', async () => {
    const t = new LoopbackTransport({ namespace: '/r1' });
    const strings: unknown[] = [];
    const classes: unknown[] = [];
    t.subscribe('/r1/sensebind/events', 'std_msgs/msg/String', {}, (m) => strings.push(m));
    t.subscribe('/r1/sensebind/classification', 'vision_msgs/msg/Classification', {}, (m) => classes.push(m));
    const sink = new Ros2EventSink({ config: ros2Schema.parse({ enabled: true }), session: new Ros2Session({ createTransport: async () => t }) });
    await sink.write(event('start', 0.8));
    await sink.write(event('end', 0.2));
    await sink.flush();
    expect(strings.map((m) => JSON.parse((m as { data: string }).data))).toEqual([event('start', 0.8), event('end', 0.2)]);
    expect(classes).toEqual([
      { header: { stamp: { sec: 1700000000, nanosec: 500000000 }, frame_id: 'r1' }, results: [{ class_id: 'glass', score: 0.8 }] },
    ]);
    expect(t.publishers.get('/r1/sensebind/events')).toMatchObject({ type: 'std_msgs/msg/String', qos: { reliability: 'reliable' } });
    expect(sink.stats()).toMatchObject({ written: 2, dropped: 0, errors: 0 });
    expect(classificationMessage(event('end', 0.1))).toMatchObject({ header: { stamp: { sec: 1700000002, nanosec: 0 } } });
  });

  it('without vision_msgs: String events still go out, the missing output is logged once', async () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    const t = new LoopbackTransport({ unavailableTypes: ['vision_msgs/msg/Classification'] });
    const strings: unknown[] = [];
    t.subscribe('/sensebind/events', 'std_msgs/msg/String', {}, (m) => strings.push(m));
    const sink = new Ros2EventSink({ config: ros2Schema.parse({}), session: new Ros2Session({ createTransport: async () => t }), logger });
    await sink.write(event('start', 0.8));
    await sink.write(event('update', 0.85));
    expect(strings).toHaveLength(2);
    expect(lines.filter((l) => l.includes('vision_msgs not available'))).toHaveLength(1);
  });

  it('without ROS 2: write() does not throw, events are counted as dropped', async () => {
    const sink = new Ros2EventSink({ config: ros2Schema.parse({ enabled: true }), session: sessionWithoutRos2() });
    await sink.write(event('start', 0.8));
    await sink.write(event('end', 0.1));
    expect(sink.stats()).toMatchObject({ written: 0, dropped: 2 });
    expect(String(sink.stats().detail?.['unavailable'])).toMatch(/ROS 2 is not available/);
  });
});
