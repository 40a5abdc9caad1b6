import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Config } from '../config.ts';
import type { AppEnv } from './env.ts';

/** Where `vite dev` serves the page (web/): allowed by default when ENVIRONMENT=local. */
export const LOCAL_DEV_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'];

export function allowedOrigins(config: Pick<Config, 'CORS_ORIGINS' | 'ENVIRONMENT'>): string[] {
  if (config.CORS_ORIGINS.length > 0) return config.CORS_ORIGINS;
  return config.ENVIRONMENT === 'local' ? LOCAL_DEV_ORIGINS : [];
}

/**
 * CORS for pages on other origins (the original design put the page on its own host). Keys travel
 * in the Authorization header, never in cookies, so credentials stay off; the limit and request-id
 * headers are exposed so a page can show them and back off on 429.
 */
export const corsHeaders: MiddlewareHandler<AppEnv> = (c, next) => {
  const allowed = allowedOrigins(c.get('services').config);
  return cors({
    origin: (origin) => (allowed.includes('*') ? '*' : allowed.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Api-Key', 'X-Request-Id'],
    exposeHeaders: ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'X-Request-Id', 'X-Client-Request-Id', 'X-Cache'],
    maxAge: 600,
  })(c, next);
};

/**
 * The Worker's own answers are JSON (and the /docs page): nothing in them may run as a page or be
 * framed. The web page's static files get theirs from web/public/_headers.
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  // /docs runs Swagger UI (its own script and inline styles); everything else is data.
  c.header('Content-Security-Policy', c.req.path === '/docs' ? "frame-ancestors 'none'" : "default-src 'none'; frame-ancestors 'none'");
};
