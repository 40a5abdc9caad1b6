import { detectRequestSchema } from '@detector/contract';
import { Hono } from 'hono';
import { sha256Hex } from '../auth/api-key.ts';
import { runDetection } from '../detect/run-detection.ts';
import { ApiError } from '../errors.ts';
import { limitBody } from '../http/body-limit.ts';
import type { AppEnv } from '../http/env.ts';
import { jsonBody } from '../http/json-body.ts';
import { clientIp, demoRateLimit } from '../http/rate-limit.ts';
import { forwardExtract } from './extract.ts';

/** Keyless routes for the web page: one text at a time, short texts, small files, per-address limits. */
export const demoRoutes = new Hono<AppEnv>()
  .post(
    '/v1/demo/detect',
    limitBody((c) => c.MAX_BODY_BYTES),
    demoRateLimit,
    jsonBody(detectRequestSchema),
    async (c) => {
      const s = c.get('services');
      const req = c.req.valid('json');
      if (req.texts !== undefined) throw new ApiError('invalid_request', 'texts: the demo takes one text; use /v1/detect with a key for batches');
      if (req.detector?.startsWith('hf:')) throw new ApiError('unknown_detector', 'hosted detectors need an API key');
      if (req.text!.length > s.config.DEMO_MAX_TEXT_CHARS) {
        throw new ApiError('text_too_long', `the demo takes at most ${s.config.DEMO_MAX_TEXT_CHARS} characters; use an API key for longer texts`);
      }
      // Cache scope per client address: anonymous callers must not see each other's hits either.
      const tenant = `demo:${await sha256Hex(`${s.config.CACHE_NAMESPACE}:${clientIp(c)}`)}`;
      return runDetection(c, req, { tenant, route: '/v1/demo/detect', keyId: null, ownerId: null });
    },
  )
  .post(
    '/v1/demo/extract',
    limitBody((c) => c.DEMO_MAX_EXTRACT_BYTES),
    demoRateLimit,
    (c) => forwardExtract(c),
  );
