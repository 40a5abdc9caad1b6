import { parseJsonBytes, requireJsonContentType, validateBody } from '@detector/contract';
import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import type { AppEnv } from './env.ts';

/**
 * Reads and validates a JSON body: 415 for any type but application/json (a charset is the only
 * parameter), 400 invalid_unicode for bytes that are not UTF-8, 400 invalid_json, then the zod
 * schema (invalid_request). The body is decoded here with a fatal decoder rather than by Hono's
 * c.req.json(), which would turn bad bytes into U+FFFD.
 */
export function jsonBody<S extends z.ZodType>(schema: S): MiddlewareHandler<AppEnv, string, { in: { json: z.input<S> }; out: { json: z.output<S> } }> {
  return async (c, next) => {
    requireJsonContentType(c.req.header('content-type'));
    const data = validateBody(schema, parseJsonBytes(await c.req.arrayBuffer()));
    c.req.addValidatedData('json', data as object);
    await next();
  };
}
