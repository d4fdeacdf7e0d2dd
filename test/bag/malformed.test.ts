/** Bad input inside an intact bag is counted per topic and skipped; the replay goes on. */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { parse as parseMsg } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { MSG_DEFINITIONS } from '../../src/bag/msg-defs.js';
import { MessageConverter } from '../../src/decode/converter.js';
import { readBag, type BagItem } from '../../src/sources/bag.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sensebind-malformed-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('malformed messages in a bag', () => {
  it('bytes that do not match the schema, an unsupported encoding and a wrong-length image are counted, the rest replays', async () => {
    const path = join(dir, 'bad.mcap');
    const handle = await open(path, 'w');
    const w = new McapWriter({ writable: new FileHandleWritable(handle) });
    await w.start({ profile: 'ros2', library: 'test' });
    const enc = new TextEncoder();
    const image = await w.registerSchema({ name: 'sensor_msgs/msg/Image', encoding: 'ros2msg', data: enc.encode(MSG_DEFINITIONS['sensor_msgs/msg/Image']!) });
    const cam = await w.registerChannel({ schemaId: image, topic: '/cam', messageEncoding: 'cdr', metadata: new Map() });
    const json = await w.registerSchema({ name: 'foo/Bar', encoding: 'jsonschema', data: enc.encode('{}') });
    const jsonCh = await w.registerChannel({ schemaId: json, topic: '/json', messageEncoding: 'json', metadata: new Map() });
    const writer = new MessageWriter(parseMsg(MSG_DEFINITIONS['sensor_msgs/msg/Image']!, { ros2: true }));
    const good = (k: number) =>
      writer.writeMessage({ header: { stamp: { sec: k, nanosec: 0 }, frame_id: 'c' }, height: 1, width: 2, encoding: 'rgb8', is_bigendian: 0, step: 6, data: Uint8Array.from([k, 2, 3, 4, 5, 6]) });
    const short = writer.writeMessage({ header: { stamp: { sec: 3, nanosec: 0 }, frame_id: 'c' }, height: 2, width: 2, encoding: 'rgb8', is_bigendian: 0, step: 6, data: new Uint8Array(6) });
    const msgs: Array<[number, Uint8Array]> = [
      [cam, good(1)],
      [cam, Uint8Array.from([0, 1, 0, 0, 0xff, 0xff, 0xff, 0x7f, 1])], // CDR header, then a string length of 2^31
      [cam, short],
      [jsonCh, enc.encode('{"a":1}')],
      [cam, good(5)],
    ];
    for (const [k, [channelId, data]] of msgs.entries()) {
      await w.addMessage({ channelId, sequence: k, logTime: BigInt(k + 1) * 1_000_000_000n, publishTime: 0n, data });
    }
    await w.end();
    await handle.close();

    const items: BagItem[] = [];
    const gen = readBag(path);
    let summary;
    for (;;) {
      const r = await gen.next();
      if (r.done === true) {
        summary = r.value;
        break;
      }
      items.push(r.value);
    }
    expect(items.map((i) => i.kind)).toEqual(['sample', 'skipped', 'skipped', 'skipped', 'sample']);
    const reasons = items.flatMap((i) => (i.kind === 'skipped' ? [i.reason] : []));
    expect(reasons[0]).toMatch(/^malformed: deserialisation failed/);
    expect(reasons[1]).toMatch(/^malformed: data has 6 bytes, expected step 6 \* height 2 = 12/);
    expect(reasons[2]).toMatch(/no converter for foo\/Bar|unsupported encoding/);
    expect(summary.topics['/cam']).toMatchObject({ received: 4, decoded: 2, bad: 2 });
    expect(summary.topics['/json']).toMatchObject({ received: 1, skipped: 1 });
    expect(summary.damage).toBeUndefined();
  });

  it('the converter survives arbitrary field values (never throws, always a verdict)', async () => {
    const c = new MessageConverter();
    const values = [undefined, null, 0, -1, 1.5, Number.NaN, 2 ** 40, '', 'rgb8', 'x', [], [1, 2], {}, new Uint8Array(7), true, 10n];
    let n = 0;
    let seed = 42;
    const pick = <T>(xs: T[]): T => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return xs[seed % xs.length]!;
    };
    for (const type of ['sensor_msgs/msg/Image', 'sensor_msgs/msg/CompressedImage', 'sensor_msgs/msg/Imu', 'audio_common_msgs/msg/AudioStamped', 'audio_tools/msg/AudioDataStamped']) {
      for (let k = 0; k < 60; k++) {
        const msg = {
          header: pick([undefined, { stamp: pick(values), frame_id: pick(values) }]),
          width: pick(values), height: pick(values), step: pick(values), encoding: pick(values), is_bigendian: pick(values),
          data: pick(values), format: pick(['jpeg', 'png', '16UC1; compressedDepth', pick(values)]),
          linear_acceleration: pick([{ x: 1, y: 2, z: 3 }, pick(values)]), angular_velocity: pick([{ x: 1, y: 2, z: 3 }, pick(values)]),
          audio: pick([{ audio_data: pick(values), info: pick([{ format: 8, channels: pick(values), rate: pick(values) }, pick(values)]) }, { data: pick(values) }, pick(values)]),
          info: pick([{ sample_rate: pick(values), sample_format: pick(['S16LE', pick(values)]), channels: pick(values) }, pick(values)]),
        };
        const r = await c.convert(`/t${n % 3}`, type, msg, 1n);
        expect(['sample', 'skipped', 'bad']).toContain(r.kind);
        n++;
      }
    }
    const total = Object.values(c.summary()).reduce((a, t) => a + t.received, 0);
    expect(total).toBe(n);
  });
});
