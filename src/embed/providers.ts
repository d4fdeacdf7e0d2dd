/**
 * Execution-provider selection. onnxruntime-node does not fall back by itself: a session asked for CUDA on
 * a machine without the CUDA libraries throws. So each provider of the configured chain is tried alone, in
 * order, and the first that loads wins; every failure is kept with its reason so `doctor`, the logs and
 * the metrics can say why a robot runs on CPU.
 *
 * Whether a provider exists on this machine at all (libraries, a GPU adapter) is a property of the
 * process, not of a model: it is probed once with a 92-byte graph and remembered, so six modalities do
 * not each pay for a failing WebGPU adapter search. A provider that probes fine may still refuse a
 * particular model (an operator TensorRT lacks); that is tried per model, and the chain goes on.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { InferenceSession } from 'onnxruntime-node';
import { SensebindError, errorMessage } from '../core/errors.js';

export const PROVIDERS = ['tensorrt', 'cuda', 'webgpu', 'cpu'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
/** Tried in this order when the config names none: fastest first, the CPU always last. */
export const DEFAULT_PROVIDERS: readonly ProviderName[] = [...PROVIDERS];

type Ort = typeof import('onnxruntime-node');

let ortModule: Promise<Ort> | undefined;

/** onnxruntime-node, imported once and on first use (the CLI's help must not load a native addon). */
export function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').then((ort) => {
    // ORT prints provider-load failures to stderr natively; sensebind reports them through its logger.
    ort.env.logLevel = 'fatal';
    return ort;
  });
  return ortModule;
}

/** y = x * x on float32 [1,4]: the smallest graph that makes a provider initialise and claim a kernel. */
const PROBE_GRAPH = Buffer.from(
  'CAcSD3NlbnNlYmluZC1wcm9iZTpBCg4KAXgKAXgSAXkiA011bBIFcHJvYmVaEwoBeBIOCgwIARIICgIIAQoCCARiEwoBeRIOCgwIARIICgIIAQoCCARCBAoAEA0=',
  'base64',
);

export interface ProviderProbe {
  provider: ProviderName;
  ok: boolean;
  /** Why it did not load (first line of ONNX Runtime's message). */
  reason?: string;
  ms: number;
}

export interface ThreadOptions {
  /** ONNX Runtime intra-op threads; 0 = runtime default. @default 0 */
  intraOpThreads?: number;
  /** ONNX Runtime inter-op threads; 0 = runtime default. @default 0 */
  interOpThreads?: number;
}

function sessionOptions(provider: ProviderName, threads: ThreadOptions = {}): InferenceSession.SessionOptions {
  const { intraOpThreads = 0, interOpThreads = 0 } = threads;
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
    ...(interOpThreads > 0 ? { interOpNumThreads: interOpThreads } : {}),
    // Idle pool threads otherwise spin-wait between runs: measured 24-30 % of a core on an agent that
    // embeds a few small windows per hop. Without spinning a run waits a few microseconds longer to start.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
}

/** First line, without ORT's source-location prefix, capped: enough to act on in a log line. */
function shortReason(err: unknown): string {
  const line = errorMessage(err).split('\n').find((l) => l.trim() !== '') ?? 'unknown error';
  // ORT prefixes source locations and failed-assertion text; keep the part a user can act on.
  let trimmed = line.replace(/^\/onnxruntime_src\/\S+\s+/, '').trim();
  const assertion = / was false\. (.+)$/.exec(trimmed);
  if (assertion) trimmed = assertion[1]!;
  return trimmed.length > 300 ? `${trimmed.slice(0, 297)}...` : trimmed;
}

const probeCache = new Map<ProviderName, Promise<ProviderProbe>>();

/** Device nodes a GPU provider needs: NVIDIA desktop/server, Jetson (nvhost/nvgpu), any DRM render node (Vulkan). */
const GPU_DEVICES: Readonly<Record<Exclude<ProviderName, 'cpu'>, readonly string[]>> = {
  tensorrt: ['/dev/nvidiactl', '/dev/nvhost-ctrl', '/dev/nvgpu'],
  cuda: ['/dev/nvidiactl', '/dev/nvhost-ctrl', '/dev/nvgpu'],
  webgpu: ['/dev/dri', '/dev/nvidiactl'],
};

