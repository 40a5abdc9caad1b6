import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { closedPortUrl, contractPeer, testGateway, type Peer } from '../test-support.ts';

const OPERATOR = 'o'.repeat(40);

describe('GET /ready', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await contractPeer();
  });
  afterAll(() => peer.close());
  const probes = () => peer.requests.filter((r) => r.path === '/ready').length;

  it('tells a caller without the operator token only whether the gateway is ready', async () => {
    const gw = await testGateway({ INFERENCE_URLS: peer.url, OPERATOR_TOKEN: OPERATOR });
    const tries: Array<Record<string, string>> = [{}, { authorization: `Bearer ${'x'.repeat(40)}` }, { authorization: OPERATOR }];
    for (const headers of tries) {
      const res = await gw.app.request('/ready', { headers });
      expect(res.status).toBe(200);
      const body = await res.text();
      expect(JSON.parse(body)).toEqual({ status: 'ready' });
      expect(body).not.toContain('127.0.0.1');
    }
  });

  it('shows the backends and stores to the operator token', async () => {
    const gw = await testGateway({ INFERENCE_URLS: peer.url, OPERATOR_TOKEN: OPERATOR });
    const res = await gw.app.request('/ready', { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(res.status).toBe(200);
    expect(await res.json<any>()).toEqual({ status: 'ready', backends: [{ url: peer.url, ready: true }], redis: 'memory', database: 'memory' });
  });

  it('probes the backends once per READY_CACHE_MS for keyless callers', async () => {
    const gw = await testGateway({ INFERENCE_URLS: peer.url, READY_CACHE_MS: '600000' });
    const before = probes();
    const answers = await Promise.all([1, 2, 3].map(() => gw.app.request('/ready')));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await gw.app.request('/ready')).status).toBe(200);
    expect(probes() - before).toBe(1);

    const uncached = await testGateway({ INFERENCE_URLS: peer.url, READY_CACHE_MS: '0' });
    const start = probes();
    for (let i = 0; i < 3; i++) await uncached.app.request('/ready');
    expect(probes() - start).toBe(3);
  });

  it('answers the operator from a fresh probe, not the cache', async () => {
    const gw = await testGateway({ INFERENCE_URLS: peer.url, READY_CACHE_MS: '600000', OPERATOR_TOKEN: OPERATOR });
    await gw.app.request('/ready');
    const before = probes();
    await gw.app.request('/ready', { headers: { authorization: `Bearer ${OPERATOR}` } });
    expect(probes() - before).toBe(1);
  });

  it('does not count failed readiness probes towards opening a circuit', async () => {
    const down = await closedPortUrl();
    const gw = await testGateway({ INFERENCE_URLS: `${down},${peer.url}`, BREAKER_FAILURES: '2', READY_CACHE_MS: '0' });
    for (let i = 0; i < 5; i++) expect((await gw.app.request('/ready')).status).toBe(200);
    expect(gw.services.pool.status().map((b) => b.state)).toEqual(['closed', 'closed']);
  });

  it('validates OPERATOR_TOKEN and READY_CACHE_MS at start-up', () => {
    expect(() => loadConfig({ ENVIRONMENT: 'local', OPERATOR_TOKEN: 'short' })).toThrow(/OPERATOR_TOKEN/);
    expect(() => loadConfig({ ENVIRONMENT: 'local', READY_CACHE_MS: '-1' })).toThrow(/READY_CACHE_MS/);
    expect(loadConfig({ ENVIRONMENT: 'local' }).READY_CACHE_MS).toBe(5000);
  });
});
