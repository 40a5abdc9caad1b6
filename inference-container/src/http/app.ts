import { createHash, timingSafeEqual } from 'node:crypto';
import { allowedMethods, openApiDocument, serviceRoutes } from '@detector/contract';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError, isClientDisconnect } from '@detector/contract';
import { currentWork, LOCAL_TENANT, type Work } from '../core/work.ts';
import type { InferenceService } from '../core/service.ts';
import { detectRoutes } from './routes/detect.ts';
import { embeddingRoutes } from './routes/embed.ts';
import { extractRoutes } from './routes/extract.ts';
import { featureRoutes } from './routes/features.ts';
import { opsRoutes } from './routes/ops.ts';

export type AppEnv = { Variables: { service: InferenceService } };

// Liveness and readiness stay open: platform probes carry no credential, and they reveal nothing.
const OPEN_PATHS = new Set(['/health', '/ready', '/openapi.json']);
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

let doc: Record<string, unknown> | null = null;

/** The service's OpenAPI document, generated from the contract's route table and schemas. */
export function serviceDocument(): Record<string, unknown> {
  return openApiDocument(
    {
      title: 'Inference service',
      version: '1.0.0',
      description:
        'The model service behind the gateway. Errors are always `{error: {code, message}}`. With INFERENCE_TOKEN set, every route but /health, /ready and /openapi.json requires `Authorization: Bearer <INFERENCE_TOKEN>`.',
      securitySchemes: { token: { type: 'http', scheme: 'bearer', description: 'INFERENCE_TOKEN' } },
    },
    serviceRoutes,
  );
}

/**
 * The caller's share and deadline: `X-Tenant` names whose fair share the work counts against
 * (absent = one shared `local` tenant), `X-Request-Budget-Ms` how long from now the caller will
 * wait (a duration, so the two machines' clocks need not agree). Queued work is dropped once the
 * budget is spent or the connection closes.
 */
export const workFromRequest: MiddlewareHandler = async (c, next) => {
  const tenant = c.req.header('x-tenant') ?? LOCAL_TENANT;
  if (!/^[A-Za-z0-9:_.-]{1,128}$/.test(tenant)) throw new ApiError('invalid_request', 'X-Tenant must be 1-128 characters of A-Z a-z 0-9 : _ . -');
  const budget = c.req.header('x-request-budget-ms');
  if (budget !== undefined && !/^[0-9]{1,9}$/.test(budget)) throw new ApiError('invalid_request', 'X-Request-Budget-Ms must be a whole number of milliseconds');
  const work: Work = { tenant, signal: c.req.raw.signal };
  if (budget !== undefined) {
    work.budgetMs = Number(budget);
    work.deadline = Date.now() + work.budgetMs;
  }
  await currentWork.run(work, () => next());
};

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
  for (const path of ['/v1/*', '/analyze']) app.use(path, limitBody, requireReady, workFromRequest);

  app.route('/', opsRoutes);
  app.route('/', embeddingRoutes);
  app.route('/', featureRoutes);
  app.route('/', detectRoutes);

  app.get('/openapi.json', (c) => c.json((doc ??= serviceDocument())));

  const allowed = allowedMethods(serviceRoutes);
  app.notFound((c) => {
    const methods = allowed[c.req.path];
    if (methods && !methods.includes(c.req.method)) {
      c.header('Allow', methods.join(', '));
      return c.json(new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}`).toBody(), 405);
    }
    return c.json(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404);
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) {
      if (err.retryAfter !== undefined) c.header('Retry-After', String(err.retryAfter));
      return c.json(err.toBody(), err.status as 400);
    }
    if (isClientDisconnect(err, c.req.raw.signal)) {
      service.log.info('client_disconnected', { path: c.req.path });
      return c.json(new ApiError('invalid_request', 'the client disconnected before the request was read').toBody(), 400);
    }
    service.log.error('unhandled error', { path: c.req.path, error: String(err), stack: err instanceof Error ? err.stack : undefined });
    return c.json(new ApiError('internal', 'internal error').toBody(), 500);
  });
  return app;
}
