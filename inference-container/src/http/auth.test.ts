import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { InferenceService } from '../core/service.ts';
import type { JsonResponse } from '../test-support.ts';
import { createApp } from './app.ts';

const TOKEN = 'a'.repeat(24) + 'b'.repeat(24);

// Not started: authentication is decided before the model matters (a passed check then meets 503 not_ready).
const appWith = (env: Record<string, string>) => createApp(new InferenceService(loadConfig(env), createMetrics(), createLogger('silent')));
const call = (app: ReturnType<typeof appWith>, path: string, headers: Record<string, string> = {}) =>
  app.request(path, {
    method: path.startsWith('/v1/detect') ? 'POST' : 'GET',
    headers: { 'content-type': 'application/json', ...headers },
    body: path.startsWith('/v1/detect') ? '{"text":"x"}' : undefined,
  }) as Promise<JsonResponse>;

describe('the gateway token (INFERENCE_TOKEN)', () => {
  it('refuses every route but /health and /ready without the token', async () => {
    const app = appWith({ INFERENCE_TOKEN: TOKEN });
    for (const path of ['/v1/detect', '/v1/models', '/v1/detectors', '/metrics']) {
      const res = await call(app, path);
      expect(res.status, path).toBe(401);
      expect((await res.json()).error.code).toBe('unauthorized');
      expect((await call(app, path, { authorization: `Bearer ${TOKEN}x` })).status, `${path} with a wrong token`).toBe(401);
      expect((await call(app, path, { authorization: TOKEN })).status, `${path} without the Bearer scheme`).toBe(401);
    }
    expect((await call(app, '/health')).status).toBe(200);
    expect((await call(app, '/ready')).status).toBe(503);
  });

  it('lets the right token through', async () => {
    const app = appWith({ INFERENCE_TOKEN: TOKEN });
    const res = await call(app, '/v1/detect', { authorization: `Bearer ${TOKEN}` });
    expect((await res.json()).error.code).toBe('not_ready');
  });

  it('is off when no token is configured (local use)', async () => {
    const res = await call(appWith({}), '/v1/detect');
    expect((await res.json()).error.code).toBe('not_ready');
  });

  it('is required in production, named in the start-up error', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/INFERENCE_TOKEN: required/);
    expect(() => loadConfig({ ENVIRONMENT: 'production' })).toThrow(/INFERENCE_TOKEN: required/);
    expect(() => loadConfig({ ENVIRONMENT: 'production', INFERENCE_TOKEN: 'short' })).toThrow(/INFERENCE_TOKEN: .*32/);
    expect(loadConfig({ NODE_ENV: 'production', INFERENCE_TOKEN: TOKEN }).ENVIRONMENT).toBe('production');
    expect(loadConfig({ NODE_ENV: 'production', ENVIRONMENT: 'local' }).ENVIRONMENT).toBe('local');
    expect(loadConfig({ INFERENCE_TOKEN: '' }).INFERENCE_TOKEN).toBeUndefined();
  });
});
