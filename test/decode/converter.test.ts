import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { MessageConverter } from '../../src/decode/converter.js';

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const header = (sec: number) => ({ stamp: { sec, nanosec: 0 }, frame_id: '' });
const image = (encoding: string, data: Uint8Array, sec = 1) => ({ header: header(sec), width: 1, height: 1, encoding, is_bigendian: 0, step: data.length, data });

describe('MessageConverter', () => {
  it('maps by message type: colour image = vision, 16UC1 = depth, Imu = imu; header stamp wins over log time', async () => {
    const c = new MessageConverter();
    const v = await c.convert('/cam/image_raw', 'sensor_msgs/msg/Image', image('rgb8', Uint8Array.from([1, 2, 3])), 99n);
    expect(v.kind === 'sample' && v.sample.modality).toBe('vision');
    expect(v.kind === 'sample' && v.sample.stamp).toBe(1_000_000_000n);
    const d = await c.convert('/cam/depth', 'sensor_msgs/Image', image('16UC1', Uint8Array.from([0xe8, 3]), 0), 99n);
    expect(d.kind === 'sample' && d.sample.modality).toBe('depth');
    expect(d.kind === 'sample' && d.sample.stamp).toBe(99n); // zero header stamp -> log time
    const summary = c.summary();
    expect(summary['/cam/image_raw']).toMatchObject({ decoded: 1, modality: 'vision', bad: 0 });
    expect(summary['/cam/depth']).toMatchObject({ decoded: 1, modality: 'depth' });
  });

  it('config mapping overrides the default and can ignore a topic', async () => {
    const c = new MessageConverter({ topics: { '/thermal': 'thermal', '/noise': 'ignore', '/imu': 'audio' } });
    const t = await c.convert('/thermal', 'sensor_msgs/msg/Image', image('mono8', Uint8Array.from([42])), 0n);
    expect(t.kind === 'sample' && t.sample.modality).toBe('thermal');
    expect(await c.convert('/noise', 'sensor_msgs/msg/Image', image('mono8', Uint8Array.from([42])), 0n)).toEqual({ kind: 'skipped', reason: 'topic ignored by config' });
    const wrong = await c.convert('/imu', 'sensor_msgs/msg/Imu', {}, 0n);
    expect(wrong.kind).toBe('skipped');
  });

  it('ros-drivers audio waits for AudioInfo on the sibling topic, then decodes', async () => {
    const c = new MessageConverter();
    const audio = { header: header(3), audio: { data: Uint8Array.from([0, 0x40]) } };
    const before = await c.convert('/mic/audio', 'audio_common_msgs/msg/AudioDataStamped', audio, 0n);
    expect(before).toMatchObject({ kind: 'skipped', reason: expect.stringMatching(/no AudioInfo yet on \/mic\/audio_info/) });
    const info = await c.convert('/mic/audio_info', 'audio_common_msgs/msg/AudioInfo', { channels: 1, sample_rate: 16000, sample_format: 'S16LE', bitrate: 0, coding_format: 'WAVE' }, 0n);
    expect(info).toEqual({ kind: 'info' });
    const after = await c.convert('/mic/audio', 'audio_common_msgs/msg/AudioDataStamped', audio, 0n);
    expect(after.kind === 'sample' && after.sample.modality === 'audio' && Array.from(after.sample.samples)).toEqual([0.5]);
    expect(c.summary()['/mic/audio']).toMatchObject({ received: 2, decoded: 1, skipped: 1 });
    expect(c.summary()['/mic/audio_info']).toMatchObject({ info: 1 });
  });

  it('audio_tools uses log time, not its sample-count stamps', async () => {
    const c = new MessageConverter();
    const r = await c.convert('/audio_stamped', 'audio_tools/msg/AudioDataStamped', { header: header(5), audio: { data: new Uint8Array(2) }, info: { sample_rate: 16000, sample_format: 'S16LE', channels: 1 } }, 1234n);
    expect(r.kind === 'sample' && r.sample.stamp).toBe(1234n);
  });

  it('malformed messages are counted and logged once per topic, never thrown', async () => {
    const { stream, lines } = capture();
    const c = new MessageConverter({ logger: createLogger({ format: 'json', destination: stream, level: 'info' }) });
    for (const m of [null, 'text', 42, image('rgb8', new Uint8Array(2)), image('weird', new Uint8Array(3)), { header: header(1) }]) {
      const r = await c.convert('/cam', 'sensor_msgs/msg/Image', m, 0n);
      expect(r.kind).toBe('bad');
    }
    const s = await c.convert('/other', 'nav_msgs/msg/Odometry', {}, 0n);
    expect(s).toEqual({ kind: 'skipped', reason: 'no converter for nav_msgs/Odometry' });
    await c.convert('/other', 'nav_msgs/msg/Odometry', {}, 0n);
    expect(c.summary()['/cam']).toMatchObject({ received: 6, bad: 6, decoded: 0 });
    expect(c.summary()['/cam']!.firstReason).toMatch(/expected a message/);
    const logged = lines();
    expect(logged.filter((l) => l['topic'] === '/cam')).toHaveLength(1);
    expect(logged.filter((l) => l['topic'] === '/other')).toHaveLength(1);
    expect(logged.find((l) => l['topic'] === '/cam')).toMatchObject({ level: 40, type: 'sensor_msgs/msg/Image' });
  });
});
