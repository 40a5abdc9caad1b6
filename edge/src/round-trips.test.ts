import { createClient } from '@supabase/supabase-js';
import { Redis } from '@upstash/redis/cloudflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoundTrip, SharedWrites } from './cache/round-trip.ts';
import { createLogger } from './log/logger.ts';
import { MemoryPredictionStore, PredictionLog, SupabasePredictionStore, type LogBatch } from './log/predictions.ts';
import { closedPortUrl, contractPeer, localRedis, OWNER, testGateway, type LocalRedis, type Peer } from './test-support.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';
const silent = createLogger('silent');

let redis: LocalRedis;
let peer: Peer;
beforeAll(async () => {
  [redis, peer] = await Promise.all([localRedis(), contractPeer()]);
});
afterAll(async () => {
  await Promise.all([redis.close(), peer.close()]);
});

const client = (url = redis.url) => new Redis({ url, token: redis.token, retry: false, automaticDeserialization: false, enableTelemetry: false });

function batch(i: number): LogBatch {
  const id = crypto.randomUUID();
  return {
    request_id: id,
    rows: [
      {
        request_id: id,
        client_request_id: null,
        item_index: 0,
        key_id: null,
        owner_id: OWNER,
        route: '/v1/detect',
        text_sha256: 'a'.repeat(64),
        text_length: 10 + i,
        detector: 'd',
        detector_version: '1',
        label: 'human',
        warnings: [],
        probability: 0.1,
        latency_ms: 5,
        cached: false,
        created_at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      },
    ],
    usage: null,
  };
}

describe('round trips to Redis per answer', () => {
  it('a miss reads the cache and charges the limits in one call, and writes after the answer in one more; a hit from the isolate makes one call', async () => {
    const gw = await testGateway({ INFERENCE_URLS: peer.url, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token });
    const detect = (tag: string) =>
      gw.app.request('/v1/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.pro}` },
        body: JSON.stringify({ text: `${TEXT} ${tag}` }),
      });
    // A Redis that has not run @upstash/ratelimit's scripts yet answers EVALSHA with NOSCRIPT and
    // the library sends the script itself (EVAL): one more call, once per script and Redis.
    await redis.command('SCRIPT', 'FLUSH');
    const cold = await redis.stats();
    expect((await detect('cold')).headers.get('x-cache')).toBe('MISS');
    await gw.settle();
    const warm = await redis.stats();
    expect(warm.requests - cold.requests).toBeGreaterThan(2);

    const miss = await detect('trips');
    expect(miss.status).toBe(200);
    expect(miss.headers.get('x-cache')).toBe('MISS');
    await gw.settle();
    const afterMiss = await redis.stats();
    // Four limit scripts (requests, texts and tokens per minute, the day) and the cache read in
    // the first call; the cache SET in the second.
    expect(afterMiss.requests - warm.requests).toBe(2);
    expect(afterMiss.commands - warm.commands).toBe(6);

    const hit = await detect('trips');
    expect(hit.headers.get('x-cache')).toBe('HIT');
    await gw.settle();
    const afterHit = await redis.stats();
    expect(afterHit.requests - afterMiss.requests).toBe(1);
    expect(afterHit.commands - afterMiss.commands).toBe(4);
  });

  it('answers from Redis what another isolate cached', async () => {
    const vars = { INFERENCE_URLS: peer.url, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token };
    const a = await testGateway(vars);
    // The same key in both, as two isolates of one deployment would have.
    const key = a.keys.pro;
    const b = await testGateway({ ...vars, STATIC_API_KEYS: `${key}:pro:${OWNER}` });
    const send = (gw: typeof a) =>
      gw.app.request('/v1/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ text: `${TEXT} shared` }),
      });
    expect((await send(a)).headers.get('x-cache')).toBe('MISS');
    await a.settle();
    expect((await send(b)).headers.get('x-cache')).toBe('HIT');
    expect(peer.requests.filter((r) => r.body.includes('shared'))).toHaveLength(1);
  });

  it('charges all windows or none: a batch over the daily quota spends nothing from the minute', async () => {
    const gw = await testGateway({
      INFERENCE_URLS: peer.url,
      UPSTASH_REDIS_REST_URL: redis.url,
      UPSTASH_REDIS_REST_TOKEN: redis.token,
      RATE_FREE_PER_DAY: '5',
      RATE_FREE_PER_MINUTE: '10',
      MAX_BATCH_TEXTS: '8',
    });
    const send = (n: number, tag: string) =>
      gw.app.request('/v1/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.keys.free}` },
        body: JSON.stringify({ texts: Array.from({ length: n }, (_, i) => `${TEXT} ${tag} ${i}`) }),
      });
    const first = await send(4, 'a');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    const refused = await send(4, 'b');
    expect(refused.status).toBe(429);
    expect((await refused.json<any>()).error.code).toBe('quota_exceeded');
    // The day had 1 text left and still has; the minute was not charged for the refusal.
    const one = await send(1, 'c');
    expect(one.status).toBe(200);
    expect(one.headers.get('ratelimit-remaining')).toBe('0');
    const used = async (pattern: string) => {
      const keys = ((await redis.command('KEYS', pattern)) as string[]).filter((k) => !/:minute:(texts|tokens):/.test(k) || pattern.includes(':texts:'));
      return (await Promise.all(keys.map((k) => redis.command('GET', k)))).map(Number).reduce((a, b) => a + b, 0);
    };
    // Requests and texts per minute count the two answered requests only: the refusal was refunded.
    expect(await used('rl:key:free:minute:*')).toBe(2);
    expect(await used('rl:key:free:minute:texts:*')).toBe(5);
    expect((await send(1, 'd')).status).toBe(429);
  });
});

