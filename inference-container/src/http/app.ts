import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '@detector/contract';
import type { InferenceService } from '../core/service.ts';
import { detectRoutes } from './routes/detect.ts';
import { embeddingRoutes } from './routes/embed.ts';
import { extractRoutes } from './routes/extract.ts';
import { featureRoutes } from './routes/features.ts';
import { opsRoutes } from './routes/ops.ts';

export type AppEnv = { Variables: { service: InferenceService } };

// Liveness and readiness stay open: platform probes carry no credential, and they reveal nothing.
const OPEN_PATHS = new Set(['/health', '/ready']);
const digest = (s: string) => createHash('sha256').update(s).digest();

/** With INFERENCE_TOKEN set, every other route requires `Authorization: Bearer <token>`. */
export function requireToken(token: string | undefined): MiddlewareHandler {
  if (!token) return (_c, next) => next();
  const expected = digest(token);
  return async (c, next) => {
    if (!OPEN_PATHS.has(c.req.path)) {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(c.req.header('authorization') ?? '');
      // Digests have equal lengths, so the comparison takes the same time whatever was sent.
      if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
        throw new ApiError('unauthorized', 'this service answers the gateway only: send Authorization: Bearer <INFERENCE_TOKEN>');
      }
    }
    await next();
  };
}

export function createApp(service: InferenceService): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('service', service);
    await next();
    const route = c.req.routePath || 'unmatched';
    service.metrics.requestSeconds.observe({ route, status: String(c.res.status) }, (performance.now() - started) / 1000);
  });
  app.use('*', requireToken(service.config.INFERENCE_TOKEN));
  app.route('/', extractRoutes); // before the JSON body limit and readiness gate: uploads are larger and need no model
  // The size limit applies before any parsing, so an oversized body is never read into memory.
  const limitBody = bodyLimit({
    maxSize: service.config.MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError('payload_too_large', `the request body is over ${service.config.MAX_BODY_BYTES} bytes`);
    },
  });
  const requireReady: MiddlewareHandler = async (_c, next) => {
    if (!service.ready) throw new ApiError('not_ready', 'the model is still loading', { retryAfter: 1 });
    await next();
  };
  for (const path of ['/v1/*', '/analyze']) app.use(path, limitBody, requireReady);

  app.route('/', opsRoutes);
  app.route('/', embeddingRoutes);
  app.route('/', featureRoutes);
  app.route('/', detectRoutes);

  app.notFound((c) => c.json(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
      return c.json(err.toBody(), err.status as 400);
    }
    service.log.error('unhandled error', { path: c.req.path, error: String(err), stack: err instanceof Error ? err.stack : undefined });
    return c.json(new ApiError('internal', 'internal error').toBody(), 500);
  });
  return app;
}
