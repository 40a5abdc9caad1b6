import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractPeer, localRedis, testGateway, type LocalRedis, type Peer } from '../test-support.ts';
import { SpeculationGate } from './speculation.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';

describe('speculation gate', () => {
  const roomy = [{ success: true, limit: 100, remaining: 90, reset: 0 }];

  it('speculates only for a caller seen with room, while few Redis reads hit', () => {
    const gate = new SpeculationGate({ enabled: true, uncheckedHits: true, maxHitRate: 0.25, minRoom: 0.2 });
    expect(gate.allows('k')).toBe(false);
    gate.noteLimits('k', roomy, false);
    expect(gate.allows('k')).toBe(true);
    gate.noteLimits('k', [{ success: true, limit: 100, remaining: 10, reset: 0 }], false);
    expect(gate.allows('k')).toBe(false);
    gate.noteLimits('k', roomy, true);
    expect(gate.allows('k')).toBe(false);

    gate.noteLimits('k', roomy, false);
    for (let i = 0; i < 10; i++) gate.noteRead(true);
    expect(gate.allows('k')).toBe(false);
    for (let i = 0; i < 60; i++) gate.noteRead(false);
    expect(gate.allows('k')).toBe(true);
  });

  it('lets cached answers through unchecked only while half of what the last check left covers them', () => {
    const gate = new SpeculationGate({ enabled: true, uncheckedHits: true, maxHitRate: 0.25, minRoom: 0.2 });
    expect(gate.admitsUnchecked('k')).toBe(false);
    // 60 requests and 8 texts (of cost 2) left: 4 such requests fit, so 2 may go unchecked.
    gate.noteLimits(
      'k',
      [
        { success: true, limit: 100, remaining: 60, reset: 0 },
        { success: true, limit: 10, remaining: 8, reset: 0 },
      ],
      false,
      [
        { name: 'r', tokens: 100, window: 'minute' },
        { name: 't', tokens: 10, window: 'minute', cost: 2 },
      ],
    );
    expect(gate.admitsUnchecked('k')).toBe(true);
    expect(gate.beginUnchecked('k')).toMatchObject({ limit: 10, remaining: 7 });
    expect(gate.admitsUnchecked('k')).toBe(true);
    gate.beginUnchecked('k');
    expect(gate.admitsUnchecked('k')).toBe(false);
    gate.endUnchecked('k', 2);
    expect(gate.admitsUnchecked('k')).toBe(true);
  });

  it('never speculates when turned off', () => {
    const gate = new SpeculationGate({ enabled: false, uncheckedHits: false, maxHitRate: 1, minRoom: 0 });
    gate.noteLimits('k', roomy, false);
    expect(gate.allows('k')).toBe(false);
  });
});

/**
 * A relay in front of the real Redis front that holds every call until released: the test can
 * then see what the gateway does while Redis has not answered yet.
 */
