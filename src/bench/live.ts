/**
 * `sensebind bench live`: what a stalled viewer costs the agent. The service pipeline (buildAgent,
 * as `sensebind run` builds it) runs on simulated sensors at real time (speed 1) with the live view on,
 * three times: no viewer; one reading viewer; one reading viewer plus one that stops reading its socket
 * for --stall seconds. The viewers are the Foxglove protocol library's client in their own processes
 * (test/live/viewer-process.mjs). Per phase: ticks run and skipped (a tick still running when the next is
 * due is skipped, counted by the ticker), tick wall time (p50/p99/max), event-loop lag, events, and the live
 * server's per-viewer bytes and drops.
 *
 * The agent is the one `sensebind run` builds (pipeline/build.ts, 'replayed' mode); it starts once the
 * phase's viewers are connected. A stall phase also reports its ticks by span (before, stalled, the 5 s
 * after the viewer reads again, after) and the times of skipped ticks.
 * The scene is rendered once (--loop seconds) and replayed with shifted stamps (LoopSource), so rendering
 * does not compete with the agent. Options: --seconds <per phase, 60> --stall <30> --stall-after <8>
 * --long-stall <s: one more phase with a longer stall, 0 = none> --width <640> --height <480> --loop <20>
 * --model <dir> --out <report.json>. A stalled viewer first fills the kernel's socket buffers (about 4 MB
 * on Linux loopback) before its outbox drops anything, so drops need a long stall or a fast stream.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { loadavg, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig } from '../config/load.js';
import { createLogger } from '../core/log.js';
import type { Sample } from '../core/types.js';
import { buildAgent } from '../pipeline/build.js';
import { openPipeline } from '../pipeline/open.js';
import { pipelineOptionsFromConfig } from '../pipeline/options.js';
import { LoopLagMonitor } from '../service/loop-lag.js';
import { LoopSource } from '../service/loop-source.js';
import { createSimulation } from '../sim/simulator.js';
import { simItemToSample } from './soak.js';

const VIEWER = fileURLToPath(new URL('../../test/live/viewer-process.mjs', import.meta.url));
const round = (x: number, d = 1) => Number(x.toFixed(d));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface ViewerResult {
  stalledMs: number;
  scores: number;
  messages: number;
  invalid: number;
}

function startViewer(url: string, args: string[]): Promise<ViewerResult> {
  const child = spawn(process.execPath, [VIEWER, url, '--max-seconds', '600', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`viewer exited ${code}`));
      const s = JSON.parse(out.trim().split('\n').at(-1) as string) as { stalledMs: number; scores: unknown[]; invalid: unknown[]; channels: Record<string, { messages: number }> };
      resolve({ stalledMs: s.stalledMs, scores: s.scores.length, messages: Object.values(s.channels).reduce((a, c) => a + c.messages, 0), invalid: s.invalid.length });
    }),
  );
}

/**
 * Tick figures per span of a stall phase: before the stall, while stalled, the 5 s after the viewer reads
 * again (its backlog is written then), and after. Span edges are the viewer's own clock (it starts a moment
 * after the phase), so they are approximate to a few hundred ms. The first two ticks are left out.
 */
