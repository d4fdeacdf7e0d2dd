/**
 * Cost of the live background estimate (src/match/background.ts): heap and time per concept per snapshot
 * for 10 / 100 / 1,000 concepts with the default thresholds (about a hundred lifecycles each), fed one
 * matcher trace per snapshot as the agent does. Run with `node --expose-gc` for the heap figure. Prints JSON.
 */
import { BackgroundEstimate } from '../match/background.js';
import { MATCH_DEFAULTS } from '../config/match.js';
import { BUILTIN_DEFAULTS, resolveConcept } from '../memory/concept.js';
import type { ConceptTrace } from '../core/types.js';

export async function main(argv: string[] = []): Promise<unknown> {
  const sizes = (argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '10,100,1000').split(',').map(Number);
  const snapshots = Number(argv.find((a) => a.startsWith('--snapshots='))?.slice(12) ?? 200);
  const gc = (globalThis as { gc?: () => void }).gc;
  const results: unknown[] = [];
  for (const n of sizes) {
    const concepts = Array.from({ length: n }, (_, i) => resolveConcept({ id: `c${i}` }, BUILTIN_DEFAULTS));
    const byId = new Map(concepts.map((c) => [c.id, c]));
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const b = MATCH_DEFAULTS.background;
    const est = new BackgroundEstimate({ ratePerHour: b.ratePerHour, timeConstantHours: b.timeConstantHours, maxRaise: b.maxRaise, margin: b.margin, skipEvents: b.skipEvents, matcher: {} });
    // Background near the threshold with an excursion every 40 snapshots, so lifecycles start and end.
    const trace = (k: number): ConceptTrace[] =>
      concepts.map((c, i) => {
        const fused = (k + i) % 40 < 3 ? 0.6 : 0.1 + 0.1 * (((k * 7 + i) % 10) / 10);
        return { conceptId: c.id, label: c.label, fused, smoothed: 0, on: 0.3, off: 0.15, active: false, modalityScores: { audio: fused, vision: fused / 2 } };
      });
    const t0 = performance.now();
    for (let k = 0; k < snapshots; k++) est.observe(trace(k), (id) => byId.get(id), k * 0.5);
    const ms = (performance.now() - t0) / snapshots;
    gc?.();
    const heap = process.memoryUsage().heapUsed - heap0;
    results.push({ concepts: n, msPerSnapshot: Math.round(ms * 1000) / 1000, msPerConcept: Math.round((ms / n) * 1e4) / 1e4, kibPerConcept: gc ? Math.round(heap / n / 102.4) / 10 : null });
  }
  const out = { bench: 'background', snapshots, results };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return out;
}
