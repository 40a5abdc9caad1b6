import { ERROR_STATUS, type ErrorBody, type ErrorCode } from './errors.ts';

/** The one error type handlers throw for expected failures; each app maps it to HTTP once, in its onError. */
/**
 * Whether `err` is the caller hanging up (the request's signal aborted, or the socket reset while
 * its body was read) rather than a fault: nobody is left to answer, and nothing needs fixing.
 */
export function isClientDisconnect(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'ECONNRESET' || e?.message === 'aborted';
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  /** Seconds, for 429 and 503 answers. */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, opts: { details?: unknown; retryAfter?: number } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.details = opts.details;
    this.retryAfter = opts.retryAfter;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}
