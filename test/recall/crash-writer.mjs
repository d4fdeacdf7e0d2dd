// Child process for crash.test.ts: feeds the recall writer 100 snapshots a second (50x the live rate of
// 2 Hz; 4 modalities) until killed, with maintenance (compaction, cleanup, and a roll of the recent rows
// into the main tables whenever 150 have gathered: about every 1.5 s) every second. Prints
// "tick <index>" as each snapshot is handed to the writer. Uses the compiled modules (npm run build).
import { LanceRecallStore } from '../../dist/recall/lance-store.js';
import { RecallWriter } from '../../dist/recall/writer.js';
import { silentLogger } from '../../dist/core/log.js';

const [dir, startArg] = process.argv.slice(2);
const DIM = 128;
const store = await LanceRecallStore.open({ dir, modelId: 'crash-test', dim: DIM, rollRows: 150 });
const writer = new RecallWriter({ store, logger: silentLogger(), flushSeconds: 0.5, maintainSeconds: 1, retention: { maxBytes: 2 ** 40, maxAgeSeconds: 1e9 } });
let i = Number(startArg);
const vector = (seed) => {
  const v = new Float32Array(DIM);
  for (let k = 0; k < DIM; k++) v[k] = Math.sin(seed * 0.01 + k);
  let n = 0;
  for (const x of v) n += x * x;
  return v.map((x) => x / Math.sqrt(n));
};
const present = ['vision', 'audio', 'depth', 'imu'];
setInterval(() => {
  const stamp = BigInt(i) * 500_000_000n;
  const embeddings = {};
  for (const [k, m] of present.entries()) embeddings[m] = { modality: m, vector: vector(i * 4 + k), scale: 1, stamp, modelId: 'crash-test' };
  writer.observe({ seq: i, stamp, present, missing: ['thermal'], embeddings });
  process.stdout.write(`tick ${i}\n`);
  i++;
}, 10);
