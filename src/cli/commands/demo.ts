// `sensebind demo` (npm start): simulate a short scene, replay it in real time with the bundled model and
// the default concepts, show live modalities, top concept scores and events, then score them.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SensebindError } from '../../core/errors.js';
import { SENSOR_MODALITIES, type SenseEvent } from '../../core/types.js';
import { numberFlag, parseCommandArgs, type Command } from '../command.js';
import { PIPELINE_FLAGS, PIPELINE_HELP, parseModalityList, pipelineOptions } from '../pipeline-flags.js';
import { openPipeline } from '../../pipeline/open.js';
import { runBag } from '../../pipeline/run-bag.js';
import { scoreRuns } from '../../eval/score-run.js';
import type { TruthEvent } from '../../sim/truth.js';
import { EVENT_IDS } from '../../sim/events.js';

const HELP = `Usage: sensebind demo [options]

Simulates a short robot scene (camera, depth, IMU, microphone, with scripted events and ground truth),
replays it in real time through the whole pipeline with the bundled model and the default concepts, shows
which modalities are live, the top concept scores and the events as they fire, then scores the events
against the ground truth. Needs no network and no GPU.

Options:
  --seed <n>          scene seed (default 7)
  --duration <s>      seconds of scene (default 30)
  --speed <x>         replay speed, 1 = real time (default 1; 0 = as fast as possible)
  --bag <file>        replay this bag instead of simulating one
  --drop <list>       modalities to remove, e.g. audio (watch the others carry on)
${PIPELINE_HELP}`;

const BAR = 12;
const bar = (x: number) => '█'.repeat(Math.round(Math.max(0, Math.min(1, x)) * BAR)).padEnd(BAR, '·');

