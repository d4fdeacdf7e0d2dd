// Search over ROS 2 on the in-process loopback transport (the live DDS test is test/ros2/live-search.test.ts):
// every request gets one reply on ~/search/reply with its correlationId; bad requests are answered INVALID
// naming what was wrong, and a robot without a store answers REFUSED, as over MQTT.
import { describe, expect, it } from 'vitest';
import { Ros2RecallSearch } from '../../src/recall/ros2-search.js';
import { LoopbackTransport } from '../../src/ros2/loopback-transport.js';
import { Ros2Session } from '../../src/ros2/session.js';

async function served() {
  const t = new LoopbackTransport({ namespace: '/r1' });
  const replies: Array<Record<string, unknown>> = [];
  t.subscribe('/r1/sensebind/search/reply', 'std_msgs/msg/String', {}, (m) => replies.push(JSON.parse((m as { data: string }).data) as Record<string, unknown>));
  const search = new Ros2RecallSearch({ session: new Ros2Session({ createTransport: async () => t }), topic: '~/search', replyTopic: '~/search/reply', env: undefined });
  await search.start();
  const ask = async (data: string) => {
    const n = replies.length;
    t.publisher('/r1/sensebind/search', 'std_msgs/msg/String', {}).publish({ data });
    for (let i = 0; i < 100 && replies.length === n; i++) await new Promise((r) => setTimeout(r, 5));
    return replies.at(-1);
  };
  return { t, search, ask, replies };
}

describe('Ros2RecallSearch', () => {
  it('answers each request on ~/search/reply with its correlationId; REFUSED without a store', async () => {
    const { t, search, ask } = await served();
    expect(t.publishers.get('/r1/sensebind/search/reply')).toMatchObject({ type: 'std_msgs/msg/String', qos: { reliability: 'reliable' } });
    expect(await ask(JSON.stringify({ text: 'glass breaking', correlationId: 'q1' }))).toMatchObject({
      v: 1,
      op: 'search',
      correlationId: 'q1',
      ok: false,
      error: { code: 'REFUSED', message: expect.stringMatching(/recall.dir/) },
    });
    await search.close();
  });

  it('answers bad requests INVALID naming what was wrong, and keeps serving', async () => {
    const { search, ask } = await served();
    expect(await ask('{not json')).toMatchObject({ ok: false, correlationId: null, error: { code: 'INVALID', message: expect.stringMatching(/not JSON/) } });
    expect(await ask('[1]')).toMatchObject({ ok: false, error: { code: 'INVALID', message: expect.stringMatching(/JSON object/) } });
    expect(await ask(JSON.stringify({ text: 'x', correlationId: 7 }))).toMatchObject({ ok: false, error: { code: 'INVALID', message: expect.stringMatching(/correlationId must be a string/) } });
    expect(await ask(JSON.stringify({ op: 'add', id: 'x', correlationId: 'q3' }))).toMatchObject({ ok: false, correlationId: 'q3', error: { code: 'INVALID', message: expect.stringMatching(/search requests only/) } });
    expect(search.stats()).toEqual({ received: 4, answered: 4, refusedBusy: 0, errors: 0 });
    await search.close();
  });
});
