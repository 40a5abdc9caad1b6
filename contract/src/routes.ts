import { z } from 'zod';
import { analyzeRequestSchema } from './analyze.ts';
import { detectRequestSchema } from './detect.ts';
import type { ErrorCode } from './errors.ts';
import { embedRequestSchema, featuresRequestSchema } from './inference.ts';
import {
  analyzeResponseSchema,
  detectorListSchema,
  detectResponseSchema,
  embedResponseSchema,
  extractResponseSchema,
  featuresResponseSchema,
  gatewayReadySchema,
  healthResponseSchema,
  modelListSchema,
  predictionPageSchema,
  serviceAnalyzeResponseSchema,
  serviceDetectResponseSchema,
  serviceReadySchema,
  usageResponseSchema,
} from './responses.ts';

/*
 * Every route of both services in one table: the OpenAPI documents are generated from it, the
 * apps check at start-up (in their tests) that the routes they serve are exactly these, and the
 * contract test walks it. A route's error statuses are derived from the codes it lists, so a new
 * code on a route is a change here, and the document follows.
 */

export type HeaderName = 'RateLimit' | 'Retry-After' | 'X-Cache';

export interface Success {
  status: 200;
  description: string;
  /** JSON body schema; absent for the non-JSON answers named by `contentType`. */
  schema?: z.ZodType;
  /** Component name in the document. */
  name?: string;
  contentType?: string;
  headers?: HeaderName[];
}

export interface RouteSpec {
  method: 'GET' | 'POST';
  path: string;
  summary: string;
  /** key: the gateway's API keys; token: the service's INFERENCE_TOKEN (when set); none: open. */
  auth: 'key' | 'token' | 'none';
  body?: { json: z.ZodType; name: string } | { multipart: true };
  query?: z.ZodObject;
  ok: Success[];
  /** Every error code the route can answer; the statuses come from ERROR_STATUS. */
  errors: ErrorCode[];
  /** A documented non-error answer with another status (e.g. 503 while not ready). */
  other?: Array<{ status: number; description: string; schema: z.ZodType; name: string; headers?: HeaderName[] }>;
}

/** Query of GET /v1/predictions. */
export const historyQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  /** Opaque and signed: pass next_cursor from the previous page unchanged. */
  cursor: z.string().optional(),
});
/** Query of GET /v1/usage. */
export const usageQuerySchema = z.strictObject({ days: z.coerce.number().int().min(1).max(90).default(30) });

const JSON_BODY: ErrorCode[] = ['payload_too_large', 'unsupported_media_type', 'invalid_json', 'invalid_unicode', 'invalid_request'];
const TEXT: ErrorCode[] = ['empty_text', 'invalid_unicode', 'control_characters', 'text_too_long', 'text_too_large_for_deadline'];
const SELECT: ErrorCode[] = ['unknown_detector', 'unknown_model', 'unknown_layer'];
/** What the service answers while it cannot take work, and what the gateway adds on its way. */
const SERVICE_BUSY: ErrorCode[] = ['not_ready', 'queue_full', 'deadline_unmeetable', 'timeout'];
const BACKEND: ErrorCode[] = [...SERVICE_BUSY, 'backend_unavailable', 'bad_backend_response'];
const EXTRACTION: ErrorCode[] = [
  'unsupported_media_type',
  'invalid_request',
  'payload_too_large',
  'unreadable_file',
  'no_text_found',
  'extraction_timeout',
  'extraction_failed',
  'too_many_pages',
  'too_many_parts',
  'image_too_large',
  'archive_too_large',
  'extraction_too_large',
  'text_too_long',
];
const GATEWAY_ALWAYS: ErrorCode[] = ['internal', 'misconfigured'];
// The key store and the rate limiter answer backend_unavailable when their store is down.
const KEYED: ErrorCode[] = ['unauthorized', 'forbidden', 'too_many_auth_failures', 'rate_limited', 'backend_unavailable'];
const QUOTA: ErrorCode[] = ['quota_exceeded'];
const DEMO_LIMITS: ErrorCode[] = ['rate_limited', 'backend_unavailable'];

const uniq = (codes: ErrorCode[]) => [...new Set(codes)];
const detectOk: Success = {
  status: 200,
  description: '`{result, cached}` for one text, `{results}` for a batch (a bad item answers with its own error)',
  schema: detectResponseSchema,
  name: 'DetectResponse',
  headers: ['RateLimit', 'X-Cache'],
};
const extractOk: Success = { status: 200, description: 'the text of the file', schema: extractResponseSchema, name: 'ExtractResponse' };

