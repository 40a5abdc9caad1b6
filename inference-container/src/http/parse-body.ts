import { parseJsonBytes, requireJsonContentType, validateBody } from '@detector/contract';
import type { Context } from 'hono';
import type { z } from 'zod';

/**
 * Reads a JSON body and validates it; every failure becomes a 4xx with a stable code. The type
 * must be application/json and the bytes UTF-8 (invalid_unicode otherwise), the same rules the
 * gateway applies (contract/src/body.ts).
 */
export async function parseBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  requireJsonContentType(c.req.header('content-type'));
  return validateBody(schema, parseJsonBytes(await c.req.arrayBuffer()));
}
