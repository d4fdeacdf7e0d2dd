// A ROS 2 process of the tests' own, talking real DDS through rclnodejs: it publishes sensor messages,
// plays a bag, or subscribes and prints what it receives, so that `sensebind run` is tested between two
// processes it does not share anything with but the ROS graph. Started by test/helpers/ros2-live.ts with
// one JSON argument:
//   {"mode":"sub","topics":[{"name","type","qos"?}]}                 prints {"topic","t","msg"} per message
//   {"mode":"pub","topics":[{"name","type","kind","rate","count","qos"?,"stampOffset"?,"skipEvery"?}],
//    "waitFor"?: topic | "all", "matchSeconds"?}
//   {"mode":"play","bag":"x.mcap","speed":1,"qos"?,"topicQos"?:{topic:qos},"waitFor"?,"shiftToNow"?}  a bag's messages at their pace
//   {"mode":"graph","topics":[names]}   prints the graph's topics and the publisher count of each named one
// Every line on stdout is JSON; {"ready":true} once the node's endpoints exist. Exits on SIGTERM/SIGINT,
// or after a publisher/player has sent everything ({"done":{...counts}}).
import { setTimeout as sleep } from 'node:timers/promises';
import rclnodejs from 'rclnodejs';

const spec = JSON.parse(process.argv[2] ?? '{}');
const out = (value) => process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? Number(v) : ArrayBuffer.isView(v) ? `<${v.byteLength} bytes>` : v))}\n`);

await rclnodejs.init();
const node = new rclnodejs.Node(spec.node ?? `sb_test_peer_${process.pid}`);
node.spin();

function qos(q = {}) {
  const Q = rclnodejs.QoS;
  return new Q(
    Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
    q.depth ?? 10,
    q.reliability === 'best_effort' ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE,
    q.durability === 'transient_local' ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
  );
}

const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const rosTime = (ns) => ({ sec: Number(ns / 1_000_000_000n), nanosec: Number(ns % 1_000_000_000n) });

/** Waits until `topic` has at least one subscriber (sensebind's) so nothing is published into the void. */
async function waitForSubscriber(topic, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (node.countSubscribers(topic) === 0) {
    if (Date.now() > deadline) throw new Error(`no subscriber on ${topic} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

const stopping = new Promise((resolve) => {
  process.once('SIGTERM', resolve);
  process.once('SIGINT', resolve);
});

async function finish(code = 0) {
  try {
    node.destroy();
    rclnodejs.shutdown();
  } catch {
    // already down
  }
  process.exit(code);
}

/** A message of `kind` for sequence number i (content varies so a model sees change). */
function makeMessage(kind, i, stamp, t) {
  const header = { stamp: rosTime(stamp), frame_id: `${t.frameId ?? 'test'}:${i}` };
  const w = t.width ?? 64;
  const h = t.height ?? 48;
  switch (kind) {
    case 'rgb8':
    case 'bgr8': {
      const data = new Uint8Array(w * h * 3);
      for (let p = 0; p < data.length; p += 3) data[p] = (i * 7 + p) & 255;
      return { header, height: h, width: w, encoding: kind, is_bigendian: 0, step: w * 3, data };
    }
    case '16UC1': {
      const px = new Uint16Array(w * h).fill(1000 + ((i * 37) % 3000));
      return { header, height: h, width: w, encoding: '16UC1', is_bigendian: 0, step: w * 2, data: new Uint8Array(px.buffer) };
    }
    case '32FC1': {
      const px = new Float32Array(w * h).fill(1 + ((i * 37) % 3000) / 1000);
      return { header, height: h, width: w, encoding: '32FC1', is_bigendian: 0, step: w * 4, data: new Uint8Array(px.buffer) };
    }
    case 'jpeg':
      return { header, format: 'jpeg', data: Uint8Array.from(Buffer.from(t.jpegBase64, 'base64')) };
    case 'imu':
      return {
        header,
        orientation: { x: 0, y: 0, z: 0, w: 1 },
        orientation_covariance: [-1, 0, 0, 0, 0, 0, 0, 0, 0],
        angular_velocity: { x: 0.01 * Math.sin(i / 10), y: 0, z: 0 },
        angular_velocity_covariance: [0, 0, 0, 0, 0, 0, 0, 0, 0],
        linear_acceleration: { x: 0, y: 0.1 * Math.cos(i / 10), z: 9.81 },
        linear_acceleration_covariance: [0, 0, 0, 0, 0, 0, 0, 0, 0],
      };
    case 'audio-stamped': {
      const n = t.samples ?? 1600;
      const pcm = new Int16Array(n);
      for (let k = 0; k < n; k++) pcm[k] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * (i * n + k)) / 16000));
      return { header, audio: { data: new Uint8Array(pcm.buffer) } };
    }
    case 'audio-info':
      return { channels: 1, sample_rate: 16000, sample_format: 'S16LE', bitrate: 0, coding_format: 'wave' };
    case 'string':
      return { data: typeof t.data === 'string' ? t.data : JSON.stringify(t.data) };
    default:
      throw new Error(`unknown message kind ${kind}`);
  }
}

