/**
 * Regression tests for the attacks and faults of issue 11 that belong to the gateway, the contract
 * and the local stack, each against the real processes of the test stack.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { RespClient, RespError } from '../../scripts/stack/resp.ts';
import { restartComponent, stopComponent } from '../../scripts/stack/stack.ts';
import { auth, createKey, eventually, gateway, post, sampleText, sql, stack } from '../support/client.ts';
import { FREE_TEXTS_PER_DAY } from '../support/limits.ts';

async function redisRest(command: Array<string | number>): Promise<unknown> {
  const res = await fetch(stack().env.UPSTASH_REDIS_REST_URL!, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack().env.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(command),
  });
  return ((await res.json()) as { result: unknown }).result;
}

const flush = () => fetch(`${gateway()}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);

describe('history cursors', () => {
  it('refuses crafted cursors with 400 invalid_cursor before anything reaches PostgREST', async () => {
    const k = createKey();
    const crafted = [
      // The old format (base64 of created_at|request_id|item_index) carrying filter syntax.
      Buffer.from('2030-01-01T00:00:00Z|x),owner_id.neq.00000000-0000-0000-0000-000000000000,and(id.gt.0|0').toString('base64'),
      Buffer.from('2030-01-01T00:00:00Z|a"b\\|0').toString('base64'),
      'eyJ0IjoiMjAzMC0wMS0wMVQwMDowMDowMFoiLCJyIjoieCIsImkiOjB9.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'x'.repeat(5000),
    ];
    for (const cursor of crafted) {
      const res = await fetch(`${gateway()}/v1/predictions?cursor=${encodeURIComponent(cursor)}`, { headers: auth(k.key) });
      const body = await res.json();
      expect(res.status, cursor.slice(0, 30)).toBe(400);
      expect(body.error.code).toBe('invalid_cursor');
      expect(JSON.stringify(body)).not.toMatch(/PGRST|parse|syntax|failed/i);
    }
  });

  it('pages through rows whose request ids hold filter syntax (stored before ids were the gateway’s own)', async () => {
    const k = createKey();
    const at = new Date().toISOString();
    const odd = ['a,b', 'c)d', 'e"f', 'g\\h', 'and(x.eq.1)'];
    for (const [i, id] of odd.entries()) {
      await sql(
        `insert into predictions (request_id, item_index, key_id, owner_id, route, text_sha256, text_length, detector, detector_version, label, probability, latency_ms, cached, created_at)
         values ($1, 0, $2, $3, '/v1/detect', $4, 1, 'd', '1', 'human', 0.1, 1, false, $5)`,
        [`legacy ${id}`, k.id, k.owner_id, String(i).repeat(64).slice(0, 64), at],
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      // One row a page: every row, commas and parentheses included, becomes a cursor position.
      const url: string = `${gateway()}/v1/predictions?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await fetch(url, { headers: auth(k.key) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: Array<{ request_id: string }>; next_cursor: string | null };
      seen.push(...body.data.map((r) => r.request_id));
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    expect(seen.sort()).toEqual(odd.map((id) => `legacy ${id}`).sort());
  });
});

describe('request ids are the gateway’s own', () => {
  it('records every request and its texts, though callers (two tenants) repeat one X-Request-Id', async () => {
    const a = createKey();
    const b = createKey();
    const shared = `shared-${crypto.randomUUID()}`;
    const ids: string[] = [];
    for (const [i, k] of [a, a, a, a, b].entries()) {
      const res = await post(
        '/v1/detect',
        { texts: [sampleText(`dup ${i} a ${shared}`), sampleText(`dup ${i} b ${shared}`)] },
        { ...auth(k.key), 'x-request-id': shared },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get('x-client-request-id')).toBe(shared);
      ids.push(res.headers.get('x-request-id')!);
    }
    expect(new Set(ids).size).toBe(5);
    expect(ids).not.toContain(shared);
    const rows = await eventually(async () => {
      const r = await sql<{ owner_id: string }>('select owner_id from predictions where client_request_id = $1', [shared]);
      return r.length === 10 ? r : null;
    }, 'ten rows tagged with the caller id');
    expect(rows.filter((r) => r.owner_id === b.owner_id)).toHaveLength(2);
    const usage = await eventually(async () => {
      const u = await sql<{ key_id: string; requests: number; texts: number }>('select key_id, requests, texts from usage where key_id = any($1::uuid[])', [
        [a.id, b.id],
      ]);
      return u.length === 2 ? u : null;
    }, 'usage for both keys');
    expect(usage.find((u) => u.key_id === a.id)).toMatchObject({ requests: 4, texts: 8 });
    expect(usage.find((u) => u.key_id === b.id)).toMatchObject({ requests: 1, texts: 2 });
  });
});

describe('input rules', () => {
  it('reads a negative legacy layer from the end', async () => {
    const k = createKey();
    for (const [p, body] of [
      ['/v1/detect', { text: sampleText('layer -1'), model_name: 'tinylm-en-v1', layer: -1 }],
      ['/analyze', { text: sampleText('layer -1 analyze'), layer: -1 }],
    ] as const) {
      const res = await post(p, body, auth(k.key));
      expect(res.status, p).toBe(200);
    }
  });
});

describe('daily quota', () => {
  it(`counts texts: a free key scores ${FREE_TEXTS_PER_DAY} texts a day however they are batched`, async () => {
    const k = createKey({ tier: 'free' });
    const batch = (n: number, tag: string) => post('/v1/detect', { texts: Array.from({ length: n }, (_, i) => `quota ${tag} ${i} ${k.prefix}`) }, auth(k.key));
    expect((await batch(8, 'a')).status).toBe(200);
    expect((await batch(8, 'b')).status).toBe(200);
    const over = await batch(8, 'c');
    expect(over.status).toBe(429);
    expect((await over.json()).error.code).toBe('quota_exceeded');
    // The refused batch spent nothing: the last four texts still fit.
    expect((await batch(4, 'd')).status).toBe(200);
    expect((await batch(1, 'e')).status).toBe(429);
  });
});

describe('the inference service', () => {
  it('answers only callers with the gateway token, and still answers probes', async () => {
    const { INFERENCE_URL, INFERENCE_TOKEN } = stack().env;
    expect(INFERENCE_TOKEN).toMatch(/^[0-9a-f]{64}$/);
    const detect = (headers: Record<string, string>) =>
      fetch(`${INFERENCE_URL}/v1/detect`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ text: sampleText('direct') }),
      });
    const anonymous = await detect({});
    expect(anonymous.status).toBe(401);
    expect((await anonymous.json()).error.code).toBe('unauthorized');
    expect((await detect({ authorization: 'Bearer not-the-token' })).status).toBe(401);
    expect((await detect({ authorization: `Bearer ${INFERENCE_TOKEN}` })).status).toBe(200);
    expect((await fetch(`${INFERENCE_URL}/health`)).status).toBe(200);
    expect((await fetch(`${INFERENCE_URL}/ready`)).status).toBe(200);
  });
});

describe('the prediction spool', () => {
  it('sets aside records the database refuses and writes the rest, so the flush never blocks', async () => {
    const victim = createKey();
    const bystander = createKey();
    for (const k of [victim, bystander]) expect((await post('/v1/detect', { text: sampleText(`warm ${crypto.randomUUID()}`) }, auth(k.key))).status).toBe(200);

    await stopComponent(stack().dir, 'postgrest');
    const ids = { victim: [] as string[], bystander: [] as string[] };
    try {
      for (const [who, k] of [
        ['victim', victim],
        ['bystander', bystander],
        ['victim', victim],
        ['bystander', bystander],
      ] as const) {
        const res = await post('/v1/detect', { text: sampleText(`spooled ${who} ${crypto.randomUUID()}`) }, auth(k.key));
        expect(res.status).toBe(200);
        ids[who].push(res.headers.get('x-request-id')!);
      }
      await eventually(async () => ((await redisRest(['LLEN', 'spool:predictions'])) as number) >= 4 || null, 'four spooled entries');
      // Deleted, not revoked, while its records wait: they now break the foreign key.
      await sql('delete from api_keys where id = $1', [victim.id]);
      // And an entry that is not even JSON.
      await redisRest(['RPUSH', 'spool:predictions', '{not json']);
    } finally {
      await restartComponent(stack().dir, 'postgrest', 30_000);
    }

    expect((await flush()).status).toBe(200);
    const written = await sql<{ request_id: string }>('select request_id from predictions where request_id = any($1)', [ids.bystander]);
    expect(written).toHaveLength(2);
    const dead = await sql<{ request_id: string; reason: string; sqlstate: string }>(
      'select request_id, reason, sqlstate from prediction_dead_letters where request_id = any($1)',
      [ids.victim],
    );
    expect(dead).toHaveLength(2);
    for (const d of dead) {
      expect(d.sqlstate).toBe('23503');
      expect(d.reason).toMatch(/foreign key/);
    }
    expect(await sql('select 1 from prediction_dead_letters where batch = $1::jsonb', [JSON.stringify('{not json')])).toHaveLength(1);
    expect(await redisRest(['LLEN', 'spool:predictions'])).toBe(0);
    // The next run has nothing left to trip over.
    expect((await flush()).status).toBe(200);
  });
});

describe('the local stack', () => {
  it('keeps its state file and folder to their owner', () => {
    expect(statSync(path.join(stack().dir, 'state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(stack().dir).mode & 0o777).toBe(0o700);
  });

  it('runs Postgres with password authentication and durable settings', async () => {
    const url = new URL(stack().env.DATABASE_URL!);
    expect(url.password).toMatch(/^[0-9a-f]{48}$/);
    for (const [user, password] of [
      ['postgres', 'wrong'],
      ['authenticator', 'wrong'],
    ]) {
      const c = new pg.Client({ host: url.hostname, port: Number(url.port), database: 'postgres', user, password });
      await expect(c.connect()).rejects.toThrow(/password authentication failed/);
      await c.end().catch(() => undefined);
    }
    const settings = await sql<{ name: string; setting: string }>(
      `select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'full_page_writes') order by name`,
    );
    expect(settings).toEqual([
      { name: 'fsync', setting: 'on' },
      { name: 'full_page_writes', setting: 'on' },
      { name: 'synchronous_commit', setting: 'on' },
    ]);
    const hba = await sql<{ auth_method: string }>('select distinct auth_method from pg_hba_file_rules');
    expect(hba.map((r) => r.auth_method)).toEqual(['scram-sha-256']);
  });

  it('runs Redis with a password', async () => {
    const url = new URL(stack().env.REDIS_URL!);
    const anonymous = await RespClient.connect(Number(url.port));
    const [reply] = await anonymous.send([['PING']]);
    expect(reply).toBeInstanceOf(RespError);
    expect((reply as RespError).message).toMatch(/NOAUTH/);
    anonymous.close();
    const authed = await RespClient.connect(Number(url.port), '127.0.0.1', decodeURIComponent(url.password));
    expect(await authed.send([['PING']])).toEqual(['PONG']);
    authed.close();
  });
});
