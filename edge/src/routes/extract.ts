import type { Context } from 'hono';
import { Hono } from 'hono';
import { ApiError } from '../errors.ts';
import { requireKey } from '../http/auth.ts';
import { limitBody } from '../http/body-limit.ts';
import { passThrough } from '../http/backend-answer.ts';
import { defer } from '../http/defer.ts';
import type { AppEnv } from '../http/env.ts';
import { keyRateLimit } from '../http/rate-limit.ts';

/** Multipart passes through untouched: the service parses it, the gateway only bounds its size. */
export async function forwardExtract(c: Context<AppEnv>): Promise<Response> {
  const type = c.req.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*;\s*boundary=/i.test(type)) {
    throw new ApiError('unsupported_media_type', 'expected multipart/form-data with a file field');
  }
  const body = await c.req.arrayBuffer();
  const res = await c.get('services').pool.forward({
    method: 'POST',
    path: '/v1/extract',
    headers: { 'content-type': type, 'x-request-id': c.get('requestId') },
    body,
  });
  return passThrough(c, res);
}

export const extractRoutes = new Hono<AppEnv>().post(
  '/v1/extract',
  limitBody((c) => c.MAX_EXTRACT_BYTES),
  requireKey('extract'),
  keyRateLimit({ quota: true }),
  async (c) => {
    const res = await forwardExtract(c);
    const key = c.get('apiKey')!;
    if (res.ok) {
      const day = new Date().toISOString().slice(0, 10);
      // An upload spends one of the day's texts (keyRateLimit above); usage says the same.
      defer(c, c.get('services').predictionLog.record({ request_id: c.get('requestId'), rows: [], usage: { key_id: key.id, day, texts: 1 } }));
    }
    return res;
  },
);
