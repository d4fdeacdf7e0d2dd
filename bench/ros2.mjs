// sensebind over a real ROS 2 graph (rclnodejs, the sourced RMW, DDS on loopback), at a simulated robot's
// real rates: `ros2 bag play` publishes a simulated bag's camera, depth, IMU and audio at the recorded pace,
// `sensebind run` (bundled model and concepts)
// sits in between, and a subscriber process receives ~/events. The player is `ros2 bag play` (recorded
// stamps, mapped by sensebind's stamp policy). Reports:
//   - publisher-to-event latency of event starts: arrival of the start event at the subscriber minus the
//     moment the scripted event (ground truth in the bag) was published;
//   - tick latency: an event's emittedAt minus its snapshot stamp (snapshot -> embeddings -> matching);
//   - CPU share of the sensebind process (utime+stime over the run, % of one core; and the same from the
//     scheduler's nanosecond accounting, which tick-based utime+stime overstates for a node that wakes often);
//   - per topic: messages decoded, dropped by design (newest-frame slot), lost before sensebind read them.
// Usage (ROS 2 sourced, `npm ci` done):
//   node bench/ros2.mjs [--bag sim.mcap] [--seconds 45] [--reliability reliable|best_effort] [--out result.json]
//                       [--width 640 --height 480 --fps 30 --depth-width 640 --depth-height 480 --depth-fps 15]
//                       [--cpu-prof <dir>] [--keep-bag <path>] [--cli <other checkout>/bin/sensebind.js] [--dds-rcvbuf 4MB]
// The sensor topics are played with the given reliability (keep-last 100); AudioInfo as recorded (latched).
//   without --bag it simulates one at the issue's rates: 640x480 rgb8 at 30 Hz, 640x480 16UC1 depth at
//   15 Hz, IMU 200 Hz, 16 kHz audio in 100 ms chunks. --keep-bag keeps that bag for the next run (--bag).
//   --cpu-prof runs the sensebind node under `node --cpu-prof` and writes its profile to <dir>.
//   --cli runs another build's sensebind as the node (a before/after comparison under the same conditions).
//   The node is started with the Node flags of bin/sensebind.js's shebang (--initial-old-space-size), as
//   npx, `ros2 run` and the launch file start it. --node-flags='<flags>' (with '=', as the value starts with
//   --) starts it with these V8/Node flags instead (e.g. --trace-gc; ' ' for a bare node); its stdout then
//   goes to <out>.node-stdout.
//   --dds-rcvbuf asks Cyclone DDS for UDP receive buffers of that size in every process (capped by the
//   kernel's net.core.rmem_max), as one tunes DDS for large images.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processCpuSeconds } from '../dist/core/process-cpu.js'; // `npm ci` builds dist/, as the CLI needs

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/sensebind.js');
const PEER = join(ROOT, 'test/helpers/ros2-peer.mjs'); // the subscriber process
const { values } = parseArgs({
  options: {
    bag: { type: 'string' },
    seconds: { type: 'string', default: '45' },
    out: { type: 'string' },
    seed: { type: 'string', default: '11' },
    reliability: { type: 'string', default: 'reliable' },
    width: { type: 'string', default: '640' },
    height: { type: 'string', default: '480' },
    fps: { type: 'string', default: '30' },
    'depth-width': { type: 'string', default: '640' },
    'depth-height': { type: 'string', default: '480' },
    'depth-fps': { type: 'string', default: '15' },
    'cpu-prof': { type: 'string' },
    'keep-bag': { type: 'string' },
    cli: { type: 'string' },
    'dds-rcvbuf': { type: 'string' },
    'node-flags': { type: 'string' },
  },
});
const frames = ['width', 'height', 'fps', 'depth-width', 'depth-height', 'depth-fps'].flatMap((k) => [`--${k}`, values[k]]);

