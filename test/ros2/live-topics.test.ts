/**
 * Every sensor message layout sensebind reads, from a publisher process over real DDS into `sensebind run`:
 * Image rgb8 (reliable publisher) and bgr8 (best effort), CompressedImage jpeg, depth 16UC1 and 32FC1,
 * IMU at 200 Hz, audio_common_msgs AudioDataStamped with its latched AudioInfo; per-topic counts read from
 * the node's /metrics. Also: a stream with holes in its stamps is counted as lost in the middleware; a
 * reliable subscription to a best-effort publisher is found in the graph and said once with the fix.
 * A second test: namespace and remap through --ros-args, and concept commands on ~/concepts.
 * Runs where ROS 2 is sourced and rclnodejs is installed; skipped with the reason otherwise.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, domainIdFor, freePort, liveRos2, ros2SourceDetail, ros2TestEnv, startPeer, startSensebind, type LiveProcess, killLeftovers } from '../helpers/ros2-live.js';

const live = liveRos2();
if (!live.available) console.log(`test/ros2/live-topics.test.ts skipped: live ROS 2 not available here: ${live.reason}`);

const MODEL = join(ROOT, 'test/fixtures/models/imagebind-tiny');
const env = ros2TestEnv(domainIdFor(import.meta.filename));
let dir: string;

async function writeConfig(name: string, ros2: string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, ['robot: { id: topictest }', 'log: { level: info, format: json }', `model: { dir: ${JSON.stringify(MODEL)}, providers: [cpu], cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`, 'service: { stopDeadlineSeconds: 20 }', 'ros2:', '  enabled: true', ...ros2, ''].join('\n'));
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-ros2-topics-'));
});
afterAll(async () => {
  killLeftovers();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!live.available)('sensor topics over real DDS', () => {
  it('every layout decodes at its rate; stamp holes are counted as lost; a QoS that can never match is said once with the fix', async () => {
    const port = await freePort();
    const config = await writeConfig('topics.yaml', [
      '  topics:',
      '    - { name: /cam/rgb, type: sensor_msgs/msg/Image }',
      '    - { name: /cam/bgr, type: sensor_msgs/msg/Image }',
      '    - { name: /cam/jpeg, type: sensor_msgs/msg/CompressedImage }',
      '    - { name: /depth/mm, type: sensor_msgs/msg/Image }',
      '    - { name: /depth/m, type: sensor_msgs/msg/Image }',
      '    - { name: /imu, type: sensor_msgs/msg/Imu }',
      '    - { name: /imu_holes, type: sensor_msgs/msg/Imu, modality: ignore }',
      '    - { name: /mic/audio, type: audio_common_msgs/msg/AudioDataStamped }',
      '    - { name: /strict, type: sensor_msgs/msg/Imu, modality: ignore, qos: { reliability: reliable } }',
    ]);
    const jpeg = (await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 60 } } }).jpeg().toBuffer()).toString('base64');
    const node = startSensebind(['run', '--config', config, '--metrics-port', String(port)], env, dir);
    let pub: LiveProcess | undefined;
    try {
      await node.until('sensebind running', () => (node.stderr.includes('"msg":"sensebind running"') ? true : undefined), 60_000);
      const be = { reliability: 'best_effort', depth: 50 };
      pub = await startPeer({
        mode: 'pub',
        waitFor: 'all',
        matchSeconds: 0.5,
        lingerSeconds: 1,
        topics: [
          { name: '/cam/rgb', type: 'sensor_msgs/msg/Image', kind: 'rgb8', rate: 15, count: 45 },
          { name: '/cam/bgr', type: 'sensor_msgs/msg/Image', kind: 'bgr8', rate: 15, count: 45, qos: be },
          { name: '/cam/jpeg', type: 'sensor_msgs/msg/CompressedImage', kind: 'jpeg', rate: 15, count: 45, jpegBase64: jpeg },
          { name: '/depth/mm', type: 'sensor_msgs/msg/Image', kind: '16UC1', rate: 15, count: 45, qos: be },
          { name: '/depth/m', type: 'sensor_msgs/msg/Image', kind: '32FC1', rate: 15, count: 45, qos: be },
          { name: '/imu', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 200, count: 600, qos: be },
          // 200 Hz stamps with every 50th message left out: 11 holes of one message in 600
          { name: '/imu_holes', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 200, count: 600, skipEvery: 50 },
          { name: '/mic/audio_info', type: 'audio_common_msgs/msg/AudioInfo', kind: 'audio-info', rate: 1, count: 1, qos: { durability: 'transient_local', depth: 1 } },
          { name: '/mic/audio', type: 'audio_common_msgs/msg/AudioDataStamped', kind: 'audio-stamped', rate: 10, count: 30, samples: 1600, qos: be },
          { name: '/strict', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 50, count: 150, qos: be },
        ],
      }, env);
      const sent = (await pub.until('the publisher to finish', () => pub!.json<{ done?: Record<string, number> }>().find((l) => l.done)?.done, 30_000));
      // Every message is accounted for: decoded, replaced in sensebind's newest-frame slot while another
      // converted (dropped, by design), skipped (audio before its AudioInfo; an ignored topic) or lost
      // before sensebind read it (a hole in the stamps: overwritten in the DDS queue, or never sent). A loss
      // of the very last message leaves no hole, hence the 1. How much is lost at which depth and load is
      // a figure for bench/, not an assertion here (docs/ros2.md). On a loaded machine sensebind may still
      // be working through its queues when the publisher is done: the counts are read once they settle.
      const checked = ['/cam/rgb', '/cam/bgr', '/cam/jpeg', '/depth/mm', '/depth/m', '/imu', '/mic/audio'];
      let d = new Map<string, number>();
      const accounted = (topic: string) => ['decoded', 'dropped', 'skipped', 'lost'].reduce((n, k) => n + (d.get(`${topic}.${k}`) ?? 0), 0);
      for (let waited = 0, last = ''; waited < 20_000; waited += 500) {
        await new Promise((r) => setTimeout(r, 500));
        d = await ros2SourceDetail(port);
        const now = JSON.stringify([...checked, '/imu_holes'].map(accounted));
        if ((checked.every((t) => sent[t]! - accounted(t) <= 1) && 600 - 1 - accounted('/imu_holes') <= 1) || now === last) break;
        last = now;
      }
      for (const topic of checked) {
        expect(sent[topic]! - accounted(topic), topic).toBeGreaterThanOrEqual(0);
        expect(sent[topic]! - accounted(topic), topic).toBeLessThanOrEqual(1);
        expect(d.get(`${topic}.decoded`), topic).toBeGreaterThan(0);
        expect(d.get(`${topic}.bad`) ?? 0, topic).toBe(0);
      }
      // The publisher left 12 holes of one message (the last at the very end): 11 are seen as lost.
      expect(d.get('/imu_holes.lost')).toBeGreaterThanOrEqual(11);
      expect(600 - 1 - accounted('/imu_holes')).toBeGreaterThanOrEqual(0);
      expect(600 - 1 - accounted('/imu_holes')).toBeLessThanOrEqual(1);
      expect(d.get('lost')).toBe([...d].filter(([k]) => k.endsWith('.lost')).reduce((n, [, v]) => n + v, 0));
      expect(d.get('/strict.decoded') ?? 0).toBe(0);
      expect(d.get('/strict.qosMismatch')).toBe(1);
      const said = node.stderr.split('\n').filter((l) => l.includes('offers best_effort, this subscription requests reliable'));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/\/strict: publisher \/sb_test_peer_\d+ offers best_effort.*set ros2.topics\[\].qos.reliability: best_effort/);
      expect(node.stderr).toMatch(/"topic":"\/imu_holes".*messages lost before sensebind read them/);
      expect(await node.stop('SIGTERM'), node.stderr.slice(-2000)).toBe(0);
    } finally {
      await pub?.stop();
      await node.stop('SIGKILL');
    }
  }, 120_000);

  it('--ros-args namespace and remap, a topic whose type comes from the graph once it appears, concept commands on ~/concepts, doctor', async () => {
    const port = await freePort();
    const config = await writeConfig('ns.yaml', ['  topics:', '    - { name: imu }']);
    const node = startSensebind(['run', '--config', config, '--metrics-port', String(port), '--ros-args', '-r', '__ns:=/robot7', '-r', 'imu:=/drivers/imu_raw'], env, dir);
    let imu: LiveProcess | undefined;
    let commands: LiveProcess | undefined;
    try {
      await node.until('sensebind running', () => (node.stderr.includes('"msg":"sensebind running"') ? true : undefined), 60_000);
      expect(node.stderr).toMatch(/"topics":\["\/drivers\/imu_raw"\].*waiting for these topics to appear in the ROS graph/);
      // the events publisher is in the node's namespace, in the graph before any event (there were none)
      const graph = await startPeer({ mode: 'graph', topics: ['/robot7/sensebind/events', '/sensebind/events'] }, env);
      expect(graph.json<{ publishers?: Record<string, number> }>().find((l) => l.publishers)?.publishers).toEqual({ '/robot7/sensebind/events': 1, '/sensebind/events': 0 });
      await graph.exited;
      // The IMU appears late: its type is read from the graph, then sensebind subscribes (the peer waits for that).
      imu = await startPeer({ mode: 'pub', waitFor: '/drivers/imu_raw', matchSeconds: 0.5, topics: [{ name: '/drivers/imu_raw', type: 'sensor_msgs/msg/Imu', kind: 'imu', rate: 100, count: 100, qos: { reliability: 'best_effort' } }] }, env);
      await imu.until('the IMU publisher to finish', () => imu!.json<{ done?: unknown }>().find((l) => l.done)?.done, 30_000);
      expect(node.stderr).toMatch(/"topic":"\/drivers\/imu_raw","type":"sensor_msgs\/msg\/Imu".*"msg":"subscribed"/);
      expect((await ros2SourceDetail(port)).get('/drivers/imu_raw.decoded')).toBe(100);

      const matcherConcepts = async () => Number(/sensebind_stage_stat\{stage="matcher",key="concepts"\} (\d+)/.exec(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text())?.[1]);
      const before = await matcherConcepts();
      commands = await startPeer({
        mode: 'pub',
        waitFor: '/robot7/sensebind/concepts',
        matchSeconds: 0.5,
        topics: [{ name: '/robot7/sensebind/concepts', type: 'std_msgs/msg/String', kind: 'string', rate: 1, count: 1, data: { op: 'add', concept: { id: 'kettle_whistle', label: 'kettle whistling', prompts: ['a kettle whistling'] } } }],
      }, env);
      await node.until('the concept command applied', () => (/"origin":"ros2","op":"add","id":"kettle_whistle".*"msg":"concept command applied"/.test(node.stderr) ? true : undefined), 20_000);
      expect(await matcherConcepts()).toBe(before + 1);
      expect(await node.stop('SIGINT'), node.stderr.slice(-2000)).toBe(0);
    } finally {
      await imu?.stop();
      await commands?.stop();
      await node.stop('SIGKILL');
    }

    const doctor = startSensebind(['doctor', '--json'], env, dir);
    await doctor.exited;
    const ros2 = (JSON.parse(doctor.lines.join('\n')) as Array<{ name: string; status: string; detail: string }>).find((r) => r.name === 'ros2');
    expect(ros2).toMatchObject({ status: 'ok' });
    expect(ros2!.detail).toMatch(new RegExp(`^rclnodejs loads; ROS 2 ${process.env['ROS_DISTRO']}, RMW rmw_\\w+, ROS_DOMAIN_ID=${env['ROS_DOMAIN_ID']}, discovery LOCALHOST, CYCLONEDDS_URI set$`));
  }, 120_000);
});
