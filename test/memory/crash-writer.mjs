// Child process for persist.test.ts: saves ever newer states of the concept memory in a loop until killed.
// Prints "saved <generation>" after each completed save. Uses the compiled module (npm run build).
import { saveState } from '../../dist/memory/persist.js';

const [file, dimArg, countArg] = process.argv.slice(2);
const dim = Number(dimArg);
const count = Number(countArg);
const base = { templates: {}, thresholds: { on: 0.5, off: 0.3 }, cooldownSeconds: 1, minDurationSeconds: 0.5, maxDurationSeconds: 30 };
for (let gen = 1; ; gen++) {
  const concepts = [];
  const byConcept = new Map();
  for (let i = 0; i < count; i++) {
    const id = `c${i}`;
    concepts.push({ id, label: `gen ${gen}`, prompts: [`concept ${i}`], templates: {}, thresholds: base.thresholds, cooldownSeconds: 1, minDurationSeconds: 0.5, maxDurationSeconds: 30, enabled: true, background: false });
    const v = new Float32Array(dim).fill(gen);
    byConcept.set(id, { vision: v });
  }
  await saveState(file, { defaults: base, concepts, exemplars: new Map(), prototypes: { modelId: 'crash-test', dim, byConcept } });
  process.stdout.write(`saved ${gen}\n`);
}