if (!process.env.ROS_DISTRO) {
  console.error('bench/ros2.mjs: ROS 2 is not sourced (source /opt/ros/<distro>/setup.bash; docs/ros2.md)');
  process.exit(2);
}
const env = {
  ...process.env,
  ROS_DOMAIN_ID: String(150 + (process.pid % 50)),
  ROS_AUTOMATIC_DISCOVERY_RANGE: 'LOCALHOST',
  CYCLONEDDS_URI: `<CycloneDDS><Domain><General><Interfaces><NetworkInterface address="127.0.0.1"/></Interfaces></General>${
    values['dds-rcvbuf'] !== undefined ? `<Internal><SocketReceiveBufferSize min="${values['dds-rcvbuf']}"/></Internal>` : ''
  }</Domain></CycloneDDS>`,
};
const dir = await mkdtemp(join(tmpdir(), 'sb-bench-ros2-'));
const seconds = Number(values.seconds);
let bag = values.bag;
if (bag === undefined) {
  bag = values['keep-bag'] !== undefined ? resolve(values['keep-bag']) : join(dir, 'sim.mcap');
  const sim = spawnSync(process.execPath, [CLI, 'simulate', '--seed', values.seed, '--duration', String(seconds), '--out', bag, '--quiet', ...frames], { encoding: 'utf8' });
  if (sim.status !== 0) throw new Error(sim.stderr);
}

