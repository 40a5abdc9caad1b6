import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { analyzeResponseSchema, gatewayRoutes } from '@detector/contract';
import { createApp } from './app.ts';
import { closedPortUrl, contractPeer, OWNER, testGateway, type Peer, type TestGateway } from './test-support.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';

describe('gateway in-process, in-memory stores', () => {
  let peer: Peer;
  let gw: TestGateway;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    gw.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
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

  it('passes max_fpr to the backend, keeps answers at different rates apart in the cache, and refuses a rate out of range', async () => {
    const text = `${TEXT} At a rate of its own.`;
    const loose = await post('/v1/detect', { text, max_fpr: 0.1 }, bearer(gw.keys.pro));
    expect(loose.status).toBe(200);
    const sent = peer.requests.filter((r) => r.path === '/v1/detect').at(-1)!;
    expect(JSON.parse(sent.body).max_fpr).toBe(0.1);
    const tight = await post('/v1/detect', { text, max_fpr: 0.01 }, bearer(gw.keys.pro));
    expect(tight.headers.get('x-cache')).toBe('MISS');
    const again = await post('/v1/detect', { text, max_fpr: 0.1 }, bearer(gw.keys.pro));
    expect(again.headers.get('x-cache')).toBe('HIT');
    for (const bad of [0, 0.5, 'low']) {
      const res = await post('/v1/detect', { text, max_fpr: bad }, bearer(gw.keys.pro));
      expect(res.status).toBe(400);
      expect((await res.json<any>()).error.code).toBe('invalid_request');
    }
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

  it('caps keyless work from all addresses together, each within its own limit', async () => {
    const capped = await testGateway({ INFERENCE_URLS: peer.url, DEMO_PER_IP_PER_MINUTE: '5', DEMO_GLOBAL_PER_MINUTE: '3' });
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push(
        (
          await capped.app.request('/v1/demo/detect', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'cf-connecting-ip': `203.0.113.${i + 1}` },
            body: JSON.stringify({ text: `${TEXT} from address ${i}` }),
          })
        ).status,
      );
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('maps bad input to 4xx codes', async () => {
    const h = bearer(gw.keys.pro);
    expect((await (await post('/v1/detect', '{', h)).json<any>()).error.code).toBe('invalid_json');
    expect((await (await post('/v1/detect', { texts: ['a', 'b', 'c', 'd', 'e'] }, h)).json<any>()).error.code).toBe('batch_too_large');
    expect((await (await post('/v1/detect', { text: 'x'.repeat(1024 * 1024 + 1) }, h)).json<any>()).error.code).toBe('payload_too_large');
    expect((await gw.app.request('/v1/detect', { headers: h })).status).toBe(405);
  });

  it('answers 405 with Allow on every documented path for a method it does not serve', async () => {
    const spec = await (await gw.app.request('/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(spec.paths).length).toBeGreaterThan(5);
    for (const [p, ops] of Object.entries(spec.paths)) {
      const res = await gw.app.request(p, { method: 'DELETE' });
      expect(res.status, p).toBe(405);
      const allow = res.headers
        .get('allow')!
        .split(', ')
        .map((m) => m.toLowerCase());
      for (const m of Object.keys(ops)) expect(allow, p).toContain(m);
    }
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

  it('sends the caller’s tenant and its time budget; passes a backend’s 503 deadline_unmeetable through with its Retry-After and keeps that backend in use', async () => {
    const peer = await contractPeer({ status: 503, code: 'deadline_unmeetable' });
    try {
      const gw = await testGateway({ INFERENCE_URLS: peer.url, INFERENCE_RETRIES: '0', INFERENCE_TIMEOUT_MS: '9000', BREAKER_FAILURES: '1' });
      for (let i = 0; i < 3; i++) {
        const res = await gw.app.request('/v1/detect', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
          body: JSON.stringify({ text: `${TEXT} ${i}` }),
        });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('7');
        expect((await res.json<any>()).error.code).toBe('deadline_unmeetable');
      }
      // A busy backend's circuit stays closed: every request reached it.
      const detects = peer.requests.filter((r) => r.path === '/v1/detect');
      expect(detects).toHaveLength(3);
      expect(detects[0]!.budgetMs).toBe('9000');
      expect(detects[0]!.tenant).toMatch(/^t-[0-9a-f]{32}$/);
      expect(detects[0]!.tenant).not.toContain(OWNER);
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
      // Still the gateway's answer: its request id is on it.
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await peer.close();
    }
  });
});

describe('backend answers outside the contract', () => {
  const call = (gw: TestGateway, path: string, body: unknown) =>
    gw.app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
      body: JSON.stringify(body),
    });

  it.each([
    ['/v1/detect', { text: TEXT }],
    ['/v1/detect', { texts: [TEXT, `${TEXT} again`] }],
    ['/analyze', { text: TEXT }],
  ])('%s %j: 502 bad_backend_response, and nothing is cached', async (path, body) => {
    const peer = await contractPeer({ malformed: true });
    try {
      const gw = await testGateway({ INFERENCE_URLS: peer.url, INFERENCE_RETRIES: '0' });
      for (let i = 0; i < 2; i++) {
        const res = await call(gw, path, body);
        expect(res.status).toBe(502);
        expect((await res.json<any>()).error.code).toBe('bad_backend_response');
        await gw.settle();
      }
      // Both calls reached the backend (/analyze runs /v1/detect's path): the first answer was never cached.
      expect(peer.requests.filter((r) => r.path === '/v1/detect')).toHaveLength(2);
    } finally {
      await peer.close();
    }
  });

  it('a well-formed /analyze answer passes, is cached, and is logged with the label and detector that ran', async () => {
    const peer = await contractPeer();
    try {
      const gw = await testGateway({ INFERENCE_URLS: peer.url });
      const first = await call(gw, '/analyze', { text: TEXT });
      expect(first.status).toBe(200);
      const body = await first.json<any>();
      expect(analyzeResponseSchema.strict().parse(body)).toEqual(body);
      await gw.settle();
      const again = await call(gw, '/analyze', { text: TEXT });
      expect(again.headers.get('x-cache')).toBe('HIT');
      expect(peer.requests.filter((r) => r.path === '/v1/detect')).toHaveLength(1);
      const history = await (await gw.app.request('/v1/predictions', { headers: { authorization: `Bearer ${gw.keys.pro}` } })).json<any>();
      expect(history.data[0]).toMatchObject({ route: '/analyze', detector: 'peer', detector_version: '1.0.0', label: body.label });
    } finally {
      await peer.close();
    }
  });
});

describe('the route table', () => {
  it('lists exactly the routes the gateway serves', () => {
    const gw = createApp(async () => {
      throw new Error('never called: routes are listed, not requested');
    });
    const served = new Set(gw.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    expect(served).toEqual(new Set(gatewayRoutes.map((r) => `${r.method} ${r.path}`)));
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
      const demo = await gw.app.request('/v1/demo/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: TEXT }),
      });
      expect(demo.status).toBe(503);
      expect(demo.headers.get('retry-after')).toBe('5');
      expect((await demo.json<any>()).error.code).toBe('backend_unavailable');
    } finally {
      await peer.close();
    }
  });
});

describe('hostile input', () => {
  let peer: Peer;
  let gw: TestGateway;
  const detect = (body: BodyInit, headers: Record<string, string>) => gw.app.request('/v1/detect', { method: 'POST', headers, body });
  const json = { 'content-type': 'application/json' };

  beforeAll(async () => {
    peer = await contractPeer();
    gw = await testGateway({ INFERENCE_URLS: peer.url, API_KEY_PEPPER: 'pepper-for-cursors' });
  });
  afterAll(() => peer.close());

  it('accepts only application/json, with at most a UTF-8 charset', async () => {
    const h = { authorization: `Bearer ${gw.keys.pro}` };
    const body = JSON.stringify({ text: `${TEXT} content types` });
    for (const type of ['application/evil+json', 'application/json-patch+json', 'text/json', 'application/json; charset=latin1']) {
      const res = await detect(body, { ...h, 'content-type': type });
      expect(res.status, type).toBe(415);
      expect((await res.json<any>()).error.code).toBe('unsupported_media_type');
    }
    expect((await detect(body, { ...h, 'content-type': 'application/json; charset=UTF-8' })).status).toBe(200);
  });

  it('refuses bytes that are not UTF-8 with invalid_unicode and sends nothing on', async () => {
    const before = peer.requests.length;
    const bytes = new Uint8Array([...new TextEncoder().encode(`{"text": "${TEXT} `), 0xff, 0xfe, 0x80, ...new TextEncoder().encode('"}')]);
    const res = await detect(bytes, { ...json, authorization: `Bearer ${gw.keys.pro}` });
    expect(res.status).toBe(400);
    expect((await res.json<any>()).error.code).toBe('invalid_unicode');
    const demo = await gw.app.request('/v1/demo/detect', { method: 'POST', headers: { ...json, 'cf-connecting-ip': '198.51.100.9' }, body: bytes });
    expect((await demo.json<any>()).error.code).toBe('invalid_unicode');
    expect(peer.requests.length).toBe(before);
  });

  it('makes its own request ids: a repeated X-Request-Id merges nothing, across tenants either', async () => {
    const shared = 'same-id-every-time';
    const ids = new Set<string>();
    for (const key of [gw.keys.pro, gw.keys.pro, gw.keys.pro, gw.keys.otherOwner]) {
      const res = await detect(JSON.stringify({ texts: [`${TEXT} ${ids.size} a`, `${TEXT} ${ids.size} b`] }), {
        ...json,
        authorization: `Bearer ${key}`,
        'x-request-id': shared,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-client-request-id')).toBe(shared);
      ids.add(res.headers.get('x-request-id')!);
    }
    expect(ids.size).toBe(4);
    expect([...ids].every((id) => id !== shared)).toBe(true);
    await gw.settle();
    const mine = await (await gw.app.request('/v1/predictions?limit=100', { headers: { authorization: `Bearer ${gw.keys.pro}` } })).json<any>();
    const tagged = mine.data.filter((r: { client_request_id: string | null }) => r.client_request_id === shared);
    expect(tagged).toHaveLength(6);
    const theirs = await (await gw.app.request('/v1/predictions?limit=100', { headers: { authorization: `Bearer ${gw.keys.otherOwner}` } })).json<any>();
    expect(theirs.data.filter((r: { client_request_id: string | null }) => r.client_request_id === shared)).toHaveLength(2);
    const usage = await (await gw.app.request('/v1/usage', { headers: { authorization: `Bearer ${gw.keys.otherOwner}` } })).json<any>();
    expect(usage.days[0]).toMatchObject({ requests: 1, texts: 2 });
    // An id that is not short printable ASCII is neither echoed nor stored.
    const odd = await detect(JSON.stringify({ text: `${TEXT} odd id` }), { ...json, authorization: `Bearer ${gw.keys.pro}`, 'x-request-id': 'x'.repeat(200) });
    expect(odd.headers.get('x-client-request-id')).toBeNull();
  });

  it('pages history with signed cursors and refuses any other cursor with invalid_cursor', async () => {
    const h = { authorization: `Bearer ${gw.keys.pro}` };
    const first = await (await gw.app.request('/v1/predictions?limit=1', { headers: h })).json<any>();
    expect(first.next_cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    const second = await (await gw.app.request(`/v1/predictions?limit=1&cursor=${first.next_cursor}`, { headers: h })).json<any>();
    expect(second.data).toHaveLength(1);
    expect(second.data[0]).not.toEqual(first.data[0]);

    const [body, sig] = first.next_cursor.split('.');
    const other = await testGateway({ INFERENCE_URLS: peer.url, API_KEY_PEPPER: 'another-pepper' });
    const foreign = await other.services.cursors.encode({ created_at: '2030-01-01T00:00:00.000Z', request_id: 'x', item_index: 0 });
    const crafted = [
      // The old format: base64 of created_at|request_id|item_index, here carrying filter syntax.
      btoa('2030-01-01T00:00:00Z|x),owner_id.neq.00000000-0000-0000-0000-000000000000,and(id.gt.0|0'),
      'nonsense',
      '',
      `${body}.${sig.slice(0, -2)}AA`,
      `${btoa('{"t":"2030-01-01T00:00:00Z","r":"x","i":0}').replace(/=+$/, '')}.${sig}`,
      foreign,
      `${body}.${sig}`.repeat(40),
    ];
    for (const cursor of crafted) {
      const res = await gw.app.request(`/v1/predictions?cursor=${encodeURIComponent(cursor)}`, { headers: h });
      expect(res.status, cursor.slice(0, 40)).toBe(400);
      expect((await res.json<any>()).error.code).toBe('invalid_cursor');
    }
  });
});

describe('daily quota in texts', () => {
  it('charges a batch its number of texts, and a refused batch nothing', async () => {
    const peer = await contractPeer();
    try {
      const gw = await testGateway({ INFERENCE_URLS: peer.url, RATE_FREE_PER_DAY: '5', RATE_FREE_PER_MINUTE: '100', MAX_BATCH_TEXTS: '8' });
      const send = (n: number, tag: string) =>
        gw.app.request('/v1/detect', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.free}` },
          body: JSON.stringify({ texts: Array.from({ length: n }, (_, i) => `${TEXT} ${tag} ${i}`) }),
        });
      expect((await send(4, 'a')).status).toBe(200);
      const refused = await send(4, 'b');
      expect(refused.status).toBe(429);
      expect((await refused.json<any>()).error.code).toBe('quota_exceeded');
      expect((await send(1, 'c')).status).toBe(200);
      expect((await send(1, 'd')).status).toBe(429);
      // Too many texts for the batch limit is refused before anything is charged.
      expect((await send(9, 'e')).status).toBe(413);
    } finally {
      await peer.close();
    }
  });
});

describe('a caller that disconnects mid-request', () => {
  it('is logged as client_disconnected at info, not as an unhandled error', async () => {
    const gw = await testGateway({});
    const errors = vi.spyOn(gw.services.log, 'error');
    const infos = vi.spyOn(gw.services.log, 'info');
    const gone = new AbortController();
    // What the runtime hands on when the connection closes halfway through the body.
    const body = new ReadableStream<Uint8Array>({
      start: (ctl) => ctl.enqueue(new TextEncoder().encode('{"text": "half a bo')),
      pull: (ctl) => {
        gone.abort();
        ctl.error(new Error('aborted'));
      },
    });
    const req = new Request('http://gw/v1/detect', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
      body,
      signal: gone.signal,
      duplex: 'half',
    } as RequestInit);
    await gw.app.request(req);
    expect(errors).not.toHaveBeenCalled();
    expect(infos).toHaveBeenCalledWith('client_disconnected', expect.objectContaining({ path: '/v1/detect' }));
  });
});

describe('usage', () => {
  it('counts an upload as one text, as it is charged to the daily quota', async () => {
    const peer = await contractPeer();
    try {
      const gw = await testGateway({ INFERENCE_URLS: peer.url });
      const form = new FormData();
      form.append('file', new Blob(['An uploaded text.'], { type: 'text/plain' }), 'a.txt');
      const res = await gw.app.request('/v1/extract', { method: 'POST', headers: { authorization: `Bearer ${gw.keys.pro}` }, body: form });
      expect(res.status).toBe(200);
      await gw.settle();
      const usage = await (await gw.app.request('/v1/usage', { headers: { authorization: `Bearer ${gw.keys.pro}` } })).json<any>();
      expect(usage.days).toEqual([{ day: expect.any(String), requests: 1, texts: 1 }]);
    } finally {
      await peer.close();
    }
  });
});

describe('per-minute limits in texts and tokens', () => {
  it('charges a batch its texts and its characters / 4 in tokens, and a refused batch nothing', async () => {
    const peer = await contractPeer();
    try {
      const gw = await testGateway({
        INFERENCE_URLS: peer.url,
        RATE_FREE_PER_MINUTE: '100',
        RATE_FREE_TEXTS_PER_MINUTE: '7',
        RATE_FREE_TOKENS_PER_MINUTE: '1000',
        MAX_BATCH_TEXTS: '8',
      });
      const send = (n: number, chars: number, tag: string) =>
        gw.app.request('/v1/detect', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.free}` },
          body: JSON.stringify({ texts: Array.from({ length: n }, (_, i) => `${tag}${i} `.padEnd(chars, 'x')) }),
        });
      expect((await send(4, 10, 'a')).status).toBe(200);
      const texts = await send(4, 10, 'b'); // 8 texts in the minute: over 7
      expect(texts.status).toBe(429);
      expect((await texts.json<any>()).error.message).toMatch(/texts per minute/);
      // 2 texts of 2,000 characters are 1,000 tokens: over what is left of 1,000 after 40 characters.
      const tokens = await send(2, 2_000, 'c');
      expect(tokens.status).toBe(429);
      expect((await tokens.json<any>()).error.message).toMatch(/tokens per minute/);
      // Neither refusal spent anything: two short texts still fit.
      expect((await send(2, 10, 'd')).status).toBe(200);
      // A request larger than the whole minute's tokens says so.
      const huge = await send(1, 4_400, 'e');
      expect(huge.status).toBe(429);
      expect((await huge.json<any>()).error.message).toMatch(/smaller parts/);
    } finally {
      await peer.close();
    }
  });
});

describe('the inference token', () => {
  it('is sent to the backend as a bearer token; a backend refusing it is a 503, never the caller’s 401', async () => {
    const token = 's'.repeat(40);
    const peer = await contractPeer({ token });
    try {
      const good = await testGateway({ INFERENCE_URLS: peer.url, INFERENCE_TOKEN: token });
      const req = (gw: TestGateway) =>
        gw.app.request('/v1/detect', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
          body: JSON.stringify({ text: TEXT }),
        });
      expect((await req(good)).status).toBe(200);
      expect(peer.requests.at(-1)!.authorization).toBe(`Bearer ${token}`);

      const wrong = await testGateway({ INFERENCE_URLS: peer.url, INFERENCE_TOKEN: 'w'.repeat(40), INFERENCE_RETRIES: '0' });
      const res = await req(wrong);
      expect(res.status).toBe(503);
      const body = await res.json<any>();
      expect(body.error.code).toBe('backend_unavailable');
      expect(JSON.stringify(body)).not.toContain(peer.url);
    } finally {
      await peer.close();
    }
  });
});
