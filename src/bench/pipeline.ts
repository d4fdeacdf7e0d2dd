/**
 * `sensebind bench pipeline`: the agent `sensebind run` builds (src/pipeline), on a simulated 4-modality
 * bag with the bundled model, measured the ways issue 14 asks, in one process and one run:
 *   fast:  bag mode at speed 0 (what `replay` and `eval` run), twice: real-time factor, CPU seconds, and
 *          whether the two runs gave identical events (apart from wall-clock fields);
 *   paced: bag mode at speed 1 (what `run --bag` runs): CPU share of one core over the run, tick latency,
 *          and sensor-to-event latency (from the moment the tick that decided an event became due,
 *          i.e. the newest sample the snapshot can include arrived, to the event's write at a sink),
 *          p50/p99; skipped ticks; and whether its events equal the fast runs'.
 *   cli:   the commands themselves in child processes, as a user runs them (bin/sensebind.js executed, so
 *          its shebang's Node heap flag applies): the wall time of the whole `sensebind replay <bag>`
 *          (start-up included), and the CPU share of `sensebind run --bag <bag> --speed 1` in steady
 *          state (from /proc, all threads, after --warm-up seconds), then the same under a bare
 *          `node bin/sensebind.js` for the flag's effect.
 * Options: --seconds <bag length, 120> --seed <7> --paced-seconds <how much of the bag to pace, all>
 *          --warm-up <s, 8> --model <dir> --intra <threads> --workers <preprocess workers> --out <report.json>
 * Prints JSON on stdout; progress on stderr. Load average is reported: compare figures of one run only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../config/load.js';
import { PACKAGE_ROOT } from '../config/paths.js';
import type { Config } from '../config/schema.js';
import { silentLogger } from '../core/log.js';
import type { SenseEvent } from '../core/types.js';
import { runIndependent } from '../match/matcher.js';
import { openPipeline } from '../pipeline/open.js';
import { pipelineOptionsFromConfig } from '../pipeline/options.js';
import { runBag } from '../pipeline/run-bag.js';
import { processCpuSeconds } from '../core/process-cpu.js';
import type { EventSink } from '../sinks/sink.js';
import { writeSimulationBag } from '../sim/bag.js';
import { createSimulation } from '../sim/simulator.js';

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function comparable(events: readonly SenseEvent[]): string {
  return JSON.stringify(events.map(runIndependent));
}

/** CPU share of one core of a paced child process between warmUpSeconds and pacedSeconds - 1 (null without /proc). */
async function pacedCpuShare(file: string, args: string[], warmUpSeconds: number, pacedSeconds: number): Promise<number | null> {
  const child = spawn(file, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await sleep(warmUpSeconds * 1000);
    const c0 = await processCpuSeconds(child.pid!);
    const w0 = performance.now();
    await sleep(Math.max(1, pacedSeconds - 1 - warmUpSeconds) * 1000);
    const c1 = await processCpuSeconds(child.pid!);
    return c0 !== undefined && c1 !== undefined ? (c1 - c0) / ((performance.now() - w0) / 1000) : null;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The commands as a user runs them (child processes of the built CLI, the bench's config). */
async function measureCli(work: string, bag: string, config: Config, warmUpSeconds: number, pacedSeconds: number, log: (msg: string) => void) {
  const configPath = join(work, 'cli.yaml');
  await writeFile(configPath, JSON.stringify({ log: { level: 'warn' }, robot: { id: 'bench' }, model: { dir: config.model.dir, providers: ['cpu'], cacheDir: config.model.cacheDir, intraOpThreads: config.model.intraOpThreads }, service: { limits: { preprocessWorkers: config.service.limits.preprocessWorkers } } }));
  const cliPath = join(PACKAGE_ROOT, 'bin/sensebind.js');
  // Executed as a file, as npx and node_modules/.bin run it, so its shebang's Node flags apply.
  log('cli: sensebind replay (whole command)');
  const t0 = performance.now();
  const replay = spawnSync(cliPath, ['--config', configPath, 'replay', bag, '--events', join(work, 'cli-events.jsonl')], { encoding: 'utf8' });
  const replayWall = (performance.now() - t0) / 1000;
  if (replay.status !== 0) throw new Error(`bench: sensebind replay failed: ${replay.stderr}`);
  const bagSeconds = (JSON.parse(replay.stdout) as { durationSeconds: number }).durationSeconds;

  const runArgs = ['--config', configPath, 'run', '--bag', bag, '--speed', '1', '--exit-at-end'];
  log(`cli: sensebind run --bag --speed 1, CPU from ${warmUpSeconds} s to ${pacedSeconds - 1} s`);
  const launcher = await pacedCpuShare(cliPath, runArgs, warmUpSeconds, pacedSeconds);
  // The same command under a bare `node`, which skips the shebang's heap flag: the flag's effect in one run.
  log('cli: the same under `node bin/sensebind.js` (no heap flag)');
  const bareNode = await pacedCpuShare(process.execPath, [cliPath, ...runArgs], warmUpSeconds, pacedSeconds);
  return {
    replayCommand: { wallSeconds: r3(replayWall), realTimeFactor: r3(bagSeconds / replayWall) },
    runBagSpeed1: {
      cpuShareOfOneCore: launcher === null ? null : r3(launcher),
      bareNodeCpuShareOfOneCore: bareNode === null ? null : r3(bareNode),
      from: warmUpSeconds,
      to: pacedSeconds - 1,
      note: launcher === null ? 'no /proc: not measured' : 'steady state, all threads',
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '120' },
      seed: { type: 'string', default: '7' },
      'paced-seconds': { type: 'string' },
      model: { type: 'string' },
      intra: { type: 'string' },
      workers: { type: 'string' },
      'warm-up': { type: 'string', default: '8' },
      out: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const log = (msg: string) => process.stderr.write(`bench pipeline: ${msg}\n`);
  const work = await mkdtemp(join(tmpdir(), 'sensebind-bench-pipeline-'));
  try {
    const bag = join(work, 'sim.mcap');
    log(`simulating ${seconds} s (seed ${values.seed}: camera, depth, IMU, audio) -> ${bag}`);
    await writeSimulationBag(createSimulation({ seed: Number(values.seed), duration: seconds }), bag);
    const config = parseConfig(
      {
        robot: { id: 'bench' },
        model: {
          ...(values.model !== undefined ? { dir: values.model } : {}),
          providers: ['cpu'],
          cacheDir: join(work, 'cache'),
          ...(values.intra !== undefined ? { intraOpThreads: Number(values.intra) } : {}),
        },
        ...(values.workers !== undefined ? { service: { limits: { preprocessWorkers: Number(values.workers) } } } : {}),
      },
      'bench pipeline',
    );
    const pipelineOptions = pipelineOptionsFromConfig(config);

    // Fast: as fast as possible, twice; a fresh pipeline each time (as `replay` starts).
    const fast = [];
    for (const round of [1, 2]) {
      const pipeline = await openPipeline(pipelineOptions);
      try {
        await pipeline.runtime.load();
        const cpu0 = process.cpuUsage();
        const run = await runBag(pipeline, config, bag, { speed: 0 });
        const cpu = process.cpuUsage(cpu0);
        fast.push({ run, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
        log(`fast run ${round}: ${r3(run.summary.durationSeconds)} s of recording in ${r3(run.summary.wallSeconds)} s`);
      } finally {
        await pipeline.close();
      }
    }

    // Paced: real time, measuring the CPU, tick and sensor-to-event latencies of the agent run builds.
    const pacedSeconds = values['paced-seconds'] !== undefined ? Number(values['paced-seconds']) : seconds;
    log(`paced run: ${pacedSeconds} s at speed 1`);
    const pipeline = await openPipeline(pipelineOptions);
    // A tick's events reach the sinks before the tick reports back (onTick), so a write records when it
    // happened and the tick's report turns that into a latency from the tick's start.
    const written = new Map<string, number>();
    const tickMs: number[] = [];
    const eventMs: number[] = [];
    const timing: EventSink = {
      name: 'timing',
      write: async (e) => {
        if (e.type === 'start') written.set(e.start, performance.now());
      },
      flush: async () => {},
      close: async () => {},
      stats: () => ({ written: eventMs.length, dropped: 0, pending: 0, errors: 0 }),
    };
    let paced;
    let cpuShare = NaN;
    try {
      await pipeline.runtime.load();
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), pacedSeconds * 1000 + 2000);
      const cpu0 = process.cpuUsage();
      const sched0 = await processCpuSeconds(process.pid);
      const t0 = performance.now();
      paced = await runBag(pipeline, config, bag, {
        speed: 1,
        extraSinks: [timing],
        signal: abort.signal,
        logger: silentLogger(),
        onTick: (r, ms) => {
          tickMs.push(ms);
          const key = String(r.embeddings.stamp);
          const at = written.get(key);
          if (at !== undefined) {
            eventMs.push(at - (performance.now() - ms));
            written.delete(key);
          }
        },
      });
      clearTimeout(timer);
      const cpu = process.cpuUsage(cpu0);
      const sched1 = await processCpuSeconds(process.pid);
      const ms = performance.now() - t0;
      cpuShare = sched0 !== undefined && sched1 !== undefined ? ((sched1 - sched0) * 1000) / ms : (cpu.user + cpu.system) / 1e3 / ms;
    } finally {
      await pipeline.close();
    }
    const cli = await measureCli(work, bag, config, Number(values['warm-up']), Math.min(pacedSeconds, seconds), log);
    tickMs.sort((a, b) => a - b);
    eventMs.sort((a, b) => a - b);
    const [a, b] = fast;
    const report = {
      bench: 'pipeline',
      machine: `${process.platform}/${process.arch}, node ${process.versions.node}`,
      loadAverage: loadavg().map(r3),
      model: pipelineOptions.modelDir,
      intraOpThreads: config.model.intraOpThreads,
      preprocessWorkers: config.service.limits.preprocessWorkers,
      bagSeconds: r3(a!.run.summary.durationSeconds),
      fast: fast.map((f) => ({
        wallSeconds: r3(f.run.summary.wallSeconds),
        realTimeFactor: r3(f.run.summary.durationSeconds / f.run.summary.wallSeconds),
        cpuSeconds: r3(f.cpuSeconds),
        ticks: f.run.summary.ticks,
        events: f.run.summary.events.length,
      })),
      fastRunsIdentical: comparable(a!.run.summary.events) === comparable(b!.run.summary.events),
      paced: {
        seconds: r3(paced.summary.durationSeconds),
        aborted: paced.summary.aborted,
        cpuShareOfOneCore: r3(cpuShare),
        ticks: paced.summary.ticks,
        skippedTicks: paced.summary.skippedTicks,
        tickMs: { p50: r3(quantile(tickMs, 0.5)), p99: r3(quantile(tickMs, 0.99)), max: r3(tickMs.at(-1) ?? NaN) },
        sensorToEventMs: { n: eventMs.length, p50: r3(quantile(eventMs, 0.5)), p99: r3(quantile(eventMs, 0.99)), max: r3(eventMs.at(-1) ?? NaN) },
        eventsEqualFast: !paced.summary.aborted && comparable(paced.summary.events) === comparable(a!.run.summary.events),
      },
      cli,
    };
    const json = JSON.stringify(report, null, 2);
    if (values.out !== undefined) await writeFile(values.out, `${json}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
