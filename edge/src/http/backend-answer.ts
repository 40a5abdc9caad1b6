import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { ApiError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { AppEnv } from './env.ts';

/**
 * A backend's 200 body checked against the contract before anything caches or returns it: a
 * malformed answer cached under a text's key would be served to every later caller until its TTL.
 */
export async function backendAnswer<S extends z.ZodType>(res: Response, schema: S, route: string, log: Logger): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    log.error('inference answer is not JSON', { route });
    throw new ApiError('bad_backend_response', `the inference service answered ${route} with a body that is not JSON`);
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  // The offending field is named, never its value: it could hold the caller's text.
  log.error('inference answer breaks the contract', { route, path: first.path.join('.'), issue: first.code });
  throw new ApiError(
    'bad_backend_response',
    `the inference service answered ${route} in a shape the contract does not allow (${first.path.join('.') || 'body'}: ${first.code})`,
  );
}

/**
 * A backend's own answer (its errors pass through unchanged) sent as the gateway's: with the
 * headers this request already set (X-Request-Id, RateLimit-*), which a raw Response would drop.
 */
export function passThrough(c: Context<AppEnv>, res: Response): Response {
  const headers: Record<string, string> = { 'content-type': res.headers.get('content-type') ?? 'application/json' };
  const retryAfter = res.headers.get('retry-after');
  if (retryAfter !== null) headers['retry-after'] = retryAfter;
  return res.body === null ? c.body(null, res.status as ContentfulStatusCode, headers) : c.body(res.body, res.status as ContentfulStatusCode, headers);
}
