import { analyzeRequestSchema, detectRequestSchema, ERROR_STATUS } from '@detector/contract';
import { z } from 'zod';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: { type: 'string' }, details: {} },
    },
  },
};
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { description: `error (${s})`, ...json({ $ref: '#/components/schemas/Error' }) }]));
const limitHeaders = {
  'RateLimit-Limit': { schema: { type: 'integer' }, description: 'requests allowed in the current window' },
  'RateLimit-Remaining': { schema: { type: 'integer' } },
  'RateLimit-Reset': { schema: { type: 'integer' }, description: 'seconds until the window resets' },
};
const multipart = {
  content: { 'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary' } } } } },
};
const detectResponses = { '200': { description: '`{result, cached}` for one text, `{results}` for a batch', headers: limitHeaders, ...json({ type: 'object' }) }, ...errors(400, 401, 403, 404, 413, 415, 429, 503, 504) };
const secured = [{ bearer: [] }, { apiKey: [] }];

/** The API description served at /openapi.json; request bodies come from the shared zod schemas. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'AI text detector API',
      version: '1.0.0',
      description:
        'Gateway in front of the inference service. Errors are always `{error: {code, message}}`. Every answer carries `X-Request-Id` (made by the gateway); a caller\'s own `X-Request-Id` comes back as `X-Client-Request-Id`. JSON bodies must be `application/json` (charset utf-8 at most) and UTF-8.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'dk_live_<prefix>_<secret>' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
      schemas: {
        Error: errorSchema,
        DetectRequest: z.toJSONSchema(detectRequestSchema, { io: 'input', unrepresentable: 'any' }),
        AnalyzeRequest: z.toJSONSchema(analyzeRequestSchema, { io: 'input', unrepresentable: 'any' }),
      },
    },
    paths: {
      '/v1/detect': { post: { summary: 'Score one text or a batch', security: secured, requestBody: { required: true, ...json({ $ref: '#/components/schemas/DetectRequest' }) }, responses: detectResponses } },
      '/analyze': { post: { summary: 'The original shape: {prediction, probability, is_fake}', security: secured, requestBody: { required: true, ...json({ $ref: '#/components/schemas/AnalyzeRequest' }) }, responses: detectResponses } },
      '/v1/extract': { post: { summary: 'Text from a file or image (up to 10 MB)', security: secured, requestBody: { required: true, ...multipart }, responses: { '200': { description: '{text, media_type, method, pages?, warnings}' }, ...errors(400, 401, 403, 413, 415, 429, 503) } } },
      '/v1/demo/detect': { post: { summary: 'Keyless single-text detection for the web page (per-address limits)', requestBody: { required: true, ...json({ $ref: '#/components/schemas/DetectRequest' }) }, responses: detectResponses } },
      '/v1/demo/extract': { post: { summary: 'Keyless extraction for the web page (small files)', requestBody: { required: true, ...multipart }, responses: { '200': { description: 'extracted text' }, ...errors(400, 413, 415, 429, 503) } } },
      '/v1/predictions': {
        get: {
          summary: "The caller's own prediction history, newest first",
          security: secured,
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'next_cursor from the previous page, unchanged: it is opaque and signed, and any other value is 400 invalid_cursor' },
          ],
          responses: { '200': { description: '{data, next_cursor}' }, ...errors(400, 401, 403, 429, 503) },
        },
      },
      '/v1/usage': { get: { summary: 'Requests and texts per day for the calling key (the daily quota counts texts)', security: secured, parameters: [{ name: 'days', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 90, default: 30 } }], responses: { '200': { description: '{key, tier, limits, days}' }, ...errors(401, 403, 429, 503) } } },
      '/health': { get: { summary: 'Liveness', responses: { '200': { description: 'ok' }, ...errors(500) } } },
      '/ready': { get: { summary: 'Readiness: at least one inference backend answers', responses: { '200': { description: 'ready' }, '503': { description: 'no backend ready' } } } },
    },
  };
}