export const gatewayRoutes: RouteSpec[] = [
  {
    method: 'POST',
    path: '/v1/detect',
    summary: 'Score one text or a batch',
    auth: 'key',
    body: { json: detectRequestSchema, name: 'DetectRequest' },
    ok: [detectOk],
    errors: uniq([...GATEWAY_ALWAYS, ...JSON_BODY, ...KEYED, ...QUOTA, ...TEXT, ...SELECT, ...BACKEND, 'batch_too_large']),
  },
  {
    method: 'POST',
    path: '/analyze',
    summary: "The original design's shape: `{prediction: 0|1, probability, is_fake}`, plus the label, warnings, detector and confidence",
    auth: 'key',
    body: { json: analyzeRequestSchema, name: 'AnalyzeRequest' },
    ok: [
      {
        status: 200,
        description: 'the verdict; an abstention is label `uncertain` with its reasons in `warnings`',
        schema: analyzeResponseSchema,
        name: 'AnalyzeResponse',
        headers: ['RateLimit', 'X-Cache'],
      },
    ],
    errors: uniq([...GATEWAY_ALWAYS, ...JSON_BODY, ...KEYED, ...QUOTA, ...TEXT, ...SELECT, ...BACKEND]),
  },
  {
    method: 'POST',
    path: '/v1/extract',
    summary: 'Text from a file or image (multipart `file`)',
    auth: 'key',
    body: { multipart: true },
    ok: [{ ...extractOk, headers: ['RateLimit'] }],
    errors: uniq([...GATEWAY_ALWAYS, ...KEYED, ...QUOTA, ...EXTRACTION, ...BACKEND]),
  },
  {
    method: 'POST',
    path: '/v1/demo/detect',
    summary: 'Keyless single-text detection for the web page (per-address limits, short texts)',
    auth: 'none',
    body: { json: detectRequestSchema, name: 'DetectRequest' },
    ok: [{ ...detectOk, headers: ['RateLimit', 'X-Cache'] }],
    errors: uniq([...GATEWAY_ALWAYS, ...JSON_BODY, ...DEMO_LIMITS, ...TEXT, ...SELECT, ...BACKEND]),
  },
  {
    method: 'POST',
    path: '/v1/demo/extract',
    summary: 'Keyless extraction for the web page (small files)',
    auth: 'none',
    body: { multipart: true },
    ok: [{ ...extractOk, headers: ['RateLimit'] }],
    errors: uniq([...GATEWAY_ALWAYS, ...DEMO_LIMITS, ...EXTRACTION, ...BACKEND]),
  },
  {
    method: 'GET',
    path: '/v1/predictions',
    summary: "The caller's own prediction history, newest first",
    auth: 'key',
    query: historyQuerySchema,
    ok: [
      { status: 200, description: 'one page; `next_cursor` is null on the last', schema: predictionPageSchema, name: 'PredictionPage', headers: ['RateLimit'] },
    ],
    errors: uniq([...GATEWAY_ALWAYS, ...KEYED, 'invalid_request', 'invalid_cursor']),
  },
  {
    method: 'GET',
    path: '/v1/usage',
    summary: 'Requests and texts per day for the calling key (the daily quota counts texts)',
    auth: 'key',
    query: usageQuerySchema,
    ok: [{ status: 200, description: 'the key, its limits and its days', schema: usageResponseSchema, name: 'Usage', headers: ['RateLimit'] }],
    errors: uniq([...GATEWAY_ALWAYS, ...KEYED, 'invalid_request']),
  },
  {
    method: 'GET',
    path: '/health',
    summary: 'Liveness',
    auth: 'none',
    ok: [{ status: 200, description: 'alive', schema: healthResponseSchema, name: 'Health' }],
    errors: GATEWAY_ALWAYS,
  },
  {
    method: 'GET',
    path: '/ready',
    summary: 'Readiness: at least one inference backend answers',
    auth: 'none',
    ok: [{ status: 200, description: 'a backend is ready', schema: gatewayReadySchema, name: 'GatewayReady' }],
    other: [{ status: 503, description: 'no backend is ready', schema: gatewayReadySchema, name: 'GatewayReady', headers: ['Retry-After'] }],
    errors: GATEWAY_ALWAYS,
  },
  {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    auth: 'none',
    ok: [{ status: 200, description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()), name: 'OpenApiDocument' }],
    errors: GATEWAY_ALWAYS,
  },
  {
    method: 'GET',
    path: '/docs',
    summary: 'API reference (Swagger UI, served from this origin)',
    auth: 'none',
    ok: [{ status: 200, description: 'HTML page', contentType: 'text/html' }],
    errors: GATEWAY_ALWAYS,
  },
  ...(['/favicon.ico', '/favicon.svg'] as const).map(
    (path): RouteSpec => ({
      method: 'GET',
      path,
      summary: "The page's icon (SVG)",
      auth: 'none',
      ok: [{ status: 200, description: 'SVG image', contentType: 'image/svg+xml' }],
      errors: GATEWAY_ALWAYS,
    }),
  ),
];

