import { historyQuerySchema, usageQuerySchema } from '@detector/contract';
import { Hono } from 'hono';
import type { z } from 'zod';
import { zValidator } from '@hono/zod-validator';
import { tierLimits } from '../config.ts';
import { ApiError } from '../errors.ts';
import { requireKey } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { keyRateLimit } from '../http/rate-limit.ts';

const query = <S extends z.ZodType>(schema: S) =>
  zValidator('query', schema, (result) => {
    if (result.success) return;
    const first = result.error.issues[0]!;
    throw new ApiError('invalid_request', `${first.path.join('.') || 'query'}: ${first.message}`);
  });

/** The caller's own history and usage; reads do not count against the daily quota. */
export const accountRoutes = new Hono<AppEnv>()
  .get('/v1/predictions', requireKey('history'), keyRateLimit({ quota: false }), query(historyQuerySchema), async (c) => {
    const s = c.get('services');
    const { limit, cursor } = c.req.valid('query');
    const before = cursor === undefined ? undefined : await s.cursors.decode(cursor);
    if (before === null) throw new ApiError('invalid_cursor', 'cursor: not a cursor this API issued; pass next_cursor from the previous page unchanged');
    const page = await s.predictions.history(c.get('apiKey')!.ownerId, limit, before).catch((err: unknown) => {
      // The database's own message stays in the log: it can describe the query and the schema.
      s.log.error('history read failed', { error: String(err) });
      throw new ApiError('backend_unavailable', 'prediction history is unavailable; try again shortly', { retryAfter: 5 });
    });
    return c.json({ data: page.data, next_cursor: page.next ? await s.cursors.encode(page.next) : null });
  })
  .get('/v1/usage', requireKey('history'), keyRateLimit({ quota: false }), query(usageQuerySchema), async (c) => {
    const s = c.get('services');
    const key = c.get('apiKey')!;
    const { days } = c.req.valid('query');
    const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const rows = await s.predictions.usage(key.id, since).catch((err: unknown) => {
      s.log.error('usage read failed', { error: String(err) });
      throw new ApiError('backend_unavailable', 'usage is unavailable; try again shortly', { retryAfter: 5 });
    });
    const limits = tierLimits(s.config, key.tier);
    return c.json({ key: key.prefix, tier: key.tier, limits: { per_minute: limits.perMinute, per_day: limits.perDay }, days: rows });
  });
