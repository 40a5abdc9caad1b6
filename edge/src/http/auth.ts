import type { MiddlewareHandler } from 'hono';
import type { Scope } from '../auth/key-store.ts';
import { verifyKey } from '../auth/key-store.ts';
import { ApiError } from '../errors.ts';
import type { AppEnv } from './env.ts';

/**
 * The presented key from `Authorization: Bearer`, `x-api-key`, or `Authorization: Basic` with the
 * key as the user name (password ignored): that is what HTTP clients send from a ~/.netrc entry, so
 * a client written for the original keyless gateway (Python requests, curl -n) works unchanged.
 */
export function presentedKey(headers: { header(name: string): string | undefined }): string | null {
  const auth = headers.header('authorization');
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(auth);
    if (!basic) return null;
    let decoded: string;
    try {
      decoded = atob(basic[1]!);
    } catch {
      return null;
    }
    return decoded.split(':')[0] || null;
  }
  return headers.header('x-api-key')?.trim() || null;
}

/** 401 for a missing or wrong key, 403 for a revoked key or one without the route's scope. */
export const requireKey =
  (scope: Scope): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const s = c.get('services');
    const raw = presentedKey(c.req);
    if (!raw) throw new ApiError('unauthorized', 'an API key is required: send Authorization: Bearer <key> or x-api-key');
    const result = await verifyKey(s.keys, raw, s.config.API_KEY_PEPPER);
    if (!result.ok) {
      if (result.reason === 'revoked') throw new ApiError('forbidden', 'this API key has been revoked');
      throw new ApiError('unauthorized', 'the API key is not valid');
    }
    if (!result.key.scopes.includes(scope)) throw new ApiError('forbidden', `this API key lacks the ${scope} scope`);
    c.set('apiKey', result.key);
    await next();
  };
