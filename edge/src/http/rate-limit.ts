import type { Context, MiddlewareHandler } from 'hono';
import { tierLimits } from '../config.ts';
import { ApiError } from '../errors.ts';
import type { LimitOutcome, LimitResult, LimitRule } from '../limits/limiter.ts';
import type { AppEnv } from './env.ts';

/** The RateLimit-* headers for the window `r` describes. */
export function setHeaders(c: Context<AppEnv>, r: LimitResult): void {
  const resetSeconds = Math.max(0, Math.ceil((r.reset - Date.now()) / 1000));
  c.header('RateLimit-Limit', String(r.limit));
  c.header('RateLimit-Remaining', String(Math.max(0, r.remaining)));
  c.header('RateLimit-Reset', String(resetSeconds));
}

/** What a request is charged: whose budget, which windows, and what to do when Redis cannot say. */
export interface Charge {
  id: string;
  rules: LimitRule[];
  onRedisError: 'open' | 'closed';
  /** A limit shared with other callers: its refusal is the caller's answer, but the RateLimit headers stay those of the caller's own limits. */
  shared?: boolean;
}

/**
 * Charges the limits and reads the cache in one round trip to Redis: both are issued in this tick,
 * and the client's auto-pipelining sends them as one `/pipeline` call (the cache reads the
 * isolate's LRU cannot answer ride along with the rate-limit scripts). Throws the refusal; returns
 * the hits.
 */
export async function chargeAndRead<T>(c: Context<AppEnv>, charge: Charge | null, cacheKeys: string[]): Promise<Map<string, T>> {
  const s = c.get('services');
  const [outcome, hits] = await Promise.all([charge ? s.limiter.limitAll(charge.id, charge.rules) : null, s.cache.getMany<T>(cacheKeys)]);
  if (charge) await settle(c, charge, outcome!);
  return hits;
}

async function settle(c: Context<AppEnv>, charge: Charge, outcome: LimitOutcome): Promise<void> {
  const s = c.get('services');
  if (outcome.reason === 'unavailable') {
    if (charge.onRedisError === 'closed') {
      s.log.error('rate limiter unreachable; refusing (fail closed)', { error: outcome.error });
      throw new ApiError('backend_unavailable', 'rate limiting is unavailable; try again shortly', { retryAfter: 5 });
    }
    // Fail open, but not unbounded: the isolate's own counters still apply.
    s.log.warn('rate limiter unreachable; using in-isolate limits (fail open)', { error: outcome.error });
    outcome = await s.fallbackLimiter.limitAll(charge.id, charge.rules);
  }
  const { results, refused } = outcome;
  s.speculation.noteLimits(charge.id, results, refused >= 0, charge.rules);
  if (refused >= 0) {
    const r = results[refused]!;
    const rule = charge.rules[refused]!;
    setHeaders(c, r);
    const retryAfter = Math.max(1, Math.ceil((r.reset - Date.now()) / 1000));
    if (rule.window === 'day') {
      const cost = rule.cost ?? 1;
      const message =
        cost > 1 ? `this request's ${cost} texts do not fit in what is left of the daily quota of ${r.limit} texts` : `daily quota of ${r.limit} texts used up`;
      throw new ApiError('quota_exceeded', message, { retryAfter });
    }
    const unit = rule.name.endsWith(':texts') ? 'texts' : rule.name.endsWith(':tokens') ? 'tokens' : 'requests';
    if (unit !== 'requests' && (rule.cost ?? 1) > r.limit) {
      throw new ApiError('rate_limited', `this request's ${rule.cost} ${unit} are over the limit of ${r.limit} ${unit} per minute; send it in smaller parts`, {
        retryAfter,
      });
    }
    throw new ApiError('rate_limited', `rate limit of ${r.limit} ${unit} per minute exceeded`, { retryAfter });
  }
  if (charge.shared) return;
  // Show the tightest window: the minute normally, the day once the quota nearly binds.
  setHeaders(
    c,
    results.reduce((a, b) => (b.remaining < a.remaining ? b : a)),
  );
}

