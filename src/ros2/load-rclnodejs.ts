/**
 * Guarded dynamic import of rclnodejs. It is an optionalDependency: it installs only where ROS 2 is
 * sourced at `npm ci` time, and importing it without a working ROS 2 install throws (or tries a source
 * rebuild). So it is imported here, on demand, never at module top level, and a failure becomes one
 * clear UNAVAILABLE error that callers turn into "ROS 2 not available; other sources keep running".
 *
 * The import itself is a parameter (`RclImporter`) so that both outcomes, ROS 2 present and absent, are
 * exercised on every machine; the default imports the real package.
 *
 * Signals: rclnodejs installs a SIGINT listener at import that shuts every ROS context down at once.
 * sensebind owns SIGINT/SIGTERM (the service must publish the events it ends at shutdown before the node
 * goes), so every SIGINT/SIGTERM listener the import added is removed right after it.
 */
import { SensebindError, errorMessage } from '../core/errors.js';
import { ros2EnvironmentProblem } from './environment.js';
import type { Rclnodejs } from './rclnodejs-api.js';

/** Imports the rclnodejs module (its default export or namespace). */
export type RclImporter = () => Promise<unknown>;

/** The real package, imported only where ROS 2 is sourced (see ros2EnvironmentProblem). */
export const importRclnodejs: RclImporter = async () => {
  const problem = ros2EnvironmentProblem();
  if (problem !== undefined) throw new Ros2NotSourcedError(problem);
  const name = 'rclnodejs'; // a variable, so bundlers and tsc do not try to resolve the optional module
  return import(name);
};

class Ros2NotSourcedError extends Error {}

export function ros2UnavailableReason(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const distro = env['ROS_DISTRO'] || undefined;
  const first = errorMessage(err).split('\n')[0] ?? '';
  if (err instanceof Ros2NotSourcedError) return first;
  if (/Cannot find (module|package) 'rclnodejs'/.test(first) || /ERR_MODULE_NOT_FOUND/.test(String((err as { code?: unknown }).code))) {
    return distro === undefined
      ? 'rclnodejs is not installed and ROS 2 is not sourced (ROS_DISTRO unset): source /opt/ros/<distro>/setup.bash, then run `npm ci` (docs/ros2.md)'
      : `rclnodejs is not installed: with ROS 2 ${distro} sourced, run \`npm ci\` again so the optional dependency installs (docs/ros2.md)`;
  }
  return `rclnodejs does not load${distro === undefined ? ' (ROS 2 not sourced: ROS_DISTRO unset)' : ` with ROS 2 ${distro}`}: ${first}`;
}

const OWNED_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Imports rclnodejs without letting it take SIGINT: its own handler is removed with its documented
 * `removeSignalHandlers()` (2.x). Where a version lacks that, the SIGINT/SIGTERM listeners the import
 * added are removed instead. Throws SensebindError('UNAVAILABLE') with the reason when the import fails.
 */
export async function importWithoutSignals(importer: RclImporter = importRclnodejs, env: NodeJS.ProcessEnv = process.env): Promise<Rclnodejs> {
  const before = new Map(OWNED_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  let mod: { default?: Rclnodejs } & Rclnodejs;
  try {
    mod = (await importer()) as { default?: Rclnodejs } & Rclnodejs;
  } catch (err) {
    throw new SensebindError('UNAVAILABLE', `ROS 2 is not available: ${ros2UnavailableReason(err, env)}`, { cause: err });
  }
  const rcl = mod.default ?? mod;
  if (typeof rcl.removeSignalHandlers === 'function') {
    rcl.removeSignalHandlers();
  } else {
    // Older rclnodejs: its listener is one the import added (a listener sensebind added meanwhile would
    // go too; rclnodejs 2.x, which sensebind depends on, always has removeSignalHandlers).
    for (const s of OWNED_SIGNALS) {
      for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l as (...args: unknown[]) => void);
    }
  }
  return rcl;
}

/** A loader that imports and initialises rclnodejs once; a failed attempt may be retried. */
export function createRclnodejsLoader(importer: RclImporter = importRclnodejs): () => Promise<Rclnodejs> {
  let cached: Promise<Rclnodejs> | undefined;
  return () => {
    cached ??= (async () => {
      const rcl = await importWithoutSignals(importer);
      try {
        await rcl.init();
      } catch (err) {
        throw new SensebindError('UNAVAILABLE', `ROS 2 is not available: rclnodejs.init() failed: ${errorMessage(err)}`, { cause: err });
      }
      return rcl;
    })();
    const attempt = cached;
    attempt.catch(() => {
      if (cached === attempt) cached = undefined; // allow a later retry (e.g. after sourcing in a shell)
    });
    return attempt;
  };
}

/** Loads and initialises the real rclnodejs once per process; throws SensebindError('UNAVAILABLE') with the reason. */
export const loadRclnodejs: () => Promise<Rclnodejs> = createRclnodejsLoader();
