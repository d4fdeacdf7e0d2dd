/**
 * Environment checks behind `sensebind doctor`. Each check returns a result, never throws: doctor must
 * report on a broken machine, not crash on it.
 */
import { errorMessage } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import { checkModelFiles, checkProviders } from './model-checks.js';
import { listSerialPorts } from '../serial/port-select.js';
import { wasmUnavailableReason } from '../preprocess/wasm/kernels.js';
import { importRclnodejs, importWithoutSignals, type RclImporter } from '../ros2/load-rclnodejs.js';
import { describeRos2Environment, ros2Environment } from '../ros2/environment.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
}

export type Check = (config: Config) => Promise<CheckResult | CheckResult[]>;

const checkNode: Check = async () => {
  const major = Number(process.versions.node.split('.')[0]);
  return {
    name: 'node',
    status: major >= 20 ? 'ok' : 'fail',
    detail: `Node ${process.versions.node} on ${process.platform}/${process.arch}${major >= 20 ? '' : ' (sensebind needs Node >= 20)'}`,
  };
};

/**
 * bin/sensebind.js starts Node with a larger initial old space (its shebang): without it, received frames
 * trigger about two full garbage collections a second at camera rates, which measured as a third to a half
 * of the agent's CPU (docs/ros2.md). `node bin/sensebind.js` bypasses the shebang, so say which one ran.
 * The shebang also sets MALLOC_ARENA_MAX=2 (fewer glibc arenas: less RSS beside a recall store); the
 * detail says whether it is in force, without warning: it matters only with `recall.dir` set.
 */
export function checkNodeHeap(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): CheckResult {
  const flag = execArgv.find((a) => a.startsWith('--initial-old-space-size'));
  const arenas = env['MALLOC_ARENA_MAX'] === undefined ? "MALLOC_ARENA_MAX unset (glibc's default arenas; docs/recall.md, \"Memory\")" : `MALLOC_ARENA_MAX=${env['MALLOC_ARENA_MAX']}`;
  return flag !== undefined
    ? { name: 'node heap', status: 'ok', detail: `started with ${flag} (fewer full garbage collections at camera rates); ${arenas}` }
    : {
        name: 'node heap',
        status: 'warn',
        detail: `started without --initial-old-space-size: measured 1.7-2x the CPU at camera rates; start sensebind as node_modules/.bin/sensebind (npx) or pass the flag to node (docs/ros2.md); ${arenas}`,
      };
}

const checkOnnxRuntime: Check = async () => {
  try {
    const ort = await import('onnxruntime-node');
    const backends = ort.listSupportedBackends().map((b) => `${b.name}${b.bundled ? '' : ' (not bundled)'}`);
    return { name: 'onnxruntime', status: 'ok', detail: `onnxruntime-node ${ort.env.versions.node ?? '?'}; backends: ${backends.join(', ')}` };
  } catch (err) {
    return { name: 'onnxruntime', status: 'fail', detail: `onnxruntime-node does not load: ${errorMessage(err)}` };
  }
};

/** Preprocessing's SIMD kernels: without them every window still works, up to 5x slower (TypeScript fallback). */
export const checkPreprocessKernels: Check = async () => {
  const reason = wasmUnavailableReason();
  return reason === null
    ? { name: 'preprocess kernels', status: 'ok', detail: 'WebAssembly SIMD (resize, resample, IMU)' }
    : { name: 'preprocess kernels', status: 'warn', detail: `TypeScript fallback, camera-like windows about 5x slower: ${reason}` };
};

/** `ros2Check()` with the real rclnodejs; the importer is a parameter so both outcomes are tested everywhere. */
export function ros2Check(importer: RclImporter = importRclnodejs, environment: NodeJS.ProcessEnv = process.env): Check {
  const check: Check = async () => {
    const env = ros2Environment(environment);
    try {
      // rclnodejs is an optional dependency that only installs where ROS 2 is sourced.
      await importWithoutSignals(importer, environment);
    } catch (err) {
      const why = env.distro === undefined ? 'ROS 2 is not sourced (ROS_DISTRO unset)' : errorMessage(err).replace(/^ROS 2 is not available: /, '');
      return { name: 'ros2', status: 'warn', detail: `ROS 2 not available: ${why}; bag replay and serial still work` };
    }
    if (env.distro === undefined) {
      return { name: 'ros2', status: 'warn', detail: 'rclnodejs is installed but ROS_DISTRO is unset: source /opt/ros/<distro>/setup.bash before starting sensebind' };
    }
    return { name: 'ros2', status: 'ok', detail: describeRos2Environment(env) };
  };
  Object.defineProperty(check, 'name', { value: 'checkRos2' });
  return check;
}

const checkRos2: Check = ros2Check();

const checkSerial: Check = async (config) => {
  // listSerialPorts falls back to sysfs where udev is missing (containers), so this never throws.
  const { ports, source, note } = await listSerialPorts();
  const list = ports.map((p) => `${p.path}${p.vendorId ? ` (${p.vendorId}:${p.productId ?? '?'}${p.serialNumber ? ` sn ${p.serialNumber}` : ''})` : ''}`);
  const configured = config.serial.length;
  const via = `via ${source}${note ? `; ${note}` : ''}`;
  if (list.length === 0) {
    return { name: 'serial', status: configured > 0 ? 'warn' : 'ok', detail: `no serial ports visible (${via})${configured > 0 ? `; ${configured} configured` : ''}` };
  }
  return { name: 'serial', status: 'ok', detail: `ports: ${list.join(', ')} (${via})` };
};

export const DEFAULT_CHECKS: Check[] = [checkNode, async () => checkNodeHeap(), checkOnnxRuntime, checkPreprocessKernels, checkRos2, checkSerial, checkProviders, checkModelFiles];

export async function runChecks(config: Config, checks: Check[] = DEFAULT_CHECKS): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const check of checks) {
    try {
      const r = await check(config);
      out.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      out.push({ name: check.name || 'check', status: 'fail', detail: `check crashed: ${errorMessage(err)}` });
    }
  }
  return out;
}
