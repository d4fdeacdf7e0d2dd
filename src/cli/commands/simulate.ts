// `sensebind simulate`: a simulated robot's sensors with scripted events and ground truth, as a rosbag2 MCAP.
import { SensebindError } from '../../core/errors.js';
import { numberFlag, parseCommandArgs, requireFlag, type Command } from '../command.js';
import { EVENT_IDS, isEventId, type EventId } from '../../sim/events.js';

const HELP = `Usage: sensebind simulate --seed <n> --duration <s> --out <file.mcap> [options]

Writes a rosbag2 MCAP of a simulated robot (camera rgb8, depth 16UC1 mm, IMU, 16 kHz audio) with scripted
events and their ground truth on /sensebind/truth. The same seed and options give the same bytes.

Options:
  --seed <n>          scenario seed (integer)                         [required]
  --duration <s>      seconds to simulate                             [required]
  --out <file>        output .mcap path                               [required]
  --events <list>     comma-separated event kinds to script (default: all)
                      ${EVENT_IDS.join(', ')}
  --width <px>        camera width (default 320)
  --height <px>       camera height (default 240)
  --fps <n>           camera frame rate (default 10)
  --depth-fps <n>     depth frame rate (default: --fps)
  --depth-width <px>  depth width (default 160)
  --depth-height <px> depth height (default 120)
  --imu-rate <hz>     IMU rate (default 200)
  --quiet             no progress lines
Prints a JSON summary (messages per topic, events) on stdout.`;

export function parseEventList(value: string | undefined): EventId[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const id of ids) {
    if (!isEventId(id)) throw new SensebindError('USAGE', `sensebind simulate: unknown event kind "${id}" in --events; expected any of ${EVENT_IDS.join(', ')}`);
  }
  return ids as EventId[];
}

export const command: Command = {
  name: 'simulate',
  summary: 'write a simulated robot sensor bag with ground truth',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs('simulate', argv, {
      seed: { type: 'string' },
      duration: { type: 'string' },
      out: { type: 'string' },
      events: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      fps: { type: 'string' },
      'depth-fps': { type: 'string' },
      'depth-width': { type: 'string' },
      'depth-height': { type: 'string' },
      'imu-rate': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    const seed = numberFlag('simulate', 'seed', requireFlag('simulate', 'seed', values.seed), 0);
    const duration = numberFlag('simulate', 'duration', requireFlag('simulate', 'duration', values.duration), 0);
    const out = requireFlag('simulate', 'out', values.out);
    if (!Number.isInteger(seed) || seed < 0) throw new SensebindError('USAGE', `sensebind simulate: --seed expects a non-negative integer, got ${values.seed}`);
    if (!(duration > 0) || duration > 86_400) throw new SensebindError('USAGE', `sensebind simulate: --duration expects seconds in (0, 86400], got ${values.duration}`);
    const width = numberFlag('simulate', 'width', values.width, 320);
    const height = numberFlag('simulate', 'height', values.height, 240);
    const fps = numberFlag('simulate', 'fps', values.fps, 10);
    const imuRate = numberFlag('simulate', 'imu-rate', values['imu-rate'], 200);
    const depthFps = numberFlag('simulate', 'depth-fps', values['depth-fps'], fps);
    const depthWidth = numberFlag('simulate', 'depth-width', values['depth-width'], 160);
    const depthHeight = numberFlag('simulate', 'depth-height', values['depth-height'], 120);
    const bounds = [['width', width, 16, 4096], ['height', height, 16, 4096], ['fps', fps, 0.5, 120], ['imu-rate', imuRate, 10, 2000], ['depth-fps', depthFps, 0.5, 120], ['depth-width', depthWidth, 16, 4096], ['depth-height', depthHeight, 16, 4096]] as const;
    for (const [flag, v, lo, hi] of bounds) {
      if (!(v >= lo && v <= hi)) throw new SensebindError('USAGE', `sensebind simulate: --${flag} expects a value in [${lo}, ${hi}], got ${v}`);
    }
    const events = parseEventList(values.events);
    // Loaded lazily: sharp and the renderers are not needed for --help.
    const { createSimulation } = await import('../../sim/simulator.js');
    const { writeSimulationBag } = await import('../../sim/bag.js');
    const sim = createSimulation({ seed, duration, width: Math.round(width), height: Math.round(height), fps, depthFps, depthWidth: Math.round(depthWidth), depthHeight: Math.round(depthHeight), imuRate, ...(events !== undefined ? { events } : {}) });
    const started = Date.now();
    let lastLog = 0;
    const summary = await writeSimulationBag(sim, out, {
      onProgress: (p) => {
        if (values.quiet === true) return;
        const now = Date.now();
        if (now - lastLog < 2000) return;
        lastLog = now;
        ctx.logger.info({ seconds: Math.round(p.seconds), of: duration, messages: p.messages }, 'simulating');
      },
    });
    const result = {
      out: summary.path,
      seed,
      duration,
      events: sim.script.events.map((e) => ({ label: e.kind, start: Number(e.start.toFixed(3)), end: Number(e.end.toFixed(3)) })),
      messages: summary.messages,
      wallSeconds: Number(((Date.now() - started) / 1000).toFixed(2)),
    };
    ctx.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