const SERVICE_JSON: ErrorCode[] = ['unauthorized', 'internal', ...JSON_BODY, 'not_ready'];

export const serviceRoutes: RouteSpec[] = [
  {
    method: 'POST',
    path: '/v1/detect',
    summary: 'Score one text or a batch',
    auth: 'token',
    body: { json: detectRequestSchema, name: 'DetectRequest' },
    ok: [{ status: 200, description: '`{result}` for one text, `{results}` for a batch', schema: serviceDetectResponseSchema, name: 'ServiceDetectResponse' }],
    errors: uniq([...SERVICE_JSON, ...TEXT, ...SELECT, ...SERVICE_BUSY, 'batch_too_large']),
  },
  {
    method: 'POST',
    path: '/analyze',
    summary: "The original design's shape",
    auth: 'token',
    body: { json: analyzeRequestSchema, name: 'AnalyzeRequest' },
    ok: [{ status: 200, description: 'the verdict', schema: serviceAnalyzeResponseSchema, name: 'ServiceAnalyzeResponse' }],
    errors: uniq([...SERVICE_JSON, ...TEXT, ...SELECT, ...SERVICE_BUSY]),
  },
  {
    method: 'POST',
    path: '/v1/embed',
    summary: 'Pooled hidden states of one layer',
    auth: 'token',
    body: { json: embedRequestSchema, name: 'EmbedRequest' },
    ok: [{ status: 200, description: 'one vector per text', schema: embedResponseSchema, name: 'EmbedResponse' }],
    errors: uniq([...SERVICE_JSON, ...TEXT, 'unknown_model', 'unknown_layer', 'batch_too_large', ...SERVICE_BUSY]),
  },
  {
    method: 'POST',
    path: '/v1/features',
    summary: 'Pooled hidden states and log-probability statistics',
    auth: 'token',
    body: { json: featuresRequestSchema, name: 'FeaturesRequest' },
    ok: [{ status: 200, description: 'per-text features', schema: featuresResponseSchema, name: 'FeaturesResponse' }],
    errors: uniq([...SERVICE_JSON, ...TEXT, 'unknown_model', 'unknown_layer', 'batch_too_large', ...SERVICE_BUSY]),
  },
  {
    method: 'POST',
    path: '/v1/extract',
    summary: 'Text from a file or image (multipart `file`, optional `filename`); answers while the model loads',
    auth: 'token',
    body: { multipart: true },
    ok: [extractOk],
    errors: uniq(['unauthorized', 'internal', ...EXTRACTION]),
  },
  {
    method: 'GET',
    path: '/v1/detectors',
    summary: 'The detectors this service serves',
    auth: 'token',
    ok: [{ status: 200, description: 'detectors', schema: detectorListSchema, name: 'DetectorList' }],
    errors: ['unauthorized', 'internal'],
  },
  {
    method: 'GET',
    path: '/v1/models',
    summary: 'The language models loaded',
    auth: 'token',
    ok: [{ status: 200, description: 'models', schema: modelListSchema, name: 'ModelList' }],
    errors: ['unauthorized', 'internal'],
  },
  {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics',
    auth: 'token',
    ok: [{ status: 200, description: 'Prometheus text format', contentType: 'text/plain' }],
    errors: ['unauthorized', 'internal'],
  },
  {
    method: 'GET',
    path: '/health',
    summary: 'Liveness',
    auth: 'none',
    ok: [{ status: 200, description: 'alive', schema: healthResponseSchema, name: 'Health' }],
    errors: ['internal'],
  },
  {
    method: 'GET',
    path: '/ready',
    summary: 'Readiness: the model is loaded',
    auth: 'none',
    ok: [{ status: 200, description: 'ready', schema: serviceReadySchema, name: 'ServiceReady' }],
    other: [{ status: 503, description: 'the model is still loading', schema: serviceReadySchema, name: 'ServiceReady' }],
    errors: ['internal'],
  },
  {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This document',
    auth: 'none',
    ok: [{ status: 200, description: 'OpenAPI 3.1', schema: z.record(z.string(), z.unknown()), name: 'OpenApiDocument' }],
    errors: ['internal'],
  },
];

/** Path -> allowed methods, for 405 answers with an Allow header. */
export function allowedMethods(routes: RouteSpec[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of routes) (out[r.path] ??= []).push(r.method);
  return out;
}