describe('writes after the answer', () => {
  it('sends what several answers leave behind in one call', async () => {
    const writes = new SharedWrites(client(), 1000, 200);
    const before = await redis.stats();
    const replies: unknown[] = [];
    const sends = [0, 1, 2].map((i) => {
      const t = new RoundTrip(client());
      t.add((p) => p.set(`shared-writes:${i}`, String(i)), 1);
      return writes.send(t, async (r) => void replies.push(r));
    });
    // Only the first send opened the batch; it resolves once every part has had its replies.
    await sends[0];
    expect(replies).toEqual([[{ ok: true, value: 'OK' }], [{ ok: true, value: 'OK' }], [{ ok: true, value: 'OK' }]]);
    expect((await redis.stats()).requests - before.requests).toBe(1);
    expect(await redis.command('GET', 'shared-writes:2')).toBe('2');
  });
});

describe('prediction log through the spool', () => {
  const opts = { spoolFirst: true, drainDelayMs: 0, drainBatch: 3 };

  it('spools every record and drains them all to the store in batches', async () => {
    await redis.command('DEL', 'spool:predictions');
    const store = new MemoryPredictionStore(100);
    const log = new PredictionLog(store, client(), 1000, silent, opts);
    await Promise.all(Array.from({ length: 7 }, (_, i) => log.record(batch(i))));
    // A drain started by the first record may still be running when the last one resolves.
    for (let i = 0; i < 100 && (await store.history(OWNER, 100)).data.length < 7; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await store.history(OWNER, 100)).data).toHaveLength(7);
    expect(await redis.command('LLEN', 'spool:predictions')).toBe(0);
  });

  it('keeps every record in the spool while the store is down, and the next flush writes them', async () => {
    await redis.command('DEL', 'spool:predictions');
    // Node 20 has no WebSocket; realtime is never used here, it only has to be constructible.
    const realtime = { transport: (globalThis as { WebSocket?: unknown }).WebSocket ?? class {} } as never;
    const db = createClient(await closedPortUrl(), 'service-role-key', { auth: { persistSession: false }, realtime });
    const down = new SupabasePredictionStore(db, 500);
    const log = new PredictionLog(down, client(), 1000, silent, opts);
    await Promise.all(Array.from({ length: 4 }, (_, i) => log.record(batch(i))));
    expect(await redis.command('LLEN', 'spool:predictions')).toBe(4);

    const store = new MemoryPredictionStore(100);
    const cron = new PredictionLog(store, client(), 1000, silent);
    expect(await cron.flush(10)).toMatchObject({ flushed: 4, remaining: 0 });
    expect((await store.history(OWNER, 100)).data).toHaveLength(4);
  });

  it('writes straight to the store when Redis is unreachable', async () => {
    const store = new MemoryPredictionStore(100);
    const log = new PredictionLog(store, client(await closedPortUrl()), 500, silent, opts);
    await log.record(batch(0));
    expect((await store.history(OWNER, 100)).data).toHaveLength(1);
  });

  it('lets only one flusher at a time take the spool', async () => {
    await redis.command('DEL', 'spool:predictions');
    await redis.command('SET', 'spool:flush-lock', 'someone-else', 'EX', 60);
    try {
      await redis.command('RPUSH', 'spool:predictions', JSON.stringify(batch(0)));
      const store = new MemoryPredictionStore(100);
      const r = await new PredictionLog(store, client(), 1000, silent).flush(10);
      expect(r).toMatchObject({ flushed: 0, remaining: 1, locked: true });
      expect((await store.history(OWNER, 100)).data).toHaveLength(0);
    } finally {
      await redis.command('DEL', 'spool:flush-lock');
    }
  });
});