function proc(args, lines) {
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let partial = '';
  child.stdout.on('data', (c) => {
    const parts = (partial + c).split('\n');
    partial = parts.pop();
    for (const l of parts) if (l.trim()) lines.push({ t: Date.now(), l });
  });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return { child, err: () => err, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}
const until = async (what, fn, ms = 60_000) => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, clock ticks (100 Hz)
};
/** utime+stime per thread name (comm) of `pid`: where the node's CPU goes (JS main thread, DDS, ONNX, workers). */
const threadTicks = (pid) => {
  const out = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const raw = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = raw.slice(raw.indexOf('(') + 1, raw.lastIndexOf(')')).replace(/[0-9]+$/, '#');
      const f = raw.slice(raw.lastIndexOf(') ') + 2).split(' ');
      const key = `${tid === String(pid) ? 'main ' : ''}${name}`;
      out[key] = (out[key] ?? 0) + Number(f[11]) + Number(f[12]);
    } catch {
      // the thread ended between listing and reading
    }
  }
  return out;
};
/** The kernel's count of UDP datagrams dropped because a socket's receive buffer was full (all sockets). */
const udpRcvbufErrors = () => {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const [names, vals] = lines.map((l) => l.split(/\s+/));
  return Number(vals[names.indexOf('RcvbufErrors')]);
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

const config = join(dir, 'bench.yaml');
const port = 19000 + (process.pid % 1000);
await writeFile(config, [
  'robot: { id: bench }',
  'log: { level: info, format: json }',
  `model: { cacheDir: ${JSON.stringify(join(dir, 'cache'))} }`,
  `service: { metrics: { port: ${port} }, stopDeadlineSeconds: 20 }`,
  'ros2:',
  '  enabled: true',
  '  topics:',
  '    - { name: /camera/color/image_raw, type: sensor_msgs/msg/Image }',
  '    - { name: /camera/depth/image_rect_raw, type: sensor_msgs/msg/Image }',
  '    - { name: /imu/data_raw, type: sensor_msgs/msg/Imu }',
  '    - { name: /audio/audio, type: audio_common_msgs/msg/AudioDataStamped }',
  '',
].join('\n'));

const subLines = [];
const sub = proc([PEER, JSON.stringify({ mode: 'sub', topics: [{ name: '/sensebind/events', type: 'std_msgs/msg/String', qos: { depth: 100 } }, { name: '/sensebind/truth', type: 'std_msgs/msg/String', qos: { depth: 10 } }] })], subLines);
const nodeLines = [];
// By default the node gets the Node flags of the launcher's shebang, as `npx sensebind run`, `ros2 run` and
// the launch file start it; --node-flags replaces them (--node-flags ' ' for a bare node).
const launcherFlags = readFileSync(values.cli !== undefined ? resolve(values.cli) : CLI, 'utf8').split('\n', 1)[0].split(/\s+/).filter((a) => a.startsWith('--'));
const prof = [...(values['cpu-prof'] !== undefined ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof'])] : []), ...(values['node-flags']?.split(' ').filter(Boolean) ?? launcherFlags)];
const node = proc([...prof, values.cli !== undefined ? resolve(values.cli) : CLI, 'run', '--config', config], nodeLines);
await until('sensebind running', () => (node.err().includes('"msg":"sensebind running"') ? true : undefined), 120_000);
// The real player (rosbag2, C++) keeps the recorded pace even on a loaded machine; its messages carry the
// recorded stamps, which sensebind maps onto its clock (ros2.stampPolicy: map), as with a driver whose
// clock differs from the host's.
const load0 = loadavg();
const cpu0 = cpuTicks(node.child.pid);
const sched0 = await processCpuSeconds(node.child.pid);
const threads0 = threadTicks(node.child.pid);
const udp0 = udpRcvbufErrors();
const wall0 = Date.now();
const play = spawn('ros2', ['bag', 'play', bag, '--disable-keyboard-controls', '-d', '1', '--qos-profile-overrides-path', await qosOverrides()], { cwd: dir, env, stdio: 'ignore' });
await new Promise((r) => play.once('exit', r));
await new Promise((r) => setTimeout(r, 2000));
const cpu1 = cpuTicks(node.child.pid);
const sched1 = await processCpuSeconds(node.child.pid);
const threads1 = threadTicks(node.child.pid);
const udp1 = udpRcvbufErrors();
const peakRssMiB = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${node.child.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
const wall1 = Date.now();
const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
node.child.kill('SIGINT');
await node.exited;
await new Promise((r) => setTimeout(r, 1000));
sub.child.kill('SIGTERM');
await sub.exited;

/** rosbag2 replays with the QoS recorded in the bag (best effort); --reliability overrides the sensor topics. */
async function qosOverrides() {
  const path = join(dir, 'qos.yaml');
  const topics = ['/camera/color/image_raw', '/camera/depth/image_rect_raw', '/imu/data_raw', '/audio/audio'];
  await writeFile(path, topics.map((t) => `${t}:\n  reliability: ${values.reliability}\n  history: keep_last\n  depth: 100\n`).join(''));
  return path;
}

const detail = {};
for (const m of metrics.matchAll(/^sensebind_source_detail\{source="ros2",key="([^"]+)"\} (\S+)$/gm)) detail[m[1]] = Number(m[2]);
const events = subLines.map(({ t, l }) => ({ t, m: JSON.parse(l) })).filter((x) => x.m.topic === '/sensebind/events').map((x) => ({ t: x.t, e: JSON.parse(x.m.msg.data) }));
const starts = events.filter((x) => x.e.type === 'start');
// start events only: an end's emittedAt is the tick that ended it, its `start` the event's beginning
const tick = starts.map((x) => Date.parse(x.e.emittedAt) - Number(BigInt(x.e.start) / 1_000_000n));
// publisher-to-event: a scripted event's ground truth is published by the player at the event's start
// (/sensebind/truth); its arrival at the subscriber is the moment the event was "published" by the sensors
const truthArrivals = subLines.map(({ t, l }) => ({ t, m: JSON.parse(l) })).filter((x) => x.m.topic === '/sensebind/truth').map((x) => ({ t: x.t, truth: JSON.parse(x.m.msg.data) }));
const latency = [];
for (const { t, truth: tr } of truthArrivals) {
  const hit = starts.find((x) => x.e.concept.id === tr.label && x.t >= t - 1000);
  if (hit) latency.push(hit.t - t);
}
const topics = {};
for (const [k, v] of Object.entries(detail)) {
  const m = /^(.*)\.(decoded|dropped|lost)$/.exec(k);
  if (m) (topics[m[1]] ??= {})[m[2]] = v;
}
// Every stage's numeric stats are in /metrics as sensebind_stage_stat{stage,key}: the windower's newest-frame
// slots (frames replaced before a snapshot read them: dropped by design) and the ticker.
const stage = {};
for (const m of metrics.matchAll(/^sensebind_stage_stat\{stage="([^"]+)",key="([^"]+)"\} (\S+)$/gm)) stage[`${m[1]}.${m[2]}`] = Number(m[3]);
const pick = (re) => Object.fromEntries(Object.entries(stage).filter(([k]) => re.test(k)));
const result = {
  command: `node bench/ros2.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  machine: `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`,
  loadavgBefore: load0.map((x) => Number(x.toFixed(2))),
  loadavgAfter: loadavg().map((x) => Number(x.toFixed(2))),
  ros: `${process.env.ROS_DISTRO}, ${process.env.RMW_IMPLEMENTATION || 'default RMW'}`,
  bag: values.bag ?? `simulated ${seconds} s, seed ${values.seed}: camera ${values.width}x${values.height} rgb8 ${values.fps} Hz, depth ${values['depth-width']}x${values['depth-height']} 16UC1 ${values['depth-fps']} Hz, IMU 200 Hz, audio 16 kHz`,
  publisherQos: `${values.reliability}, keep-last 100`,
  dds: `Cyclone DDS on loopback${values['dds-rcvbuf'] !== undefined ? `, SocketReceiveBufferSize min ${values['dds-rcvbuf']}` : ', default socket buffers'}`,
  seconds: (wall1 - wall0) / 1000,
  cpuPercentOfOneCore: Number((((cpu1 - cpu0) / 100 / ((wall1 - wall0) / 1000)) * 100).toFixed(1)),
  // the same from the scheduler's nanosecond accounting (processCpuSeconds): what the node actually ran
  cpuPercentOfOneCoreSchedstat: Number((((sched1 - sched0) / ((wall1 - wall0) / 1000)) * 100).toFixed(1)),
  // the same, per thread name (threads of one name summed; threads that ended during the run are missing)
  cpuPercentByThread: Object.fromEntries(
    Object.entries(threads1)
      .map(([k, v]) => [k, Number((((v - (threads0[k] ?? 0)) / 100 / ((wall1 - wall0) / 1000)) * 100).toFixed(1))])
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  ),
  events: { starts: starts.length, messages: events.length, truth: truthArrivals.length, truthDetected: latency.length },
  publisherToEventMs: { n: latency.length, p50: pct(latency, 50), p99: pct(latency, 99), values: latency },
  tickLatencyMs: { n: tick.length, p50: pct(tick, 50), p99: pct(tick, 99) },
  topics,
  // UDP datagrams the kernel dropped on full socket buffers during the run, machine-wide (DDS over loopback
  // is UDP: a 640x480 frame is hundreds of datagrams; a drop the reliable protocol cannot repair in time is lost)
  udpReceiveBufferErrors: udp1 - udp0,
  nodePeakRssMiB: Math.round(peakRssMiB),
  frameSlots: pick(/\.(vision|depth)\.(frames|replacedUnread|outOfOrder|duplicates)$/),
  ticker: pick(/ticker|tick\./i),
  node: values.cli ?? 'this checkout',
  nodeFlags: prof,
};
console.log(JSON.stringify(result, null, 2));
if (values.out) await writeFile(values.out, `${JSON.stringify(result, null, 2)}\n`);
if (values['node-flags'] !== undefined && values.out) await writeFile(`${values.out}.node-stdout`, nodeLines.map((x) => x.l).join('\n'));
await rm(dir, { recursive: true, force: true });
