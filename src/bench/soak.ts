/**
 * `sensebind bench soak`: the service pipeline (assembleService: the same one `sensebind run` builds, with
 * JSONL sink, event clips with retention, metrics, embed governor) fed by simulated sensors with four
 * modalities (camera, depth, IMU, audio) for a long simulated time at a speed factor, sampling RSS, heap
 * and event-loop lag as it goes. Verdicts: RSS growth after warm-up, lag trend, crashes.
 *
 * The simulator renders a short scene once (--loop seconds) and the loop source replays it with stamps
 * shifted forward, so rendering (sharp, ray-cast depth) does not compete with the agent and the memory
 * measured is the agent's; the loop's own samples are allocated before the first measurement.
 *
 * Options: --minutes <simulated minutes, 30> --speed <10> --loop <seconds, 20> --model <dir>
 *          --concepts <file> --every <wall seconds between samples, 5> --workers <preprocess threads, 1>
 *          --out <report.json>
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../config/load.js';
import { errorMessage } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import type { Sample } from '../core/types.js';
import { buildAgent } from '../pipeline/build.js';
import { openPipeline } from '../pipeline/open.js';
import { pipelineOptionsFromConfig } from '../pipeline/options.js';
import { LoopLagMonitor } from '../service/loop-lag.js';
import { LoopSource } from '../service/loop-source.js';
import { soakTrend, type SoakPoint } from '../service/trend.js';
import { createSimulation, type SimItem } from '../sim/simulator.js';

const round = (x: number, d = 2) => Number(x.toFixed(d));

/** The simulator's ROS-shaped items as agent Samples (depth mm -> m with 0 = invalid, PCM16 -> [-1, 1]). */
export function simItemToSample(item: SimItem): Sample | undefined {
  switch (item.kind) {
    case 'image':
      return { modality: 'vision', sensorId: '/camera/color/image_raw', stamp: item.stamp, width: item.width, height: item.height, rgb: item.rgb };
    case 'depth': {
      const metres = new Float32Array(item.mm.length);
      for (let i = 0; i < metres.length; i++) metres[i] = item.mm[i] === 0 ? NaN : item.mm[i]! / 1000;
      return { modality: 'depth', sensorId: '/camera/depth/image_rect_raw', stamp: item.stamp, width: item.width, height: item.height, metres };
    }
    case 'audio': {
      const samples = new Float32Array(item.pcm.length);
      for (let i = 0; i < samples.length; i++) samples[i] = item.pcm[i]! / 32768;
      return { modality: 'audio', sensorId: '/audio/audio', stamp: item.stamp, rate: item.rate, samples };
    }
    case 'imu':
      return { modality: 'imu', sensorId: '/imu/data_raw', stamp: item.stamp, acc: item.acc, gyro: item.gyro };
    case 'truth':
      return undefined;
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '30' },
      speed: { type: 'string', default: '10' },
      loop: { type: 'string', default: '20' },
      model: { type: 'string' },
      concepts: { type: 'string' },
      every: { type: 'string', default: '5' },
      workers: { type: 'string', default: '1' },
      out: { type: 'string' },
    },
  });
  const minutes = Number(values.minutes);
  const speed = Number(values.speed);
  const loopSeconds = Number(values.loop);
  const everyMs = Number(values.every) * 1000;
  const log = (msg: string) => process.stderr.write(`soak: ${msg}\n`);

  const work = await mkdtemp(join(tmpdir(), 'sensebind-soak-'));
  try {
    log(`rendering ${loopSeconds} s of simulated sensors (camera 320x240 + depth 10 Hz, IMU 200 Hz, audio 16 kHz)`);
    const sim = createSimulation({ seed: 7, duration: loopSeconds });
    const samples: Sample[] = [];
    for await (const item of sim.items()) {
      const s = simItemToSample(item);
      if (s) samples.push(s);
    }
    const loops = Math.max(1, Math.ceil((minutes * 60) / loopSeconds));
    const config = parseConfig(
      {
        robot: { id: 'soak' },
        log: { level: 'warn', format: 'json' },
        model: { ...(values.model !== undefined ? { dir: values.model } : {}), providers: ['cpu'], cacheDir: join(work, 'cache') },
        sinks: { jsonl: { path: join(work, 'events.jsonl') } },
        service: {
          clips: { dir: join(work, 'clips'), preRollSeconds: 2, postRollSeconds: 1, retentionMiB: 200 },
          limits: { preprocessWorkers: Number(values.workers) },
        },
      },
      'soak bench',
    );
    const logger = createLogger({ level: 'warn', format: 'json' });
    const source = new LoopSource('sim', { samples, loopNs: BigInt(Math.round(loopSeconds * 1e9)), speed, loops });
    let crashes = 0;
    const onCrash = (err: unknown) => {
      crashes++;
      log(`crash: ${err instanceof Error ? err.stack : String(err)}`);
    };
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    const pipeline = await openPipeline(pipelineOptionsFromConfig(config, { concepts: values.concepts }), { logger });
    const assembled = await buildAgent(pipeline, config, { mode: { kind: 'replayed', sources: [source] }, logger, alwaysMetrics: true });
    const { service, metrics, agent, clips, governor } = assembled;
    const lag = new LoopLagMonitor();
    const points: SoakPoint[] = [];
    let scrapeBytes = 0;
    const t0 = performance.now();
    await service.start();
    lag.sample();
    const timer = setInterval(() => {
      const mem = process.memoryUsage();
      const l = lag.sample();
      const t = (performance.now() - t0) / 1000;
      points.push({ t, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, lagP99: l.p99 });
      // Scrape as Prometheus would, so the metrics path is part of what is soaked.
      void metrics!.text().then(
        (text: string) => (scrapeBytes = text.length),
        (err: unknown) => log(`metrics scrape failed: ${errorMessage(err)}`),
      );
      const a = agent.stats();
      log(
        `t=${t.toFixed(0)}s sim=${((t * speed) / 60).toFixed(1)}min rss=${(mem.rss / 2 ** 20).toFixed(1)}MiB heap=${(mem.heapUsed / 2 ** 20).toFixed(1)}MiB lagP99=${(l.p99 * 1000).toFixed(1)}ms ticks=${a.ticks} events=${a.events} rate=${JSON.stringify(governor.stats().rateHz)}`,
      );
    }, everyMs);
    await source.finished;
    clearInterval(timer);
    const summary = await service.stop('soak finished');
    lag.stop();
    const wallSeconds = (performance.now() - t0) / 1000;
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    const a = agent.stats();
    const trend = soakTrend(points);
    const g = governor.stats();
    const report = {
      bench: 'soak',
      machine: `${process.platform}/${process.arch}, node ${process.versions.node}`,
      model: pipeline.runtime.modelId,
      modalities: ['vision', 'depth', 'imu', 'audio'],
      simulatedMinutes: round((loops * loopSeconds) / 60, 1),
      speed,
      wallSeconds: round(wallSeconds, 1),
      samplesPerLoop: samples.length,
      ticks: a.ticks,
      embedded: a.embedded,
      reused: a.reused,
      embedErrors: a.embedErrors,
      events: a.events,
      sinkErrors: a.sinkErrors,
      clips: clips?.stats(),
      governor: g,
      preprocessWorkers: config.service.limits.preprocessWorkers,
      metricsScrapeBytes: scrapeBytes,
      stop: summary,
      crashes,
      trend: Object.fromEntries(Object.entries(trend).map(([k, v]) => [k, typeof v === 'number' ? round(v, 3) : v])),
      verdict: {
        rssGrowthUnder5Percent: trend.rssGrowthPercent < 5,
        // "No increase": the fitted lag p99 rises less than 1 ms over the run (or 20% of its start level).
        lagNotIncreasing: (trend.lagSlopeMsPerHour * (wallSeconds - trend.warmupSeconds)) / 3600 < Math.max(1, 0.2 * trend.lagP99StartMs),
        zeroCrashes: crashes === 0 && summary.clean,
      },
      pointsColumns: 'wallSeconds rssMiB heapUsedMiB lagP99Ms',
      points: points.map((p) => `${round(p.t, 1)} ${round(p.rssBytes / 2 ** 20, 1)} ${round(p.heapUsedBytes / 2 ** 20, 1)} ${round(p.lagP99 * 1000, 2)}`),
    };
    await assembled.close();
    await pipeline.close();
    const json = JSON.stringify(report, null, 2);
    if (values.out !== undefined) await writeFile(values.out, `${json}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
