// What the agent's recall writer costs the disk and the memory beside an existing store, faster than live:
// appends one synthetic moment (4 modalities, dim 128) per flush at <speed> x 2 Hz, with the writer's
// maintenance every 60 / <speed> s, into a COPY of <store> (docs/recall.md, "Writes to disk"). Every
// 10 s it prints RSS, the JS heap and external (ArrayBuffer) memory, LanceDB cache and the MiB this
// process has written (/proc/self/io write_bytes, what reaches the block device); at the end, the writes
// scaled to a live day. Needs `npm run build` first.
//   node bench/recall-writes.mjs <store> [--speed 10] [--seconds 420] [--roll-rows 7200]
// The store must have been written with model id "bench" (bench/recall.mjs --days N builds one).
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LanceRecallStore, dirBytes } from '../dist/recall/lance-store.js';
import { RecallWriter } from '../dist/recall/writer.js';
import { createLogger } from '../dist/core/log.js';
import { DAY_MOMENTS, SyntheticLife, tickOf } from '../dist/bench/recall-synthetic.js';

const argv = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(`recall-writes: ${message}\n`);
  process.exit(2);
};
const flag = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) fail(`--${name}: expected a positive number, got ${argv[i + 1]}`);
  return v;
};
const source = argv[0];
if (source === undefined || source.startsWith('--')) fail('usage: node bench/recall-writes.mjs <store> [--speed 10] [--seconds 420] [--roll-rows 7200]');
const speed = flag('speed', 10);
const seconds = flag('seconds', 420);
const rollRows = flag('roll-rows', 7200);

if (!existsSync(join(source, 'recall.json'))) fail(`${source}: not a recall store (no recall.json); node bench/recall.mjs --days N builds one`);
const work = await mkdtemp(join(tmpdir(), 'sensebind-recall-writes-'));
const dir = join(work, 'store');
process.stderr.write(`copying ${source} to ${dir}\n`);
await cp(source, dir, { recursive: true });
const io = async () => Number(/write_bytes: (\d+)/.exec(await readFile('/proc/self/io', 'utf8'))?.[1] ?? NaN);
const rssMiB = async () => Math.round(Number(/VmRSS:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1] ?? NaN) / 1024);
const mib = (b) => Math.round(b / 2 ** 20);
try {
  const store = await LanceRecallStore.open({ dir, modelId: 'bench', dim: 128, create: false, rollRows }).catch(async (err) => {
    await rm(work, { recursive: true, force: true });
    fail(err.message);
  });
  const writer = new RecallWriter({
    store,
    logger: createLogger({ level: 'warn', format: 'json' }),
    flushSeconds: 0.5 / speed,
    maintainSeconds: 60 / speed,
    retention: { maxBytes: Infinity, maxAgeSeconds: Infinity },
  });
  const life = new SyntheticLife(128, 64, 3);
  const newest = (await store.stats()).newest ?? 0n;
  // Moments continue after the store's newest, at the 0.5 s hop (index i of the synthetic life).
  let i = Math.max(7 * DAY_MOMENTS, Number(newest / 500_000_000n) + 1);
  const written0 = await io();
  const t0 = performance.now();
  const sample = async () => {
    const s = writer.stats();
    const line = { s: Math.round((performance.now() - t0) / 1000), written: s.written, maintenanceRuns: s.maintenanceRuns, rolledRows: s.rolledRows, rssMiB: await rssMiB(), heapMiB: mib(process.memoryUsage().heapUsed), externalMiB: mib(process.memoryUsage().external), cacheMiB: mib(store.cacheBytes()), wroteMiB: mib((await io()) - written0) };
    console.log(JSON.stringify(line));
    return line;
  };
  let next = 10;
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - t0) / 1000;
      writer.observe(tickOf(life.moment(i), i));
      i++;
      if (elapsed >= next) {
        next += 10;
        void sample();
      }
      if (elapsed >= seconds) {
        clearInterval(timer);
        resolve();
      }
    }, 500 / speed);
  });
  await writer.close(3_600_000);
  const end = await sample();
  // One moment per 0.5 s hop of live time.
  const liveSeconds = end.written * 0.5;
  console.log(JSON.stringify({ summary: true, speed, rollRows, moments: end.written, liveHours: Math.round((liveSeconds / 3600) * 100) / 100, wroteMiB: end.wroteMiB, wroteGiBPerLiveDay: Math.round(((end.wroteMiB / 1024) * 86400 * 10) / liveSeconds) / 10, storeMiB: mib(await dirBytes(dir)), rssMiB: end.rssMiB }));
  await store.close();
} finally {
  await rm(work, { recursive: true, force: true });
}
