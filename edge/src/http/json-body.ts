import { zValidator } from '@hono/zod-validator';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ApiError } from '../errors.ts';

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** 415 for a body that is not JSON: the validator would otherwise see an empty object. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
  if (!JSON_TYPE.test(type)) throw new ApiError('unsupported_media_type', `expected application/json, got ${type || 'no content type'}`);
  await next();
};

/** zod validation through @hono/zod-validator, failing with the shared error shape. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return zValidator('json', schema, (result) => {
    if (result.success) return;
    const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0]!;
    throw new ApiError('invalid_request', `${first.path || 'body'}: ${first.message}`, { details: issues });
  });
}
