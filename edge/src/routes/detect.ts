import { detectRequestSchema, resolveOriginalSelector, selectorAliasWarning } from '@detector/contract';
import { Hono } from 'hono';
import { runDetection } from '../detect/run-detection.ts';
import { requireKey } from '../http/auth.ts';
import { limitBody } from '../http/body-limit.ts';
import type { AppEnv } from '../http/env.ts';
import { jsonBody } from '../http/json-body.ts';
import { keyCharge } from '../http/rate-limit.ts';

export const detectRoutes = new Hono<AppEnv>().post(
  '/v1/detect',
  limitBody((c) => c.MAX_BODY_BYTES),
  requireKey('detect'),
  // The body is read before the limits are charged: the daily quota counts its texts.
  jsonBody(detectRequestSchema),
  (c) => {
    const key = c.get('apiKey')!;
    // The original's selector combinations answer here as on /analyze (contract/src/analyze.ts).
    const { request, alias } = resolveOriginalSelector(c.req.valid('json'));
    return runDetection(c, request, {
      tenant: `owner:${key.ownerId}`,
      route: '/v1/detect',
      keyId: key.id,
      ownerId: key.ownerId,
      charge: (texts, chars) => keyCharge(c, { texts, chars }),
      warnings: alias ? [selectorAliasWarning(alias)] : [],
    });
  },
);
