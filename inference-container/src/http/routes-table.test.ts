import { serviceRoutes } from '@detector/contract';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { createMetrics } from '../metrics.ts';
import { InferenceService } from '../core/service.ts';
import { createApp } from './app.ts';

// Never started: the routes and the document need no model.
const app = createApp(
  new InferenceService(loadConfig({ INFERENCE_TOKEN: '0123456789abcdef0123456789abcdef-route-table' }), createMetrics(), createLogger('silent')),
);

describe('the service route table', () => {
  it('lists exactly the routes the service serves', () => {
    const served = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    expect(served).toEqual(new Set(serviceRoutes.map((r) => `${r.method} ${r.path}`)));
  });

  it('serves its OpenAPI document without the token, with every route and the statuses its codes map to', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown }>> };
    expect(Object.keys(doc.paths).sort()).toEqual([...new Set(serviceRoutes.map((r) => r.path))].sort());
    expect(Object.keys(doc.paths['/v1/extract']!.post!.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '413', '415', '422']));
    expect(Object.keys(doc.paths['/ready']!.get!.responses)).toEqual(expect.arrayContaining(['200', '503']));
    expect(doc.paths['/v1/detect']!.post!.security).toEqual([{ token: [] }]);
    expect(doc.paths['/health']!.get!.security).toBeUndefined();
  });

  it('answers a known path with the wrong method 405 and an Allow header', async () => {
    const res = await app.request('/metrics', { method: 'POST', headers: { authorization: 'Bearer 0123456789abcdef0123456789abcdef-route-table' } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
