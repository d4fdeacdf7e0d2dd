/**
 * `doctor --deep`: every graph of the configured model is loaded by ONNX Runtime on the configured providers
 * and run once on a zero input of its manifest's shape (dynamic axes as 1), through the same session class
 * the agent uses. A graph that passes onnx.checker and its sha256 can still be refused by ONNX Runtime (a
 * MatMul whose dims do not match, an operator the provider lacks): this finds it on the bench, not when the
 * robot first needs that modality. One graph at a time, each released before the next, so the check needs
 * the memory of the largest graph, not of all of them.
 */
import { performance } from 'node:perf_hooks';
import { basename } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { silentLogger } from '../core/log.js';
import { MODALITIES } from '../core/types.js';
import { resolveBundled } from '../config/paths.js';
import { loadManifest } from '../embed/manifest.js';
import { ModalitySession } from '../embed/session.js';
import type { Check, CheckResult } from './checks.js';

/** ORT errors can span lines (a stack, a node dump); doctor prints one line per check. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

export const checkModelGraphsRun: Check = async (config) => {
  const { dir, providers, intraOpThreads, interOpThreads } = config.model;
  let loaded;
  try {
    // Hashes are doctor's file check; here the question is only whether ORT takes the graph.
    loaded = await loadManifest(resolveBundled(dir), { verifyHashes: false });
  } catch (err) {
    return { name: 'graphs run', status: 'fail', detail: `cannot read the model to run its graphs: ${oneLine(errorMessage(err))}` };
  }
  const results: CheckResult[] = [];
  for (const modality of MODALITIES) {
    const l = loaded.modalities[modality];
    if (l === undefined || l.path === undefined) continue;
    const name = `run ${modality}`;
    if (l.error) {
      results.push({ name, status: 'fail', detail: `not run: ${oneLine(l.error.message)}` });
      continue;
    }
    const session = new ModalitySession(l, {
      providers,
      embeddingDim: loaded.manifest.embeddingDim,
      warmup: true,
      logger: silentLogger(),
      intraOpThreads,
      interOpThreads,
    });
    const t0 = performance.now();
    try {
      await session.open();
      const s = session.stats();
      const shape = l.entry.input.shape.map((d) => (d === -1 ? 1 : d));
      results.push({
        name,
        status: 'ok',
        detail: `${basename(l.path)} runs on ${s.provider ?? '?'}: loaded in ${(s.loadMs ?? 0).toFixed(0)} ms, zeros ${JSON.stringify(shape)} -> [1,${loaded.manifest.embeddingDim}] in ${(s.warmupMs ?? 0).toFixed(0)} ms`,
      });
    } catch (err) {
      results.push({ name, status: 'fail', detail: `ONNX Runtime refuses it after ${(performance.now() - t0).toFixed(0)} ms: ${oneLine(errorMessage(err))}` });
    } finally {
      await session.close().catch(() => undefined);
    }
  }
  if (results.length === 0) results.push({ name: 'graphs run', status: 'warn', detail: `${loaded.dir} has no installed graph to run` });
  return results;
};
