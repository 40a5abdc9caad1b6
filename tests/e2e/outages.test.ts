import { describe, expect, it } from 'vitest';
import { inferenceName, restartComponent, stopComponent } from '../../scripts/stack/stack.ts';
import { auth, createKey, eventually, gateway, post, sampleText, sql, stack } from '../support/client.ts';

describe('outages', () => {
  it('keeps answering while PostgREST is down and writes the rows after the spool flush', async () => {
    const k = createKey();
    // Warm the key cache first: an unknown key cannot be checked while the database is away.
    expect((await post('/v1/detect', { text: sampleText(`warm ${crypto.randomUUID()}`) }, auth(k.key))).status).toBe(200);

    await stopComponent(stack().dir, 'postgrest');
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const res = await post('/v1/detect', { text: sampleText(`outage ${i} ${crypto.randomUUID()}`) }, auth(k.key));
        expect(res.status).toBe(200);
        ids.push(res.headers.get('x-request-id')!);
      }
      const placeholders = ids.map((_, i) => `$${i + 1}`).join(',');
      // Give the background writes time to fail over to the spool before checking nothing landed.
      await eventually(async () => {
        const res = await fetch(`${stack().env.UPSTASH_REDIS_REST_URL}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack().env.UPSTASH_REDIS_REST_TOKEN}` },
          body: JSON.stringify(['LLEN', 'spool:predictions']),
        });
        const { result } = (await res.json()) as { result: number };
        return result >= 3 ? result : null;
      }, 'three spooled entries');
      expect(await sql(`select 1 from predictions where request_id in (${placeholders})`, ids)).toHaveLength(0);

      await restartComponent(stack().dir, 'postgrest', 30_000);
      const flush = await fetch(`${gateway()}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
      expect(flush.status).toBe(200);
      const rows = await eventually(async () => {
        const r = await sql<{ request_id: string }>(`select request_id from predictions where request_id in (${placeholders})`, ids);
        return r.length === 3 ? r : null;
      }, 'the spooled rows in Postgres');
      expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));
      const usage = await sql<{ requests: number }>('select requests from usage where key_id = $1', [k.id]);
      expect(usage[0]!.requests).toBe(4);
    } finally {
      await restartComponent(stack().dir, 'postgrest', 30_000).catch(() => undefined);
    }
  });

  it('keeps answering while Redis is down and writes the records straight to Postgres', async () => {
    const k = createKey();
    expect((await post('/v1/detect', { text: sampleText(`warm ${crypto.randomUUID()}`) }, auth(k.key))).status).toBe(200);
    await stopComponent(stack().dir, 'redis');
    const ids: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        // Keyed routes fail open on Redis (the isolate's own limits); the cache is skipped.
        const res = await post('/v1/detect', { text: sampleText(`redis down ${i} ${crypto.randomUUID()}`) }, auth(k.key));
        expect(res.status).toBe(200);
        ids.push(res.headers.get('x-request-id')!);
      }
      const placeholders = ids.map((_, i) => `$${i + 1}`).join(',');
      const rows = await eventually(async () => {
        const r = await sql<{ request_id: string }>(`select request_id from predictions where request_id in (${placeholders})`, ids);
        return r.length === 3 ? r : null;
      }, 'the rows written while Redis was down');
      expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));
    } finally {
      await restartComponent(stack().dir, 'redis', 30_000);
    }
  });

  it('answers 503 with Retry-After when no inference backend is up', async () => {
    const k = createKey();
    const replicas = stack()
      .env.INFERENCE_URLS!.split(',')
      .map((_, i) => inferenceName(i));
    for (const name of replicas) await stopComponent(stack().dir, name);
    try {
      const res = await post('/v1/detect', { text: sampleText(`down ${crypto.randomUUID()}`) }, auth(k.key));
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await res.json()).error.code).toBe('backend_unavailable');
      const ready = await fetch(`${gateway()}/ready`, { headers: { authorization: `Bearer ${stack().env.OPERATOR_TOKEN}` } });
      expect(ready.status).toBe(503);
      expect((await ready.json()).backends.every((b: { ready: boolean }) => !b.ready)).toBe(true);
    } finally {
      await Promise.all(replicas.map((name) => restartComponent(stack().dir, name)));
    }
    // The breaker closes again after its cooldown once the health probe passes.
    const back = await eventually(
      async () => {
        const res = await post('/v1/detect', { text: sampleText(`back ${crypto.randomUUID()}`) }, auth(k.key));
        return res.status === 200 ? res : null;
      },
      'the backend to be used again',
      30_000,
    );
    expect((await back.json()).result.label).toEqual(expect.any(String));
  });
});
