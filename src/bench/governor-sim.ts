/**
 * What embedding rates a CPU-bound robot ends up with: the real EmbedGovernor on a simulated clock, fed by a
 * model of the live path. The live ticker fires every hop and skips a tick while the previous one runs; a
 * tick embeds every modality the governor allows, in parallel, sharing the CPU equally (processor sharing:
 * each graph alone takes its measured latency); each finished embedding reports its wall seconds to the
 * governor as the agent does. Latencies are inputs (measured elsewhere), so the result is a derivation, not
 * a measurement of an agent run; it does not model preprocessing, matching or other processes on the CPU.
 */
import { SensebindError } from '../core/errors.js';
import { EmbedGovernor } from '../service/governor.js';
import { SENSOR_MODALITIES, type SensorModality } from '../core/types.js';

export interface GovernorSimOptions {
  /** Seconds one embedding takes with the machine to itself; modalities left out are not on the robot. */
  latencySeconds: Partial<Record<SensorModality, number>>;
  /** service.limits.embedRateHz (0 = one per snapshot). */
  caps: Record<SensorModality, number>;
  /** window.hopSeconds. */
  hopSeconds: number;
  /** service.limits.loadThreshold. @default 0.8 */
  loadThreshold?: number;
  /** Simulated seconds; rates are averaged over the second half. @default 600 */
  durationSeconds?: number;
}

export interface GovernorSimResult {
  /** Embeddings per second of each present modality in the second half (steady state). */
  embedHz: Partial<Record<SensorModality, number>>;
  /** Processed ticks per second in the second half. */
  tickHz: number;
  /** Share of ticks the live ticker skipped (whole run). */
  skippedShare: number;
  /** Governor state at the end. */
  rateHz: Record<SensorModality, number>;
  degraded: SensorModality[];
  saturated: boolean;
  load: number;
}

/** Finish offsets of jobs of the given work (seconds alone) sharing one machine equally. */
export function processorSharing(work: readonly number[]): number[] {
  const finish = new Array<number>(work.length).fill(0);
  const left = work.map((w, i) => ({ i, w }));
  let t = 0;
  let done = 0; // work each remaining job has received so far
  left.sort((a, b) => a.w - b.w);
  for (let k = 0; k < left.length; k++) {
    const job = left[k]!;
    t += (job.w - done) * (left.length - k);
    done = job.w;
    finish[job.i] = t;
  }
  return finish;
}

export function simulateGovernor(options: GovernorSimOptions): GovernorSimResult {
  const { latencySeconds, caps, hopSeconds, loadThreshold = 0.8, durationSeconds = 600 } = options;
  let nowMs = 0;
  const governor = new EmbedGovernor({ caps, hopSeconds, loadThreshold, nowMs: () => nowMs });
  const present = SENSOR_MODALITIES.filter((m) => latencySeconds[m] !== undefined);
  const half = durationSeconds / 2;
  const counts = new Map<SensorModality, number>();
  let ticks = 0;
  let lateTicks = 0;
  let skipped = 0;
  let busyUntil = 0;
  for (let k = 0; k * hopSeconds < durationSeconds; k++) {
    const at = k * hopSeconds;
    nowMs = at * 1000;
    if (at < busyUntil) {
      skipped++;
      governor.tickSkipped();
      continue;
    }
    ticks++;
    if (at >= half) lateTicks++;
    const allowed = present.filter((m) => governor.allow(m, BigInt(Math.round(at * 1e9))) === true);
    const finish = processorSharing(allowed.map((m) => latencySeconds[m]!));
    const order = allowed.map((m, i) => ({ m, f: finish[i]! })).sort((a, b) => a.f - b.f);
    // Embeddings end during this tick; skipped ticks in between are reported at their own times.
    let next = k + 1;
    for (const { m, f } of order) {
      while ((next * hopSeconds) < at + f) {
        nowMs = next * hopSeconds * 1000;
        if (next * hopSeconds < durationSeconds) {
          skipped++;
          governor.tickSkipped();
        }
        next++;
      }
      nowMs = (at + f) * 1000;
      governor.observe(m, f);
      if (at + f >= half) counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    busyUntil = at + (order.at(-1)?.f ?? 0);
    k = Math.max(k, next - 1);
  }
  const s = governor.stats();
  const span = durationSeconds - half;
  return {
    embedHz: Object.fromEntries(present.map((m) => [m, (counts.get(m) ?? 0) / span])),
    tickHz: lateTicks / span,
    skippedShare: skipped / Math.max(1, ticks + skipped),
    rateHz: s.rateHz,
    degraded: s.degraded,
    saturated: s.saturated,
    load: s.load,
  };
}

/** ImageBind-huge, ONNX Runtime on the 2-vCPU build machine, batch 1 (issue 17's filer; thermal not measured). */
export const IMAGEBIND_HUGE_CPU_SECONDS: Partial<Record<SensorModality, number>> = { vision: 7.4, audio: 2.2, depth: 0.29, imu: 0.27 };

/**
 * `node bench/governor-sim.mjs [--latency vision=7.4,audio=2.2,...] [--hop 0.5] [--caps vision=2,...]`:
 * the steady state for each subset of the given modalities a robot might have. Prints JSON.
 */
export async function main(argv: string[] = []): Promise<unknown> {
  const pairs = (flag: string): Partial<Record<SensorModality, number>> | undefined => {
    const value = argv.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
    if (value === undefined) return undefined;
    const out: Partial<Record<SensorModality, number>> = {};
    for (const part of value.split(',')) {
      const [m, v] = part.split('=');
      if (!(SENSOR_MODALITIES as readonly string[]).includes(m ?? '') || !Number.isFinite(Number(v))) {
        throw new SensebindError('USAGE', `bench governor-sim --${flag}: expected modality=number pairs (${SENSOR_MODALITIES.join(', ')}), got "${part}"`);
      }
      out[m as SensorModality] = Number(v);
    }
    return out;
  };
  const latency = pairs('latency') ?? IMAGEBIND_HUGE_CPU_SECONDS;
  const hop = Number(argv.find((a) => a.startsWith('--hop='))?.slice(6) ?? 0.5);
  if (!(hop > 0)) throw new SensebindError('USAGE', 'bench governor-sim --hop: expected seconds > 0');
  // The defaults of service.limits.embedRateHz (src/config/service.ts).
  const caps: Record<SensorModality, number> = { vision: 2, depth: 2, thermal: 2, audio: 0, imu: 0, ...pairs('caps') };
  const present = SENSOR_MODALITIES.filter((m) => latency[m] !== undefined);
  const subsets: SensorModality[][] = [];
  for (let mask = (1 << present.length) - 1; mask > 0; mask--) subsets.push(present.filter((_, i) => mask & (1 << i)));
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const rows = subsets.map((mods) => {
    const r = simulateGovernor({ latencySeconds: Object.fromEntries(mods.map((m) => [m, latency[m]!])), caps, hopSeconds: hop });
    return {
      modalities: mods.join('+'),
      embedHz: Object.fromEntries(Object.entries(r.embedHz).map(([m, v]) => [m, round(v)])),
      tickHz: round(r.tickHz),
      skippedShare: round(r.skippedShare),
      degraded: r.degraded.map((m) => `${m} ${r.rateHz[m]} Hz`),
      saturated: r.saturated,
      load: round(r.load),
    };
  });
  const result = { latencySeconds: latency, hopSeconds: hop, caps, rows };
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
  return result;
}
