import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DetectorApiError, DetectorClient } from './client.ts';

// A server that breaks the contract on purpose, which no shipped service does; the client must
// refuse what it answers rather than hand a caller a value its type does not describe.
let server: http.Server;
let url: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body);
    };
    if (req.url?.startsWith('/v1/usage')) return send(200, JSON.stringify({ key: 'k', tier: 'pro', days: 'lots' }));
    if (req.url === '/health') return send(502, '<html>bad gateway</html>', { 'content-type': 'text/html' });
    if (req.url === '/ready') return send(503, JSON.stringify({ status: 'unavailable', backends: [], redis: 'memory', database: 'memory' }));
    send(429, JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }), { 'retry-after': '7', 'x-request-id': 'req-1' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (err instanceof DetectorApiError) return err;
    throw err;
  }
  throw new Error('expected a failure');
};

describe('DetectorClient', () => {
  const client = () => new DetectorClient({ baseUrl: `${url}/`, apiKey: 'k' });

  it('refuses a 200 body that breaks the schema, naming the field', async () => {
    const err = await failure(client().usage());
    expect(err).toMatchObject({ status: 200, code: 'invalid_response' });
    expect(err.message).toContain('limits');
  });

  it('refuses an error answer that is not JSON', async () => {
    expect(await failure(client().health())).toMatchObject({ status: 502, code: 'invalid_response' });
  });

  it('reads an error body into code, status, Retry-After and the request id', async () => {
    expect(await failure(client().detect({ text: 'x' }))).toMatchObject({
      status: 429,
      code: 'rate_limited',
      message: 'slow down',
      retryAfter: 7,
      requestId: 'req-1',
    });
  });

  it('treats a 503 readiness report as an answer', async () => {
    expect(await client().ready()).toMatchObject({ status: 'unavailable' });
  });
});
