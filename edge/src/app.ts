import type { Context } from 'hono';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ConfigError } from './config.ts';
import { isClientDisconnect } from '@detector/contract';
import { ApiError } from './errors.ts';
import { corsHeaders, securityHeaders } from './http/cors.ts';
import type { AppEnv } from './http/env.ts';
import { accountRoutes } from './routes/account.ts';
import { analyzeRoutes } from './routes/analyze.ts';
import { demoRoutes } from './routes/demo.ts';
import { detectRoutes } from './routes/detect.ts';
import { docsRoutes } from './routes/docs.ts';
import { faviconRoutes } from './routes/favicon.ts';
import { extractRoutes } from './routes/extract.ts';
import { opsRoutes } from './routes/ops.ts';
import type { Services } from './services.ts';

const CLIENT_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

/** The caller's X-Request-Id when it is short printable ASCII (echoed and stored beside ours), else null. */
export function clientRequestId(header: string | undefined): string | null {
  const v = header?.trim();
  return v && CLIENT_REQUEST_ID.test(v) ? v : null;
}

/** Maps every failure to `{error: {code, message}}` with the code's status, in one place. */
export function errorResponse(err: unknown, c: Context<AppEnv>): Response {
  let apiError: ApiError;
  if (err instanceof ApiError) apiError = err;
  // Logged once where the configuration is loaded; the answer names the variable (never its value)
  // so that whoever looks at /health sees what to fix.
  else if (err instanceof ConfigError) apiError = new ApiError('misconfigured', err.message);
  else if (err instanceof HTTPException && /json/i.test(err.message)) apiError = new ApiError('invalid_json', 'the request body is not valid JSON');
  else if (err instanceof HTTPException && err.status < 500) apiError = new ApiError('invalid_request', err.message);
  else if (isClientDisconnect(err, c.req.raw.signal)) {
    // The caller hung up: no fault to fix, and nobody reads this answer.
    try {
      c.get('services').log.info('client_disconnected', { path: c.req.path });
    } catch {
      // services were never built: nothing worth logging either
    }
    apiError = new ApiError('invalid_request', 'the client disconnected before the request was read');
  } else {
    let log = console as Pick<Console, 'error'>;
    try {
      log = { error: (m: string) => c.get('services').log.error(m, { path: c.req.path, error: String(err) }) };
    } catch {
      // services were never built (bad configuration): console is all there is
    }
    log.error(`unhandled error: ${String(err)}`);
    apiError = new ApiError('internal', 'internal error');
  }
  if (apiError.retryAfter !== undefined) c.header('Retry-After', String(apiError.retryAfter));
  return c.json(apiError.toBody(), apiError.status as 400);
}

/** `services` is resolved per request so the Worker can build it lazily from its bindings. */
export function createApp(services: (env: Record<string, unknown>) => Promise<Services>): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    c.set('startedAt', performance.now());
    // Records are de-duplicated on the request id, so it is always the gateway's own: a caller
    // who chose it could merge other requests' records (or another tenant's) into one.
    c.set('requestId', crypto.randomUUID());
    c.header('X-Request-Id', c.get('requestId'));
    const clientId = clientRequestId(c.req.header('x-request-id'));
    c.set('clientRequestId', clientId);
    if (clientId) c.header('X-Client-Request-Id', clientId);
    c.set('services', await services((c.env as Record<string, unknown> | undefined) ?? {}));
    await next();
  });
  app.use('*', securityHeaders);
  app.use('*', corsHeaders);

  app.route('/', opsRoutes);
  app.route('/', docsRoutes);
  app.route('/', faviconRoutes);
  app.route('/', detectRoutes);
  app.route('/', analyzeRoutes);
  app.route('/', extractRoutes);
  app.route('/', demoRoutes);
  app.route('/', accountRoutes);

  // Read off the routes themselves, so a route added later answers 405 to other methods too.
  const methods = new Map<string, string[]>();
  for (const r of app.routes) if (r.method !== 'ALL') methods.set(r.path, [...new Set([...(methods.get(r.path) ?? []), r.method])]);
  app.notFound((c) => {
    const allowed = methods.get(c.req.path);
    if (allowed && !allowed.includes(c.req.method)) {
      c.header('Allow', allowed.join(', '));
      return c.json(new ApiError('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}`).toBody(), 405);
    }
    return c.json(new ApiError('not_found', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404);
  });
  app.onError((err, c) => errorResponse(err, c));
  return app;
}
