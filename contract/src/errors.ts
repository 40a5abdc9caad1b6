/**
 * Every error the service answers with has a stable machine-readable code. The HTTP status is
 * derived from the code in one place so that handlers never choose a status themselves.
 */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  empty_text: 400,
  invalid_unicode: 400,
  invalid_cursor: 400,
  control_characters: 400,
  unknown_layer: 400,
  unknown_model: 404,
  unknown_detector: 404,
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  unreadable_file: 422,
  no_text_found: 422,
  /** The file took the extraction process past its deadline (a PDF that draws the same form a million times). */
  extraction_timeout: 422,
  /** The extraction process died without reaching a limit, e.g. a native library crashed on the file. */
  extraction_failed: 422,
  too_many_pages: 413,
  /** A multipart body with more parts, or larger part headers, than an upload needs. */
  too_many_parts: 413,
  image_too_large: 413,
  archive_too_large: 413,
  /** Reading the file took the extraction process past its memory cap. */
  extraction_too_large: 413,
  payload_too_large: 413,
  text_too_long: 413,
  /**
   * The work alone, on an idle model, needs longer than the whole time the caller allows
   * (X-Request-Budget-Ms, the gateway's INFERENCE_TIMEOUT_MS): no retry could succeed, so there is
   * no Retry-After. Send shorter texts or fewer at once.
   */
  text_too_large_for_deadline: 413,
  batch_too_large: 413,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  quota_exceeded: 429,
  /** This address presented too many keys that do not exist; Retry-After says when it may try again. */
  too_many_auth_failures: 429,
  queue_full: 503,
  /** The queue ahead is longer than the caller's deadline allows; Retry-After says when to come back. */
  deadline_unmeetable: 503,
  not_ready: 503,
  backend_unavailable: 503,
  /** The backend answered in a shape the contract does not allow; nothing was cached. */
  bad_backend_response: 502,
  timeout: 504,
  misconfigured: 500,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
