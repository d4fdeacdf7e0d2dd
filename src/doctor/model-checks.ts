/**
 * Doctor checks for the embedding runtime: which execution providers really load on this machine (a tiny
 * session per provider, the same probe the runtime uses, not a list of compiled-in names), and whether
 * the configured model's manifest is valid and every graph file exists and matches its sha256.
 */
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { errorMessage } from '../core/errors.js';
import { resolveBundled } from '../config/paths.js';
import { MODALITIES } from '../core/types.js';
import { loadManifest } from '../embed/manifest.js';
import { probeProviders } from '../embed/providers.js';
import type { Check, CheckResult } from './checks.js';

/** One line per configured provider; a provider that does not load is a warning while a later one does. */
export const checkProviders: Check = async (config) => {
  const chain = config.model.providers;
  let probes;
  try {
    probes = await probeProviders(chain);
  } catch (err) {
    return { name: 'providers', status: 'fail', detail: `onnxruntime-node cannot probe providers: ${errorMessage(err)}` };
  }
  const first = probes.find((p) => p.ok);
  const results: CheckResult[] = probes.map((p) => ({
    name: `provider ${p.provider}`,
    status: p.ok ? 'ok' : first ? 'warn' : 'fail',
    detail: p.ok ? `loads (${p.ms.toFixed(0)} ms)${p === first ? '; graphs will run here' : ''}` : `does not load: ${p.reason ?? 'unknown'}`,
  }));
  if (first === undefined) {
    results.push({ name: 'providers', status: 'fail', detail: `none of model.providers (${chain.join(', ')}) loads; add cpu to the list` });
  }
  return results;
};

/** Size of the graph plus its external data files. */
function mib(paths: string[]): string {
  try {
    return `${(paths.reduce((n, p) => n + statSync(p).size, 0) / 2 ** 20).toFixed(1)} MiB`;
  } catch {
    return '? MiB';
  }
}

/** The manifest, then one line per modality: graph present, hash verified, or why not. */
export const checkModelFiles: Check = async (config) => {
  const dir = config.model.dir;
  let loaded;
  try {
    loaded = await loadManifest(resolveBundled(dir), { verifyHashes: true });
  } catch (err) {
    return { name: 'model', status: 'fail', detail: `${errorMessage(err)} (model.dir = ${dir})` };
  }
  const m = loaded.manifest;
  const results: CheckResult[] = [
    { name: 'model', status: 'ok', detail: `${loaded.modelId} in ${loaded.dir}: ${m.embeddingDim}-d, licence ${m.license}` },
  ];
  let usable = 0;
  for (const modality of MODALITIES) {
    const l = loaded.modalities[modality];
    if (l === undefined) continue;
    const name = `model ${modality}`;
    if (l.error) results.push({ name, status: 'fail', detail: l.error.message });
    else if (l.path === undefined) results.push({ name, status: 'warn', detail: 'no graph installed (file is null in the manifest): this modality is not embedded' });
    else {
      usable++;
      const files = [l.path, ...(l.entry.externalData ?? []).map((x) => join(loaded.dir, x.file))];
      const extra = files.length > 1 ? ` + ${files.length - 1} external data file${files.length > 2 ? 's' : ''}` : '';
      const file = `${basename(l.path)}${extra} (${mib(files)}, ${l.entry.input.dtype} ${JSON.stringify(l.entry.input.shape)})`;
      results.push(
        l.verified
          ? { name, status: 'ok', detail: `${file} sha256 matches` }
          : { name, status: 'warn', detail: `${file} present but not verified: the manifest has no sha256` },
      );
    }
  }
  if (usable === 0) results.push({ name: 'model graphs', status: 'fail', detail: `no usable graph in ${loaded.dir}: nothing can be embedded` });
  return results;
};