/** Which device nodes exist; injected in tests so both branches run on every machine. */
export type DeviceProbe = (path: string) => boolean;

let deviceProbe: DeviceProbe = existsSync;

/** Replaces the device probe (tests); returns the previous one. */
export function setDeviceProbe(probe: DeviceProbe): DeviceProbe {
  const previous = deviceProbe;
  deviceProbe = probe;
  probeCache.clear();
  return previous;
}

/**
 * Why a GPU provider cannot work here without asking ONNX Runtime, or undefined. Asking it on a machine
 * without the device costs seconds and prints Vulkan and driver warnings straight to the terminal.
 */
function missingDevice(provider: ProviderName): string | undefined {
  if (provider === 'cpu') return undefined;
  const paths = GPU_DEVICES[provider];
  return paths.some((p) => deviceProbe(p)) ? undefined : `no GPU device on this machine (none of ${paths.join(', ')})`;
}

/** Whether `provider` can create a session on this machine; cached for the process. */
export function probeProvider(provider: ProviderName): Promise<ProviderProbe> {
  let p = probeCache.get(provider);
  if (p === undefined) {
    const missing = missingDevice(provider);
    if (missing !== undefined) {
      p = Promise.resolve({ provider, ok: false, reason: missing, ms: 0 });
      probeCache.set(provider, p);
      return p;
    }
    p = (async () => {
      const ort = await loadOrt();
      const t0 = performance.now();
      try {
        const session = await ort.InferenceSession.create(PROBE_GRAPH, sessionOptions(provider));
        const x = new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]);
        await session.run({ x });
        await session.release();
        return { provider, ok: true, ms: performance.now() - t0 };
      } catch (err) {
        return { provider, ok: false, reason: shortReason(err), ms: performance.now() - t0 };
      }
    })();
    probeCache.set(provider, p);
  }
  return p;
}

/** Probes every provider of a chain (in order; probes are cached). */
export async function probeProviders(providers: readonly ProviderName[] = PROVIDERS): Promise<ProviderProbe[]> {
  const out: ProviderProbe[] = [];
  for (const p of providers) out.push(await probeProvider(p));
  return out;
}

export interface ProviderAttempt {
  provider: ProviderName;
  ok: boolean;
  reason?: string;
  ms: number;
}

export interface OpenedSession {
  session: InferenceSession;
  provider: ProviderName;
  /** Every provider tried, in order, with why it failed. */
  attempts: ProviderAttempt[];
}

/**
 * Creates a session for the graph at `path` with the first provider of `providers` that loads it.
 * Throws SensebindError('MODEL') naming the file and every provider's reason when none does.
 */
export async function openSession(path: string, providers: readonly ProviderName[], threads: ThreadOptions = {}): Promise<OpenedSession> {
  if (providers.length === 0) throw new SensebindError('CONFIG', 'model.providers is empty: name at least one of tensorrt, cuda, webgpu, cpu');
  const ort = await loadOrt();
  const attempts: ProviderAttempt[] = [];
  for (const provider of providers) {
    const probe = await probeProvider(provider);
    if (!probe.ok) {
      attempts.push({ provider, ok: false, reason: `not available on this machine: ${probe.reason ?? 'unknown'}`, ms: 0 });
      continue;
    }
    const t0 = performance.now();
    try {
      const session = await ort.InferenceSession.create(path, sessionOptions(provider, threads));
      attempts.push({ provider, ok: true, ms: performance.now() - t0 });
      return { session, provider, attempts };
    } catch (err) {
      attempts.push({ provider, ok: false, reason: shortReason(err), ms: performance.now() - t0 });
    }
  }
  const why = attempts.map((a) => `${a.provider}: ${a.reason ?? 'failed'}`).join('; ');
  throw new SensebindError('MODEL', `cannot load ONNX graph ${path} with any execution provider (${providers.join(', ')}): ${why}`);
}

/** "cpu (tensorrt: not available ...; cuda: ...)": one line for logs and doctor. */
export function describeAttempts(opened: Pick<OpenedSession, 'provider' | 'attempts'>): string {
  const failed = opened.attempts.filter((a) => !a.ok);
  return failed.length === 0 ? opened.provider : `${opened.provider} (${failed.map((a) => `${a.provider}: ${a.reason ?? 'failed'}`).join('; ')})`;
}
