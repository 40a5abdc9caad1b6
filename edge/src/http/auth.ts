import type { Context, MiddlewareHandler } from 'hono';
import { parseApiKey } from '../auth/api-key.ts';
import type { Scope } from '../auth/key-store.ts';
import { verifyKey } from '../auth/key-store.ts';
import { ApiError } from '../errors.ts';
import type { LimitRule } from '../limits/limiter.ts';
import type { AppEnv } from './env.ts';
import { clientIp } from './rate-limit.ts';

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

const tooManyFailures = (until: number) =>
  new ApiError('too_many_auth_failures', 'too many invalid API keys from this address; try again later', {
    retryAfter: Math.max(1, Math.ceil((until - Date.now()) / 1000)),
  });

/**
 * An address refused for failed lookups is refused again in this isolate until its window ends,
 * before the key store is asked: a flood of made-up keys costs neither a query nor a limiter call.
 * Keys the isolate already holds still work from there, so a shared address is not locked out.
 */
function refuseBlocked(c: Context<AppEnv>, ip: string): void {
  const blocks = c.get('services').authBlocks;
  const until = blocks.get(ip);
  if (until === undefined) return;
  if (until > Date.now()) throw tooManyFailures(until);
  blocks.delete(ip);
}

/**
 * Counts a well-formed key that does not exist against its address (the shared limiter; per
 * isolate while Redis is down), and refuses the address once it is over AUTH_FAILURES_PER_MINUTE.
 */
async function chargeFailure(c: Context<AppEnv>, ip: string): Promise<void> {
  const s = c.get('services');
  const rules: LimitRule[] = [{ name: 'auth:failures:minute', tokens: s.config.AUTH_FAILURES_PER_MINUTE, window: 'minute' }];
  let outcome = await s.limiter.limitAll(ip, rules);
  if (outcome.reason === 'unavailable') outcome = await s.fallbackLimiter.limitAll(ip, rules);
  if (outcome.refused < 0) return;
  const until = outcome.results[outcome.refused]!.reset;
  if (s.authBlocks.size >= 10_000) s.authBlocks.clear();
  s.authBlocks.set(ip, until);
  throw tooManyFailures(until);
}

/** 401 for a missing or wrong key, 403 for a revoked key or one without the route's scope. */
export const requireKey =
  (scope: Scope): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const s = c.get('services');
    const raw = presentedKey(c.req);
    if (!raw) throw new ApiError('unauthorized', 'an API key is required: send Authorization: Bearer <key> or x-api-key');
    // Only a well-formed key can reach the key store; garbage is refused for free.
    const prefix = parseApiKey(raw)?.prefix;
    const ip = clientIp(c);
    if (prefix !== undefined && !s.keys.holds?.(prefix)) refuseBlocked(c, ip);
    const result = await verifyKey(s.keys, raw, s.config.API_KEY_PEPPER);
    if (!result.ok) {
      if (result.reason === 'revoked') throw new ApiError('forbidden', 'this API key has been revoked');
      if (prefix !== undefined) await chargeFailure(c, ip);
      throw new ApiError('unauthorized', 'the API key is not valid');
    }
    if (!result.key.scopes.includes(scope)) throw new ApiError('forbidden', `this API key lacks the ${scope} scope`);
    c.set('apiKey', result.key);
    await next();
  };
