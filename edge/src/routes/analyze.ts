import { analyzeRequestSchema, textProblem, type AnalyzeResponse } from '@detector/contract';
import { Hono } from 'hono';
import { sha256Hex } from '../auth/api-key.ts';
import { cacheKey } from '../cache/response-cache.ts';
import { inferenceTenant } from '../detect/run-detection.ts';
import { ApiError } from '../errors.ts';
import { requireKey } from '../http/auth.ts';
import { limitBody } from '../http/body-limit.ts';
import { defer } from '../http/defer.ts';
import type { AppEnv } from '../http/env.ts';
import { jsonBody } from '../http/json-body.ts';
import { keyRateLimit } from '../http/rate-limit.ts';

/**
 * The original design's endpoint, passed through to the service's own /analyze so its semantics
 * stay exactly the service's; cached and logged like /v1/detect.
 */
export const analyzeRoutes = new Hono<AppEnv>().post(
    '/analyze',
    limitBody((c) => c.MAX_BODY_BYTES),
    requireKey('detect'),
    keyRateLimit({ quota: true }),
    jsonBody(analyzeRequestSchema),
    async (c) => {
      const s = c.get('services');
      const key = c.get('apiKey')!;
      const req = c.req.valid('json');
      const problem = textProblem(req.text);
      if (problem) throw new ApiError(problem, `the text is not scorable: ${problem}`);
      const detector = req.model_name ?? 'default';
      const ck = await cacheKey(
        s.config.CACHE_NAMESPACE,
        {
          tenant: `owner:${key.ownerId}`,
          detector: `analyze:${detector}`,
          version: s.config.CACHE_NAMESPACE,
          options: { layer: req.layer ?? null, classifier_type: req.classifier_type ?? null },
        },
        req.text,
      );
      const hit = await s.cache.get<AnalyzeResponse>(ck);
      let answer: AnalyzeResponse;
      let cached = false;
      if (hit) {
        answer = hit;
        cached = true;
      } else {
        const res = await s.pool.forward({
          method: 'POST',
          path: '/analyze',
          headers: { 'content-type': 'application/json', 'x-request-id': c.get('requestId') },
          body: JSON.stringify(req),
          tenant: await inferenceTenant(`owner:${key.ownerId}`),
        });
        if (!res.ok) return res;
        answer = (await res.json()) as AnalyzeResponse;
        defer(c, s.cache.set(ck, answer));
      }
      c.header('X-Cache', cached ? 'HIT' : 'MISS');
      const createdAt = new Date().toISOString();
      defer(
        c,
        (async () =>
          s.predictionLog.record({
            request_id: c.get('requestId'),
            rows: [
              {
                request_id: c.get('requestId'),
                client_request_id: c.get('clientRequestId'),
                item_index: 0,
                key_id: key.id,
                owner_id: key.ownerId,
                route: '/analyze',
                text_sha256: await sha256Hex(req.text),
                text_length: req.text.length,
                detector,
                detector_version: 'analyze',
                label: answer.is_fake ? 'ai' : 'human',
                probability: answer.probability,
                latency_ms: Math.round(performance.now() - c.get('startedAt')),
                cached,
                created_at: createdAt,
              },
            ],
            usage: { key_id: key.id, day: createdAt.slice(0, 10), texts: 1 },
          }))(),
      );
      return c.json({ ...answer, cached });
    },
  );