function spans(timeline: Array<{ at: number; ms: number; feedMs: number }>, stall: { from: number; to: number }) {
  const edges: Array<[string, number, number]> = [
    ['before', 0, stall.from],
    ['stalled', stall.from, stall.to],
    ['resumed (5 s)', stall.to, stall.to + 5],
    ['after', stall.to + 5, Infinity],
  ];
  const rest = timeline.slice(2);
  return edges.map(([name, from, to]) => {
    const t = rest.filter((x) => x.at >= from && x.at < to);
    const ms = t.map((x) => x.ms).sort((a, b) => a - b);
    const feed = t.map((x) => x.feedMs).sort((a, b) => a - b);
    return { span: name, ticks: t.length, tickMsP50: round(percentile(ms, 50)), tickMsMax: round(ms.at(-1) ?? 0), liveFeedMsMax: round(feed.at(-1) ?? 0, 2) };
  });
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string', default: '60' },
      stall: { type: 'string', default: '30' },
      'long-stall': { type: 'string', default: '0' },
      'stall-after': { type: 'string', default: '8' },
      width: { type: 'string', default: '640' },
      height: { type: 'string', default: '480' },
      loop: { type: 'string', default: '20' },
      model: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const seconds = Number(values.seconds);
  const loopSeconds = Number(values.loop);
  const log = (msg: string) => process.stderr.write(`live bench: ${msg}\n`);
  const work = await mkdtemp(join(tmpdir(), 'sensebind-live-bench-'));
  try {
    log(`rendering ${loopSeconds} s of simulated sensors (camera ${values.width}x${values.height} 10 Hz, depth, IMU 200 Hz, audio 16 kHz)`);
    const sim = createSimulation({ seed: 7, duration: loopSeconds, width: Number(values.width), height: Number(values.height) });
    const samples: Sample[] = [];
    for await (const item of sim.items()) {
      const s = simItemToSample(item);
      if (s) samples.push(s);
    }
    const stallAfter = Number(values['stall-after']);
    const stalled = (s: number) => ({
      name: `reading viewer + viewer stalled ${s} s`,
      viewers: [[], ['--stall-after', String(stallAfter), '--stall-for', String(s)]],
      seconds: Math.max(seconds, stallAfter + s + 20),
      stall: { from: stallAfter, to: stallAfter + s },
    });
    const phases: Array<{ name: string; viewers: string[][]; seconds: number; stall?: { from: number; to: number } }> = [
      { name: 'no viewer', viewers: [] as string[][], seconds },
      { name: 'one reading viewer', viewers: [[]], seconds },
      stalled(Number(values.stall)),
      ...(Number(values['long-stall']) > 0 ? [stalled(Number(values['long-stall']))] : []),
    ];
    const results = [];
    for (const phase of phases) {
      log(`phase "${phase.name}": ${phase.seconds} s at speed 1`);
      const port = await freePort();
      const config = parseConfig(
        {
          robot: { id: 'live-bench' },
          log: { level: 'warn', format: 'json' },
          model: { ...(values.model !== undefined ? { dir: values.model } : {}), providers: ['cpu'], cacheDir: join(work, 'cache') },
          live: { port },
        },
        'live bench',
      );
      const source = new LoopSource('sim', { samples, loopNs: BigInt(Math.round(loopSeconds * 1e9)), speed: 1, loops: Math.ceil(phase.seconds / loopSeconds) });
      const logger = createLogger({ level: 'warn', format: 'json' });
      const pipeline = await openPipeline(pipelineOptionsFromConfig(config, {}), { logger });
      // Wall time of every tick, as the ticker measures it.
      const durations: number[] = [];
      // When each tick ended and how long it took, and the live view's share, on the phase's clock (s), so
      // the stalled viewer's spans (stalled, just resumed) can be told from the rest.
      const timeline: Array<{ at: number; ms: number; feedMs: number }> = [];
      let t0 = performance.now();
      let lastFeed = 0;
      const assembled = await buildAgent(pipeline, config, {
        mode: { kind: 'replayed', sources: [source] },
        logger,
        alwaysMetrics: true,
        onTick: (_r, ms) => {
          durations.push(ms);
          timeline.push({ at: (performance.now() - t0) / 1000, ms, feedMs: lastFeed });
        },
      });
      const { service, agent } = assembled;
      // And the part of each tick the live view takes (synchronous: building and queueing messages).
      const feedMs: number[] = [];
      const feed = assembled.live;
      if (feed) {
        const onTick = feed.onTick.bind(feed);
        feed.onTick = (r) => {
          const t0 = performance.now();
          onTick(r);
          lastFeed = performance.now() - t0;
          feedMs.push(lastFeed);
        };
      }
      const viewers = phase.viewers.map((args) => startViewer(`ws://127.0.0.1:${port}`, args));
      // The agent starts once every viewer is connected: a viewer process starting up (Node, the protocol
      // library) takes a core for about a second on this machine, which is not the live view's cost.
      for (const until = Date.now() + 30_000; (assembled.live?.stats().live?.viewers ?? 0) < phase.viewers.length && Date.now() < until; ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const lag = new LoopLagMonitor();
      t0 = performance.now();
      await service.start();
      lag.sample();
      const lagMax: number[] = [];
      const lagP99: number[] = [];
      // seconds into the phase at which skipped ticks were counted (sampled every 250 ms)
      const skippedAt: number[] = [];
      let skippedSoFar = 0;
      const skipTimer = setInterval(() => {
        const now = service.ticker().skipped;
        for (; skippedSoFar < now; skippedSoFar++) skippedAt.push(round((performance.now() - t0) / 1000));
      }, 250);
      const timer = setInterval(() => {
        const l = lag.sample();
        lagMax.push(l.max * 1000);
        lagP99.push(l.p99 * 1000);
      }, 1000);
      await source.finished;
      clearInterval(timer);
      clearInterval(skipTimer);
      await service.stop('live bench phase done');
      const l = assembled.live?.stats().live;
      const ticker = service.ticker();
      lag.stop();
      const wall = (performance.now() - t0) / 1000;
      const a = agent.stats();
      await assembled.close();
      await pipeline.close();
      const viewerResults = await Promise.all(viewers);
      // The first ticks load the ONNX sessions' kernels; they are reported apart.
      const sorted = durations.slice(2).sort((x, y) => x - y);
      results.push({
        phase: phase.name,
        wallSeconds: round(wall),
        ticks: a.ticks,
        tickerTicks: ticker.ticks,
        skippedTicks: ticker.skipped,
        events: a.events,
        tickMs: { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0), firstTwo: durations.slice(0, 2).map((d) => round(d)) },
        liveFeedMs: (() => {
          const f = [...feedMs].sort((x, y) => x - y);
          return { p50: round(percentile(f, 50), 2), p99: round(percentile(f, 99), 2), max: round(f.at(-1) ?? 0, 2) };
        })(),
        ticksOverHop: sorted.filter((d) => d > config.window.hopSeconds * 1000).length,
        skippedAtSeconds: skippedAt,
        spans: phase.stall === undefined ? undefined : spans(timeline, phase.stall),
        // the three longest live-view shares, with when they happened (s into the phase; and ms since the
        // process started, the clock of `node --trace-gc`, to match them with collections)
        feedSpikes: timeline
          .slice(2)
          .sort((a, b) => b.feedMs - a.feedMs)
          .slice(0, 3)
          .map((x) => ({ at: round(x.at), processMs: Math.round(x.at * 1000 + t0), feedMs: round(x.feedMs, 1) })),
        loopLagMs: { p99Max: round(Math.max(0, ...lagP99)), max: round(Math.max(0, ...lagMax)) },
        live: l && {
          connected: l.connected,
          dropped: l.dropped,
          framesEncoded: l.framesEncoded,
          framesSkipped: l.framesSkipped,
          errors: l.errors,
          perViewer: l.perViewer.map((v) => ({ sent: v.sent, sentMiB: round(v.sentBytes / 2 ** 20, 2), dropped: v.dropped, queuedAtEnd: v.queued })),
        },
        viewers: viewerResults,
      });
      log(JSON.stringify(results.at(-1)));
    }
    const report = {
      bench: 'live',
      machine: `${process.platform}/${process.arch}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.versions.node}`,
      loadavgAtEnd: loadavg().map((x) => round(x, 2)),
      secondsPerPhase: phases.map((p) => p.seconds),
      camera: `${values.width}x${values.height}`,
      phases: results,
    };
    const json = JSON.stringify(report, null, 2);
    if (values.out !== undefined) await writeFile(values.out, `${json}\n`);
    process.stdout.write(`${json}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
