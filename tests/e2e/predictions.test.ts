import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { asAuthenticated, auth, createKey, eventually, gateway, post, sampleText, sql } from '../support/client.ts';

describe('prediction log and history', () => {
  it('writes every answered detection to Postgres', async () => {
    const k = createKey();
    const text = sampleText(`log ${crypto.randomUUID()}`);
    const res = await post('/v1/detect', { text }, auth(k.key));
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id')!;
    const body = await res.json();
    const rows = await eventually(async () => {
      const r = await sql('select * from predictions where request_id = $1', [requestId]);
      return r.length ? r : null;
    }, 'the prediction row');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      key_id: k.id,
      owner_id: k.owner_id,
      route: '/v1/detect',
      text_sha256: createHash('sha256').update(text).digest('hex'),
      text_length: text.length,
      detector: body.result.detector.name,
      detector_version: body.result.detector.version,
      label: body.result.label,
      cached: false,
    });
    expect(rows[0]!.probability).toBeCloseTo(body.result.probability, 6);
    const usage = await eventually(async () => {
      const u = await sql<{ requests: number; texts: number }>('select requests, texts from usage where key_id = $1', [k.id]);
      return u.length ? u : null;
    }, 'the usage row');
    expect(usage[0]).toEqual({ requests: 1, texts: 1 });
  });

  it('logs one row per batch item, and none for items that failed', async () => {
    const k = createKey();
    const res = await post('/v1/detect', { texts: [sampleText(`b1 ${crypto.randomUUID()}`), ' ', sampleText(`b2 ${crypto.randomUUID()}`)] }, auth(k.key));
    const requestId = res.headers.get('x-request-id')!;
    const rows = await eventually(async () => {
      const r = await sql<{ item_index: number }>('select item_index from predictions where request_id = $1 order by item_index', [requestId]);
      return r.length === 2 ? r : null;
    }, 'two batch rows');
    expect(rows.map((r) => r.item_index)).toEqual([0, 2]);
  });

  it("pages through the caller's own history only", async () => {
    const mine = createKey();
    const theirs = createKey();
    for (let i = 0; i < 3; i++) await post('/v1/detect', { text: sampleText(`mine ${i} ${crypto.randomUUID()}`) }, auth(mine.key));
    await post('/v1/detect', { text: sampleText(`theirs ${crypto.randomUUID()}`) }, auth(theirs.key));
    await eventually(async () => {
      const r = await sql<{ n: string }>('select count(*) as n from predictions where owner_id = $1', [mine.owner_id]);
      return Number(r[0]!.n) === 3 ? true : null;
    }, 'three rows for the owner');

    const page1 = await (await fetch(`${gateway()}/v1/predictions?limit=2`, { headers: auth(mine.key) })).json();
    expect(page1.data).toHaveLength(2);
    expect(page1.next_cursor).toEqual(expect.any(String));
    const page2 = await (
      await fetch(`${gateway()}/v1/predictions?limit=2&cursor=${encodeURIComponent(page1.next_cursor)}`, { headers: auth(mine.key) })
    ).json();
    expect(page2.data).toHaveLength(1);
    expect(page2.next_cursor).toBeNull();
    const all = [...page1.data, ...page2.data];
    expect(new Set(all.map((r: { request_id: string }) => r.request_id)).size).toBe(3);
    expect(all.every((r: { owner_id: string }) => r.owner_id === mine.owner_id)).toBe(true);

    const usage = await (await fetch(`${gateway()}/v1/usage`, { headers: auth(mine.key) })).json();
    expect(usage).toMatchObject({ key: mine.prefix, tier: 'pro' });
    expect(usage.days[0]).toMatchObject({ requests: 3, texts: 3 });
  });

  it('keeps other owners out at the database too (row-level security)', async () => {
    const k = createKey();
    await post('/v1/detect', { text: sampleText(`rls ${crypto.randomUUID()}`) }, auth(k.key));
    await eventually(async () => ((await sql('select 1 from predictions where owner_id = $1', [k.owner_id])).length ? true : null), 'a row');
    const total = Number((await sql<{ n: string }>('select count(*) as n from predictions'))[0]!.n);
    const visible = await asAuthenticated(k.owner_id, async (q) => {
      const rows = await q<{ owner_id: string }>('select owner_id from predictions');
      return rows;
    });
    expect(total).toBeGreaterThan(visible.length);
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.every((r) => r.owner_id === k.owner_id)).toBe(true);
    await expect(asAuthenticated(k.owner_id, (q) => q('select key_hash from api_keys'))).rejects.toThrow(/permission denied/);
    await expect(asAuthenticated(k.owner_id, (q) => q(`insert into usage (key_id, day) values ('${k.id}', current_date)`))).rejects.toThrow(
      /permission denied|row-level security/,
    );
  });

  it('stores and counts a spooled record once even when it is delivered twice', async () => {
    const k = createKey();
    const requestId = crypto.randomUUID();
    const batch = {
      request_id: requestId,
      rows: [
        {
          request_id: requestId,
          item_index: 0,
          key_id: k.id,
          owner_id: k.owner_id,
          route: '/v1/detect',
          text_sha256: 'a'.repeat(64),
          text_length: 10,
          detector: 'd',
          detector_version: '1',
          label: 'human',
          probability: 0.1,
          latency_ms: 5,
          cached: false,
          created_at: new Date().toISOString(),
        },
      ],
      usage: { key_id: k.id, day: new Date().toISOString().slice(0, 10), texts: 1 },
    };
    for (let i = 0; i < 2; i++) await sql('select public.log_requests($1::jsonb)', [JSON.stringify([batch])]);
    expect(await sql('select 1 from predictions where request_id = $1', [requestId])).toHaveLength(1);
    expect(await sql('select requests, texts from usage where key_id = $1', [k.id])).toEqual([{ requests: 1, texts: 1 }]);
  });
});
