import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { contractPeer, testGateway, type Peer, type TestGateway } from '../test-support.ts';
import { allowedOrigins, LOCAL_DEV_ORIGINS } from './cors.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';
const PAGE = 'https://detector.example.net';

describe('CORS and security headers', () => {
  let peer: Peer;
  let gw: TestGateway;

  beforeAll(async () => {
    peer = await contractPeer();
    gw = await testGateway({ INFERENCE_URLS: peer.url, CORS_ORIGINS: `${PAGE}, https://other.example.org`, RATE_FREE_PER_MINUTE: '1' });
  });
  afterAll(() => peer.close());

  it('answers a preflight from an allowed origin with 204 and what the page may send', async () => {
    const res = await gw.app.request('/analyze', {
      method: 'OPTIONS',
      headers: { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase().split(',')).toEqual(expect.arrayContaining(['authorization', 'content-type']));
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('exposes the limit and request-id headers on answers, errors included', async () => {
    const ok = await gw.app.request('/analyze', {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json', authorization: `Bearer ${gw.keys.free}` },
      body: JSON.stringify({ text: TEXT }),
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE);
    const exposed = ok.headers.get('access-control-expose-headers')!.split(',');
    expect(exposed).toEqual(expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Retry-After', 'X-Request-Id']));
    // The free tier allows one request a minute here: the second is refused, and the page can read why.
    const limited = await gw.app.request('/analyze', {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json', authorization: `Bearer ${gw.keys.free}` },
      body: JSON.stringify({ text: TEXT }),
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('access-control-allow-origin')).toBe(PAGE);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    const unauthorized = await gw.app.request('/analyze', {
      method: 'POST',
      headers: { origin: PAGE, 'content-type': 'application/json' },
      body: JSON.stringify({ text: TEXT }),
    });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers.get('access-control-allow-origin')).toBe(PAGE);
  });

  it('gives an origin that is not on the list no CORS grant', async () => {
    const res = await gw.app.request('/health', { headers: { origin: 'https://evil.example.com' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await gw.app.request('/analyze', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("marks the Worker's answers as data that may not be sniffed or framed", async () => {
    const res = await gw.app.request('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const docs = await gw.app.request('/docs');
    expect(docs.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('defaults to the dev server origin locally and to none in production; refuses a malformed entry', () => {
    expect(allowedOrigins(loadConfig({ ENVIRONMENT: 'local' }))).toEqual(LOCAL_DEV_ORIGINS);
    expect(allowedOrigins({ ENVIRONMENT: 'production', CORS_ORIGINS: [] })).toEqual([]);
    expect(() => loadConfig({ ENVIRONMENT: 'local', CORS_ORIGINS: 'https://app.example.com/path' })).toThrow(/CORS_ORIGINS/);
  });
});
