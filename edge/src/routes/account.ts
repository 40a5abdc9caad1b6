import { Hono } from 'hono';
import { z } from 'zod';
import { zValidator } from '@hono/zod-validator';
import { tierLimits } from '../config.ts';
import { ApiError } from '../errors.ts';
import { requireKey } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { keyRateLimit } from '../http/rate-limit.ts';
import { decodeCursor } from '../log/predictions.ts';

const historyQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).optional(),
});

const usageQuery = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });

const query = <S extends z.ZodType>(schema: S) =>
  zValidator('query', schema, (result) => {
    if (result.success) return;
    const first = result.error.issues[0]!;
    throw new ApiError('invalid_request', `${first.path.join('.') || 'query'}: ${first.message}`);
  });

/** The caller's own history and usage; reads do not count against the daily quota. */
export const accountRoutes = new Hono<AppEnv>()
  .get('/v1/predictions', requireKey('history'), keyRateLimit({ quota: false }), query(historyQuery), async (c) => {
    const { limit, cursor } = c.req.valid('query');
    if (cursor !== undefined && !decodeCursor(cursor)) throw new ApiError('invalid_request', 'cursor: not a cursor this API issued');
    const page = await c.get('services').predictions.history(c.get('apiKey')!.ownerId, limit, cursor).catch((err: unknown) => {
      throw new ApiError('backend_unavailable', `prediction history is unavailable: ${String(err)}`, { retryAfter: 5 });
    });
    return c.json(page);
  })
  .get('/v1/usage', requireKey('history'), keyRateLimit({ quota: false }), query(usageQuery), async (c) => {
    const s = c.get('services');
    const key = c.get('apiKey')!;
    const { days } = c.req.valid('query');
    const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const rows = await s.predictions.usage(key.id, since).catch((err: unknown) => {
      throw new ApiError('backend_unavailable', `usage is unavailable: ${String(err)}`, { retryAfter: 5 });
    });
    const limits = tierLimits(s.config, key.tier);
    return c.json({ key: key.prefix, tier: key.tier, limits: { per_minute: limits.perMinute, per_day: limits.perDay }, days: rows });
  });
