/**
 * Errors that callers branch on carry a `code`. Messages say what failed, where, and what was expected.
 */
export type ErrorCode =
  | 'CONFIG'
  | 'USAGE'
  | 'INPUT'
  | 'MODEL'
  | 'HASH_MISMATCH'
  | 'UNAVAILABLE'
  | 'IO'
  | 'PROTOCOL';

export class SensebindError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SensebindError';
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why a file could not be written, in words a user can act on. Node's own message names the file the
 * syscall touched, which is often an internal temp or lock file beside the user's path, so callers name
 * the user's path themselves and use only this reason.
 */
export function writeFailureReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'its folder does not exist and cannot be created';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EEXIST':
      return 'exists and is not a folder';
    default:
      return code ?? errorMessage(err);
  }
}

/** One-line IO error for an output the user named: `<what> <path>: cannot write (<reason>)`. */
export function cannotWrite(what: string, path: string, err: unknown): SensebindError {
  if (err instanceof SensebindError) return err;
  return new SensebindError('IO', `${what} ${path}: cannot write (${writeFailureReason(err)})`, { cause: err });
}