if (spec.mode === 'sub') {
  for (const t of spec.topics) {
    node.createSubscription(t.type, t.name, { qos: qos(t.qos) }, (msg) => out({ topic: t.name, t: Date.now(), msg }));
  }
  out({ ready: true });
  await stopping;
  await finish();
} else if (spec.mode === 'pub') {
  const counts = {};
  const pubs = spec.topics.map((t) => ({ t, pub: node.createPublisher(t.type, t.name, { qos: qos(t.qos) }) }));
  out({ ready: true });
  if (spec.waitFor === 'all') for (const t of spec.topics) await waitForSubscriber(t.name);
  else if (spec.waitFor) await waitForSubscriber(spec.waitFor);
  await sleep((spec.matchSeconds ?? 0) * 1000); // discovery matched the readers, not only saw them
  await Promise.race([
    stopping,
    Promise.all(
      pubs.map(async ({ t, pub }) => {
        counts[t.name] = 0;
        const period = 1000 / t.rate;
        const t0 = performance.now();
        const stamp0 = nowNs(); // stamps on the nominal schedule, as a driver stamps at acquisition
        for (let i = 0; i < t.count; i++) {
          const wait = t0 + i * period - performance.now();
          if (wait > 0) await sleep(wait);
          if (t.skipEvery && (i + 1) % t.skipEvery === 0) continue; // a hole in the stream's stamps
          const stamp = stamp0 + BigInt(Math.round((i * period) / 1000 * 1e9)) + BigInt(Math.round((t.stampOffset ?? 0) * 1e9));
          pub.publish(makeMessage(t.kind, i, stamp, t));
          counts[t.name]++;
        }
      }),
    ),
  ]);
  await sleep((spec.lingerSeconds ?? 0.5) * 1000); // let reliable readers take the last samples
  out({ done: counts });
  await finish();
} else if (spec.mode === 'play') {
  const { readBagRecords } = await import(new URL('../../dist/bag/open-bag.js', import.meta.url).href);
  const pubs = new Map();
  const counts = {};
  let first;
  let shift = 0n;
  out({ ready: true });
  if (spec.waitFor) await waitForSubscriber(spec.waitFor);
  await sleep((spec.matchSeconds ?? 0) * 1000);
  const wall0 = performance.now();
  out({ started: Date.now() });
  let stopped = false;
  void stopping.then(() => (stopped = true));
  for await (const record of readBagRecords(spec.bag)) {
    if (stopped) break;
    if (record.kind !== 'message') continue;
    if (spec.topics && !spec.topics.includes(record.topic)) continue;
    first ??= record.logTime;
    if (spec.shiftToNow && shift === 0n) shift = nowNs() - record.logTime;
    const wait = wall0 + Number(record.logTime - first) / 1e6 / (spec.speed ?? 1) - performance.now();
    if (wait > 1) await sleep(wait);
    const type = record.type.includes('/msg/') ? record.type : record.type.replace('/', '/msg/');
    let pub = pubs.get(record.topic);
    if (pub === undefined) {
      pub = node.createPublisher(type, record.topic, { qos: qos(spec.topicQos?.[record.topic] ?? spec.qos) });
      pubs.set(record.topic, pub);
      counts[record.topic] = 0;
    }
    const msg = record.decode();
    if (shift !== 0n && msg.header?.stamp) {
      const ns = BigInt(msg.header.stamp.sec) * 1_000_000_000n + BigInt(msg.header.stamp.nanosec) + shift;
      msg.header.stamp = rosTime(ns);
    }
    pub.publish(msg);
    counts[record.topic]++;
  }
  await sleep((spec.lingerSeconds ?? 0.5) * 1000);
  out({ done: counts });
  await finish();
} else if (spec.mode === 'graph') {
  await sleep((spec.waitSeconds ?? 1.5) * 1000);
  out({ ready: true, topics: node.getTopicNamesAndTypes(), publishers: Object.fromEntries((spec.topics ?? []).map((t) => [t, node.countPublishers(t)])) });
  await finish();
} else {
  process.stderr.write(`ros2-peer: unknown mode ${spec.mode}\n`);
  await finish(2);
}
