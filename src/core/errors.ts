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
