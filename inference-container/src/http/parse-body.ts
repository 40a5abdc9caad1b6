import { parseJsonBytes, requireJsonContentType } from '@detector/contract';
import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError } from '../errors.ts';

/**
 * Reads a JSON body and validates it; every failure becomes a 4xx with a stable code. The type
 * must be application/json and the bytes UTF-8 (invalid_unicode otherwise), the same rules the
 * gateway applies (contract/src/body.ts).
 */
export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  requireJsonContentType(c.req.header('content-type'));
  const raw = parseJsonBytes(await c.req.arrayBuffer());
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0]!;
    throw new ApiError('invalid_request', `${first.path || 'body'}: ${first.message}`, { details: issues });
  }
  return parsed.data;
}
