import { analyzeRequestSchema, analyzeRequestWarnings, originalAlias, toAnalyzeResponse, type DetectRequest } from '@detector/contract';
import { Hono } from 'hono';
import { detectOutcomes } from '../detect/run-detection.ts';
import { ApiError } from '../errors.ts';
import { requireKey } from '../http/auth.ts';
import { limitBody } from '../http/body-limit.ts';
import type { AppEnv } from '../http/env.ts';
import { jsonBody } from '../http/json-body.ts';
import { keyCharge } from '../http/rate-limit.ts';

/**
 * The original design's endpoint. It runs /v1/detect's path (cache, backend, prediction log) with
 * the balanced profile, the original's one operating point, and answers in the original shape
 * plus the label, confidence, detector and warnings the original lacked.
 */
export const analyzeRoutes = new Hono<AppEnv>().post(
  '/analyze',
  limitBody((c) => c.MAX_BODY_BYTES),
  requireKey('detect'),
  jsonBody(analyzeRequestSchema),
  async (c) => {
    const key = c.get('apiKey')!;
    const req = c.req.valid('json');
    const alias = originalAlias(req);
    // An alias row names the detector outright; anything else is left to the detectors' own aliases.
    const detect: DetectRequest = alias
      ? { text: req.text, detector: alias.detector, profile: 'balanced', sentences: false }
      : { text: req.text, model_name: req.model_name, layer: req.layer, classifier_type: req.classifier_type, profile: 'balanced', sentences: false };
    const done = await detectOutcomes(c, detect, {
      tenant: `owner:${key.ownerId}`,
      route: '/analyze',
      keyId: key.id,
      ownerId: key.ownerId,
      charge: (texts, chars) => keyCharge(c, { texts, chars }),
    });
    if (done instanceof Response) return done;
    const only = done[0]!;
    if ('error' in only) throw new ApiError('internal', only.error.message);
    return c.json({ ...toAnalyzeResponse(only.result, analyzeRequestWarnings(req, alias)), cached: only.cached });
  },
);
