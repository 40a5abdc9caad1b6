import type { z } from 'zod';
import { ApiError } from './api-error.ts';

// JSON is UTF-8 (RFC 8259), so the only parameter worth accepting is a charset that says so.
// Structured-syntax suffixes (application/evil+json) are other formats that merely look like JSON.
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(;[ \t]*charset[ \t]*=[ \t]*(utf-8|"utf-8")[ \t]*)?$/i;

export function isJsonContentType(header: string | null | undefined): boolean {
  return header !== null && header !== undefined && JSON_MEDIA_TYPE.test(header.trim());
}

/**
 * The body's text, or null when its bytes are not UTF-8. A lenient decoder would turn bad bytes
 * into U+FFFD and the service would score a text the caller never sent.
 */
export function decodeUtf8(bytes: ArrayBuffer | Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** 415 unsupported_media_type unless the header says application/json; checked before the body is read. */
export function requireJsonContentType(contentType: string | null | undefined): void {
  if (isJsonContentType(contentType)) return;
  const type = contentType?.split(';')[0]?.trim();
  throw new ApiError('unsupported_media_type', `expected application/json, got ${type || 'no content type'}`);
}

/** The parsed body; invalid_unicode for bytes that are not UTF-8, invalid_json for bad syntax. */
export function parseJsonBytes(bytes: ArrayBuffer | Uint8Array): unknown {
  const text = decodeUtf8(bytes);
  if (text === null) throw new ApiError('invalid_unicode', 'the request body is not valid UTF-8');
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('invalid_json', 'the request body is not valid JSON');
  }
}

/** Content type, encoding and syntax of a JSON request body, each refused with its own code. */
export function readJsonBody(bytes: ArrayBuffer | Uint8Array, contentType: string | null | undefined): unknown {
  requireJsonContentType(contentType);
  return parseJsonBytes(bytes);
}

/** The body checked against its schema; invalid_request names the first failing field, details list them all. */
export function validateBody<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0]!;
  throw new ApiError('invalid_request', `${first.path || 'body'}: ${first.message}`, { details: issues });
}