export const command: Command = {
  name: 'demo',
  summary: 'simulate a scene and replay it in real time with the bundled model (npm start)',
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseCommandArgs('demo', argv, {
      ...PIPELINE_FLAGS,
      seed: { type: 'string' },
      duration: { type: 'string' },
      speed: { type: 'string' },
      bag: { type: 'string' },
      drop: { type: 'string' },
      help: { type: 'boolean' },
    });
    if (values.help === true) {
      ctx.stdout.write(`${HELP}\n`);
      return 0;
    }
    const seed = numberFlag('demo', 'seed', values.seed, 7);
    const duration = numberFlag('demo', 'duration', values.duration, 30);
    const speed = numberFlag('demo', 'speed', values.speed, 1);
    if (!Number.isInteger(seed) || seed < 0) throw new SensebindError('USAGE', `sensebind demo: --seed expects a non-negative integer, got ${values.seed}`);
    if (!(duration >= 5 && duration <= 600)) throw new SensebindError('USAGE', `sensebind demo: --duration expects 5..600 seconds, got ${duration}`);
    const drop = parseModalityList('drop', values.drop);
    const out = ctx.stdout;
    const tty = (out as { isTTY?: boolean }).isTTY === true;
    const say = (line: string) => out.write(`${line}\n`);

    let bag = values.bag;
    if (bag === undefined) {
      bag = join(tmpdir(), `sensebind-demo-seed${seed}-${duration}s-5fps.mcap`);
      if (!existsSync(bag)) {
        say(`sensebind demo: simulating a ${duration} s robot scene (seed ${seed}) -> ${bag}`);
        const { createSimulation } = await import('../../sim/simulator.js');
        const { writeSimulationBag } = await import('../../sim/bag.js');
        // 5 fps is plenty for 2 snapshots a second and halves the rendering time of a fresh machine's first run.
        const sim = createSimulation({ seed, duration, fps: 5 });
        const tmp = `${bag}.${process.pid}.part`;
        let shown = -1;
        await writeSimulationBag(sim, tmp, {
          onProgress: (p) => {
            const pct = Math.floor((p.seconds / duration) * 10) * 10;
            if (pct > shown) {
              shown = pct;
              out.write(tty ? `\r  rendering ${pct}%` : `  rendering ${pct}%\n`);
            }
          },
        });
        if (tty) out.write('\r  rendering 100%\n');
        const { rename } = await import('node:fs/promises');
        await rename(tmp, bag);
      }
    }
    say('sensebind demo: loading the model and embedding the concept prompts ...');
    const config = await ctx.loadConfig();
    const options = await pipelineOptions(ctx, values);
    // The board owns the terminal: only warnings and errors may interrupt it (--log-level debug still shows all).
    const boardLogger = ctx.logger.isLevelEnabled('info') && !ctx.logger.isLevelEnabled('debug') ? ctx.logger.child({}, { level: 'warn' }) : ctx.logger;
    const pipeline = await openPipeline(options, { logger: boardLogger });
    const concepts = pipeline.memory.concepts();
    say(`model ${pipeline.runtime.modelId}, ${concepts.filter((c) => !c.background).length} concepts + ${concepts.filter((c) => c.background).length} background, replaying ${bag} at ${speed === 0 ? 'full speed' : `${speed}x`}${drop.length > 0 ? `, dropping ${drop.join(', ')}` : ''}`);
    say('');

    const truthNow: TruthEvent[] = [];
    let first: bigint | undefined;
    let panelLines = 0;
    let lastPrint = -1;
    const secs = (stamp: bigint) => (first === undefined ? 0 : Number(stamp - first) / 1e9);
    const printed = new Set<number>();
    const printEvent = (e: SenseEvent) => {
      if (e.type === 'update' || printed.has(e.seq)) return;
      printed.add(e.seq);
      const ms = Object.entries(e.modalityScores).map(([m, s]) => `${m} ${(s as number).toFixed(2)}`).join(', ');
      const t = secs(BigInt(e.type === 'end' ? (e.end as string) : e.start));
      const line = `${t.toFixed(1).padStart(6)} s  ${e.type === 'start' ? 'START' : 'end  '}  ${e.concept.label.padEnd(28)} score ${e.peakScore.toFixed(2)}${ms !== '' ? `  [${ms}]` : ''}`;
      if (tty && panelLines > 0) out.write(`\x1b[${panelLines}A\x1b[0J`);
      panelLines = 0;
      say(line);
    };
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    try {
      const run = await runBag(pipeline, config, bag, {
        speed,
        drop,
        logger: boardLogger,
        signal: abort.signal,
        onTruth: (t) => truthNow.push(t),
        onTick: (r) => {
          first ??= r.embeddings.stamp;
          for (const e of r.match.events) printEvent(e);
          const t = secs(r.embeddings.stamp);
          if (!tty && Math.floor(t / 5) === lastPrint) return;
          lastPrint = Math.floor(t / 5);
          const live = SENSOR_MODALITIES.filter((m) => m !== 'thermal' || r.embeddings.present.includes(m)).map((m) => `${r.embeddings.present.includes(m) ? '●' : '○'} ${m}`).join('  ');
          const happening = truthNow.filter((x) => x.start <= r.embeddings.stamp && x.end >= r.embeddings.stamp).map((x) => x.label);
          const lines = [
            `t ${t.toFixed(1).padStart(5)} s   ${live}   truth: ${happening.length > 0 ? happening.join(', ') : '-'}`,
            ...r.match.top.slice(0, 3).map((s) => `          ${s.label.padEnd(28)} ${bar(s.score)} ${s.score.toFixed(2)}`),
          ];
          if (tty) {
            if (panelLines > 0) out.write(`\x1b[${panelLines}A\x1b[0J`);
            out.write(`${lines.join('\n')}\n`);
            panelLines = lines.length;
          } else {
            say(lines.join('\n'));
          }
        },
      });
      for (const e of run.summary.events.slice(-20)) if (e.type === 'end' && BigInt(e.end as string) > (run.summary.last ?? 0n)) printEvent(e);
      if (tty && panelLines > 0) out.write(`\x1b[${panelLines}A\x1b[0J`);
      const runEnd = run.summary.last;
      const report = scoreRuns([{ events: run.summary.events, truth: run.truth, durationSeconds: run.summary.durationSeconds, ...(runEnd !== undefined ? { end: runEnd } : {}) }], {
        concepts: EVENT_IDS.filter((id) => run.truth.some((t) => t.label === id) || run.summary.events.some((e) => e.concept.id === id)),
      });
      say('');
      say(`summary: ${run.summary.durationSeconds.toFixed(1)} s replayed in ${run.summary.wallSeconds.toFixed(1)} s, ${run.summary.ticks} snapshots, ${report.predictions} events, ${report.truths} true events`);
      for (const [id, m] of Object.entries(report.concepts)) {
        say(`  ${id.padEnd(20)} truth ${m.truths}  detected ${m.tp}  missed ${m.fn}  false ${m.fp}${m.meanOnsetLatency !== null ? `  onset ${m.meanOnsetLatency.toFixed(1)} s` : ''}`);
      }
      say(`  macro F1 ${report.macro.f1.toFixed(2)}, false positives ${report.falsePositivesPerMinute.toFixed(2)}/min (sensebind eval <bag> gives the full JSON)`);
      return 0;
    } finally {
      process.off('SIGINT', onSig);
      await pipeline.close();
    }
  },
};
