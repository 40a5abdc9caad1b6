import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl, contractPeer, OWNER, testGateway, type Peer, type TestGateway } from './test-support.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';

describe('gateway in-process, in-memory stores', () => {
  let peer: Peer;
  let gw: TestGateway;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    gw.app.request(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

  beforeAll(async () => {
    peer = await contractPeer();
    gw = await testGateway({ INFERENCE_URLS: peer.url, RATE_FREE_PER_MINUTE: '3', DEMO_PER_IP_PER_MINUTE: '2', MAX_BATCH_TEXTS: '4' });
  });
  afterAll(() => peer.close());

  it('requires a key: 401 without, 401 for an unknown one, 403 out of scope', async () => {
    expect((await post('/v1/detect', { text: TEXT })).status).toBe(401);
    const unknown = await post('/v1/detect', { text: TEXT }, bearer('dk_live_zzzzzzzzzz_abcdefghijklmnopqrstuvwxyzABCDEF'));
    expect(unknown.status).toBe(401);
    expect(await unknown.json<any>()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const scope = await post('/v1/detect', { text: TEXT }, bearer(gw.keys.extractOnly));
    expect(scope.status).toBe(403);
    expect((await scope.json<any>()).error.code).toBe('forbidden');
  });

  it('answers, then serves the same text from the cache for the same tenant only', async () => {
    const first = await post('/v1/detect', { text: TEXT }, bearer(gw.keys.pro));
    expect(first.status).toBe(200);
    expect((await first.json<any>()).cached).toBe(false);
    const second = await post('/v1/detect', { text: TEXT }, { 'x-api-key': gw.keys.pro });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect((await second.json<any>()).cached).toBe(true);
    const other = await post('/v1/detect', { text: TEXT }, bearer(gw.keys.otherOwner));
    expect((await other.json<any>()).cached).toBe(false);
    expect(peer.requests.filter((r) => r.path === '/v1/detect')).toHaveLength(2);
  });

  it('sends only the cache misses of a batch to the backend', async () => {
    const before = peer.requests.length;
    const fresh = `${TEXT} And one more sentence.`;
    const res = await post('/v1/detect', { texts: [TEXT, fresh, ''] }, bearer(gw.keys.pro));
    const { results } = await res.json<any>();
    expect(results.map((r: { cached?: boolean; error?: { code: string } }) => r.cached ?? r.error?.code)).toEqual([true, false, 'empty_text']);
    const sent = peer.requests.slice(before).filter((r) => r.path === '/v1/detect');
    expect(sent.map((r) => JSON.parse(r.body).texts)).toEqual([[fresh]]);
  });

  it('records predictions in memory and lists only the caller’s own', async () => {
    await gw.settle();
    const res = await gw.app.request('/v1/predictions?limit=50', { headers: bearer(gw.keys.pro) });
    const page = await res.json<any>();
    expect(page.data.length).toBeGreaterThanOrEqual(4);
    expect(page.data.every((r: { owner_id: string }) => r.owner_id === OWNER)).toBe(true);
    const usage = await (await gw.app.request('/v1/usage', { headers: bearer(gw.keys.pro) })).json<any>();
    expect(usage.days[0].requests).toBeGreaterThanOrEqual(3);
  });

  it('limits a free key to its per-minute budget and says so in headers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post('/v1/detect', { text: `${TEXT} ${i}` }, bearer(gw.keys.free));
      statuses.push(res.status);
      expect(res.headers.get('ratelimit-limit')).toBe('3');
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect((await res.json<any>()).error.code).toBe('rate_limited');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('limits the demo route per client address', async () => {
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('/v1/demo/detect', { text: `${TEXT} demo ${i}` }, { 'cf-connecting-ip': '198.51.100.1' })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect((await post('/v1/demo/detect', { text: TEXT }, { 'cf-connecting-ip': '198.51.100.2' })).status).toBe(200);
  });

  it('maps bad input to 4xx codes', async () => {
    const h = bearer(gw.keys.pro);
    expect((await (await post('/v1/detect', '{', h)).json<any>()).error.code).toBe('invalid_json');
    expect((await (await post('/v1/detect', { texts: ['a', 'b', 'c', 'd', 'e'] }, h)).json<any>()).error.code).toBe('batch_too_large');
    expect((await (await post('/v1/detect', { text: 'x'.repeat(1024 * 1024 + 1) }, h)).json<any>()).error.code).toBe('payload_too_large');
    expect((await gw.app.request('/v1/detect', { headers: h })).status).toBe(405);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const spec = await (await gw.app.request('/openapi.json')).json<any>();
    expect(spec.components.schemas.DetectRequest.properties).toHaveProperty('texts');
    expect(await (await gw.app.request('/docs')).text()).toContain('/_swagger/swagger-ui-bundle.js');
  });
});

describe('routing failures', () => {
  it('answers 503 with Retry-After when every backend refuses connections', async () => {
    const gw = await testGateway({ INFERENCE_URLS: `${await closedPortUrl()},${await closedPortUrl()}`, BREAKER_COOLDOWN_MS: '3000' });
    const res = await gw.app.request('/v1/detect', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
      body: JSON.stringify({ text: TEXT }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('3');
    expect((await res.json<any>()).error.code).toBe('backend_unavailable');
  });

  it('retries a refused connection on the next backend', async () => {
    const peer = await contractPeer();
    try {
      const gw = await testGateway({ INFERENCE_URLS: `${await closedPortUrl()},${peer.url}` });
      for (let i = 0; i < 3; i++) {
        const res = await gw.app.request('/v1/detect', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
          body: JSON.stringify({ text: `${TEXT} ${i}` }),
        });
        expect(res.status).toBe(200);
      }
    } finally {
      await peer.close();
    }
  });

  it('passes the backend’s own errors through unchanged', async () => {
    const peer = await contractPeer({ status: 503 });
    try {
      const gw = await testGateway({ INFERENCE_URLS: peer.url, INFERENCE_RETRIES: '0' });
      const res = await gw.app.request('/v1/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
        body: JSON.stringify({ text: TEXT }),
      });
      expect(res.status).toBe(503);
      expect((await res.json<any>()).error.code).toBe('queue_full');
    } finally {
      await peer.close();
    }
  });
});

describe('Redis unreachable', () => {
  it('fails open on keyed routes (in-isolate limits) and closed on the demo routes', async () => {
    const peer = await contractPeer();
    try {
      const gw = await testGateway({
        INFERENCE_URLS: peer.url,
        UPSTASH_REDIS_REST_URL: await closedPortUrl(),
        UPSTASH_REDIS_REST_TOKEN: 'unused',
        RATE_FREE_PER_MINUTE: '2',
      });
      const detect = (key: string) =>
        gw.app.request('/v1/detect', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ text: TEXT }),
        });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await detect(gw.keys.free)).status);
      // Open, but still bounded by the per-isolate counters.
      expect(statuses).toEqual([200, 200, 429]);
      const demo = await gw.app.request('/v1/demo/detect', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: TEXT }) });
      expect(demo.status).toBe(503);
      expect(demo.headers.get('retry-after')).toBe('5');
      expect((await demo.json<any>()).error.code).toBe('backend_unavailable');
    } finally {
      await peer.close();
    }
  });
});