async function heldRelay(target: string): Promise<{ url: string; held: () => number; hold: () => void; release: () => void; close: () => Promise<void> }> {
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => {};
  let held = 0;
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const c of req) body += c;
    held++;
    await gate;
    held--;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    for (const h of ['authorization', 'upstash-encoding']) if (req.headers[h]) headers[h] = String(req.headers[h]);
    const r = await fetch(`${target}${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(await r.text());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => held,
    hold: () => {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!ok()) throw new Error(`gave up waiting for ${what}`);
}

describe('speculative inference against a real Redis', () => {
  let redis: LocalRedis;
  let peer: Peer;
  let relay: Awaited<ReturnType<typeof heldRelay>>;
  beforeAll(async () => {
    [redis, peer] = await Promise.all([localRedis(), contractPeer()]);
    relay = await heldRelay(redis.url);
  });
  afterAll(async () => {
    relay.release();
    await Promise.all([redis.close(), peer.close(), relay.close()]);
  });

  const gateway = (vars: Record<string, string> = {}) =>
    testGateway({ INFERENCE_URLS: peer.url, UPSTASH_REDIS_REST_URL: relay.url, UPSTASH_REDIS_REST_TOKEN: redis.token, ...vars });
  const detect = (gw: Awaited<ReturnType<typeof gateway>>, key: string, text: string) =>
    gw.app.request('/v1/detect', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ text }),
    });
  const sentToModel = (tag: string) => peer.requests.filter((r) => r.body.includes(tag)).length;

  it('sends a miss to the model while Redis is still answering, once', async () => {
    const gw = await gateway();
    expect((await detect(gw, gw.keys.pro, `${TEXT} learn-1`)).status).toBe(200);
    await gw.settle();

    relay.hold();
    let answered = false;
    const answer = Promise.resolve(detect(gw, gw.keys.pro, `${TEXT} early`)).then((r) => {
      answered = true;
      return r;
    });
    // The model is asked while the limits and the cache read wait in the relay.
    await until('the model call', () => sentToModel('early') === 1);
    await until('the Redis call', () => relay.held() > 0);
    expect(answered).toBe(false);
    relay.release();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('MISS');
    await gw.settle();
    expect(sentToModel('early')).toBe(1);
  });

  it('answers from the cache when Redis has the text, though the model was already asked', async () => {
    const a = await gateway();
    expect((await detect(a, a.keys.pro, `${TEXT} cached-elsewhere`)).headers.get('x-cache')).toBe('MISS');
    await a.settle();
    // A second isolate with the same key: it learns the key has room, then asks for that text.
    const b = await gateway({ STATIC_API_KEYS: `${a.keys.pro}:pro:11111111-1111-4111-8111-111111111111` });
    expect((await detect(b, a.keys.pro, `${TEXT} learn-2`)).status).toBe(200);
    await b.settle();

    relay.hold();
    const answer = detect(b, a.keys.pro, `${TEXT} cached-elsewhere`);
    await until('the speculative model call', () => sentToModel('cached-elsewhere') === 2);
    relay.release();
    const res = await answer;
    expect(res.headers.get('x-cache')).toBe('HIT');
    expect((await res.json<{ cached: boolean }>()).cached).toBe(true);
  });

  it('does not speculate for a caller near its limit: the refused request never reaches the model', async () => {
    const gw = await gateway({ RATE_FREE_PER_MINUTE: '3' });
    for (const tag of ['near-1', 'near-2', 'near-3']) expect((await detect(gw, gw.keys.free, `${TEXT} ${tag}`)).status).toBe(200);
    await gw.settle();
    const refused = await detect(gw, gw.keys.free, `${TEXT} near-4`);
    expect(refused.status).toBe(429);
    await gw.settle();
    expect(sentToModel('near-4')).toBe(0);
  });

  it('answers a text the isolate holds before the check, and charges it after', async () => {
    const gw = await gateway();
    const text = `${TEXT} held-here`;
    expect((await detect(gw, gw.keys.pro, text)).headers.get('x-cache')).toBe('MISS');
    await gw.settle();
    const minuteCount = async () => {
      const keys = (await redis.command('KEYS', 'rl:key:pro:minute:*')) as string[];
      const plain = keys.filter((k) => !/:minute:(texts|tokens):/.test(k));
      return (await Promise.all(plain.map((k) => redis.command('GET', k)))).map(Number).reduce((a, b) => a + b, 0);
    };
    const before = await minuteCount();

    relay.hold();
    const res = await detect(gw, gw.keys.pro, text);
    // Answered while Redis was held: nothing waited for it.
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('HIT');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBeGreaterThan(0);
    relay.release();
    await gw.settle();
    expect(await minuteCount()).toBe(before + 1);
  });

  it('checks first for a caller near its limit: a cached text does not get past the limit', async () => {
    const gw = await gateway({ RATE_FREE_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await detect(gw, gw.keys.free, `${TEXT} limited-hit`)).status);
      await gw.settle();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it('does not speculate with SPECULATIVE_INFERENCE off', async () => {
    const gw = await gateway({ SPECULATIVE_INFERENCE: 'false' });
    expect((await detect(gw, gw.keys.pro, `${TEXT} learn-3`)).status).toBe(200);
    await gw.settle();
    relay.hold();
    const answer = detect(gw, gw.keys.pro, `${TEXT} in-order`);
    await until('the Redis call', () => relay.held() > 0);
    // Give a speculative call every chance to show up; none may.
    await new Promise((r) => setTimeout(r, 100));
    expect(sentToModel('in-order')).toBe(0);
    relay.release();
    expect((await answer).status).toBe(200);
    expect(sentToModel('in-order')).toBe(1);
  });
});