/**
 * Per key, by tier: a per-minute limit on requests and, when `texts` is given, per-minute limits
 * on texts and tokens and a daily quota on texts (a request without texts, an upload, counts as
 * one). Counting texts and tokens is what stops a batch caller from spending MAX_BATCH_TEXTS
 * times a request's share of model time. Tokens are estimated as characters / 4 since the gateway
 * has no tokenizer. Redis unreachable: fail open (paying callers keep working on per-isolate limits).
 */
export function keyCharge(c: Context<AppEnv>, opts: { texts: number | null; chars?: number }): Charge {
  const s = c.get('services');
  const key = c.get('apiKey')!;
  const t = tierLimits(s.config, key.tier);
  const rules: LimitRule[] = [{ name: `key:${key.tier}:minute`, tokens: t.perMinute, window: 'minute' }];
  if (opts.texts !== null) {
    const texts = Math.max(1, opts.texts);
    rules.push({ name: `key:${key.tier}:minute:texts`, tokens: t.textsPerMinute, window: 'minute', cost: texts });
    if (opts.chars !== undefined)
      rules.push({ name: `key:${key.tier}:minute:tokens`, tokens: t.tokensPerMinute, window: 'minute', cost: Math.max(1, Math.ceil(opts.chars / 4)) });
    rules.push({ name: `key:${key.tier}:day`, tokens: t.perDay, window: 'day', cost: texts });
  }
  return { id: key.id, rules, onRedisError: 'open' };
}

export async function chargeKey(c: Context<AppEnv>, opts: { texts: number | null; chars?: number }): Promise<void> {
  await chargeAndRead(c, keyCharge(c, opts), []);
}

/** chargeKey as middleware, for routes whose cost is known before the body is read. */
export const keyRateLimit =
  (opts: { quota: boolean }): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    await chargeKey(c, { texts: opts.quota ? 1 : null });
    await next();
  };

/**
 * Behind other proxies (TRUST_FORWARDED_FOR) the X-Forwarded-For entry TRUSTED_PROXY_HOPS from the
 * right wins: each proxy appends the address it saw, so only the entries they wrote can be
 * believed, and a client can prepend anything. A header with fewer entries did not pass through
 * every proxy and falls back to Cloudflare's header, as does no header.
 */
export function clientIp(c: Context<AppEnv>): string {
  const { TRUST_FORWARDED_FOR, TRUSTED_PROXY_HOPS } = c.get('services').config;
  if (TRUST_FORWARDED_FOR) {
    const hops = (c.req.header('x-forwarded-for') ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean);
    const fwd = hops.length >= TRUSTED_PROXY_HOPS ? hops[hops.length - TRUSTED_PROXY_HOPS] : undefined;
    if (fwd) return fwd;
  }
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}

/**
 * Per client address on the unauthenticated demo routes. Redis unreachable: fail closed, since
 * per-isolate counters are no protection against an anonymous flood spread over many isolates.
 */
export const demoRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const s = c.get('services');
  const rules: LimitRule[] = [
    { name: 'demo:minute', tokens: s.config.DEMO_PER_IP_PER_MINUTE, window: 'minute' },
    { name: 'demo:day', tokens: s.config.DEMO_PER_IP_PER_DAY, window: 'day' },
  ];
  await chargeAndRead(c, { id: clientIp(c), rules, onRedisError: 'closed' }, []);
  // All keyless callers together: many addresses, each within its own limit, could otherwise take
  // as much model time as they like from the keyed callers who pay for it.
  await chargeAndRead(
    c,
    {
      id: 'all-addresses',
      rules: [{ name: 'demo:all:minute', tokens: s.config.DEMO_GLOBAL_PER_MINUTE, window: 'minute' }],
      onRedisError: 'closed',
      shared: true,
    },
    [],
  );
  await next();
};
