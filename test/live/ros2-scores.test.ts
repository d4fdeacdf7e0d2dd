import { describe, expect, it } from 'vitest';
import { scoresMessage } from '../../src/live/messages.js';
import { Ros2ScoresPublisher } from '../../src/live/ros2-scores.js';
import { LoopbackTransport } from '../../src/ros2/loopback-transport.js';
import { Ros2Session } from '../../src/ros2/session.js';

const trace = [{ conceptId: 'alarm', label: 'alarm ringing', fused: 0.7, smoothed: 0.6, on: 0.3, off: 0.1, active: true, modalityScores: { audio: 0.7 } }];

describe('Ros2ScoresPublisher', () => {
  it('publishes each snapshot\'s score message as std_msgs/String JSON on ~/scores once the node is up', async () => {
    const t = new LoopbackTransport({ namespace: '/r1' });
    const got: string[] = [];
    t.subscribe('/r1/sensebind/scores', 'std_msgs/msg/String', {}, (m) => got.push((m as { data: string }).data));
    const pub = new Ros2ScoresPublisher({ topic: '~/scores', session: new Ros2Session({ createTransport: async () => t }) });
    const m1 = scoresMessage(trace, 1_000_000_000n, 1);
    pub.recordScores(1_000_000_000n, m1); // the node starts now: this one is dropped, counted
    await new Promise((r) => setTimeout(r, 10));
    const m2 = scoresMessage(trace, 1_500_000_000n, 2);
    pub.recordScores(1_500_000_000n, m2);
    expect(got.map((s) => JSON.parse(s))).toEqual([m2]);
    expect(t.publishers.get('/r1/sensebind/scores')).toMatchObject({ type: 'std_msgs/msg/String', qos: { reliability: 'best_effort' } });
    expect(pub.stats()).toEqual({ published: 1, dropped: 1, errors: 0 });
  });

  it('without ROS 2 every message is counted as dropped and nothing throws', async () => {
    const pub = new Ros2ScoresPublisher({ topic: '~/scores', session: new Ros2Session({ createTransport: async () => { throw new Error('no rclnodejs'); } }) });
    for (let i = 0; i < 3; i++) {
      pub.recordScores(BigInt(i), scoresMessage(trace, BigInt(i), i));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(pub.stats()).toEqual({ published: 0, dropped: 3, errors: 0 });
  });
});
