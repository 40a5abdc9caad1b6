import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDatabase, type Database } from './database.ts';

const OWNER = '5b0e7c1a-9f3d-4e2b-8a6c-1d2f3e4a5b6c';

/** A prediction row as the gateway writes it through log_requests. */
function row(requestId: string, label: string, warnings: string[], created_at: string, extra: Record<string, unknown> = {}) {
  return {
    request_id: requestId,
    client_request_id: null,
    item_index: 0,
    key_id: extra.key_id ?? null,
    owner_id: OWNER,
    route: '/analyze',
    text_sha256: 'a'.repeat(64),
    text_length: 100,
    detector: 'tinylm-detector',
    detector_version: (extra.version as string) ?? 'v1',
    label,
    warnings,
    probability: 0.5,
    latency_ms: (extra.latency as number) ?? 10,
    cached: false,
    created_at,
  };
}

describe('history views and comments for operators', () => {
  let db: Database;
  let keyId: string;

  beforeAll(async () => {
    db = await startDatabase();
    keyId = db
      .psql(
        `insert into public.api_keys (prefix, key_hash, owner_id, name, tier) values ('abcdefghij', 'sha256:${'0'.repeat(64)}', '${OWNER}', 'ops test', 'pro') returning id`,
      )
      .trim()
      .split('\n')[0]!;
    const day1 = '2026-11-20T10:00:00Z';
    const day2 = '2026-11-21T10:00:00Z';
    const batches = [
      { request_id: 'r1', rows: [row('r1', 'ai', [], day1, { key_id: keyId })], usage: { key_id: keyId, day: '2026-11-20', texts: 1 } },
      {
        request_id: 'r2',
        rows: [row('r2', 'ai', ['normalized_evasion'], day1, { key_id: keyId, latency: 30 })],
        usage: { key_id: keyId, day: '2026-11-20', texts: 1 },
      },
      { request_id: 'r3', rows: [row('r3', 'uncertain', ['too_short'], day1, { key_id: keyId })], usage: { key_id: keyId, day: '2026-11-20', texts: 1 } },
      {
        request_id: 'r4',
        rows: [row('r4', 'uncertain', ['normalized_evasion', 'unsupported_language', 'too_short'], day2, { key_id: keyId, version: 'v2' })],
        usage: { key_id: keyId, day: '2026-11-21', texts: 1 },
      },
      { request_id: 'r5', rows: [row('r5', 'uncertain', [], day2, { key_id: keyId, version: 'v2' })], usage: { key_id: keyId, day: '2026-11-21', texts: 1 } },
      // A record spooled before warnings were logged: it has none, and is still written.
      {
        request_id: 'r6',
        rows: [(({ warnings: _w, ...r }) => r)(row('r6', 'human', [], day2, { key_id: keyId, version: 'v2' }))],
        usage: { key_id: keyId, day: '2026-11-21', texts: 1 },
      },
    ];
    const result = db.psql(`select public.log_requests('${JSON.stringify(batches)}'::jsonb)`).trim();
    expect(JSON.parse(result)).toEqual({ written: 6, dead_lettered: 0 });
  });
  afterAll(async () => {
    await db?.stop();
  });

  it('counts predictions per day, detector version and label', () => {
    const out = db.psql('select day, detector_version, label, predictions, median_latency_ms from public.prediction_daily order by 1, 2, 3').trim().split('\n');
    expect(out).toEqual(['2026-11-20|v1|ai|2|20', '2026-11-20|v1|uncertain|1|10', '2026-11-21|v2|human|1|10', '2026-11-21|v2|uncertain|2|10']);
  });

  it('lists abstentions with their reasons, and the band between thresholds when there is none', () => {
    const out = db.psql("select request_id, array_to_string(reasons, ',') from public.prediction_abstentions order by request_id").trim().split('\n');
    expect(out).toEqual(['r3|too_short', 'r4|too_short,unsupported_language', 'r5|between_thresholds']);
    const daily = db.psql('select day, detector_version, reason, abstentions from public.abstention_reasons_daily order by 1, 3').trim().split('\n');
    expect(daily).toEqual([
      '2026-11-20|v1|too_short|1',
      '2026-11-21|v2|between_thresholds|1',
      '2026-11-21|v2|too_short|1',
      '2026-11-21|v2|unsupported_language|1',
    ]);
    expect(db.psql("select array_length(warnings, 1) is null from public.predictions where request_id = 'r6'").trim()).toBe('t');
  });

  it('shows usage per key with what identifies the key, never its hash', () => {
    expect(db.psql('select day, prefix, name, tier, requests, texts from public.usage_by_key order by day').trim().split('\n')).toEqual([
      '2026-11-20|abcdefghij|ops test|pro|3|3',
      '2026-11-21|abcdefghij|ops test|pro|3|3',
    ]);
    const columns = db.psql("select string_agg(column_name, ',') from information_schema.columns where table_name = 'usage_by_key'").trim();
    expect(columns).not.toContain('key_hash');
  });

  it("lets only the service role read the views, which run with the caller's rights (security_invoker)", async () => {
    for (const view of ['prediction_daily', 'prediction_abstentions', 'abstention_reasons_daily', 'usage_by_key']) {
      const options = db.psql(`select array_to_string(reloptions, ',') from pg_class where relname = '${view}'`).trim();
      expect(options, view).toBe('security_invoker=true');
      const service = await fetch(`${db.supabaseUrl}/rest/v1/${view}?select=*`, { headers: { authorization: `Bearer ${db.serviceRoleKey}` } });
      expect(service.status, view).toBe(200);
      expect(((await service.json()) as unknown[]).length, view).toBeGreaterThan(0);
      const anon = await fetch(`${db.supabaseUrl}/rest/v1/${view}?select=*`);
      expect(anon.status, view).toBe(401);
      expect(db.psql(`select has_table_privilege('authenticated', 'public.${view}', 'select')`).trim(), view).toBe('f');
    }
  });

  it('describes the prediction tables and columns in comments the dashboard shows', () => {
    expect(db.psql("select obj_description('public.predictions'::regclass, 'pg_class')").trim()).toMatch(/One row per scored text/);
    const undocumented = db
      .psql(
        `select string_agg(a.attname, ',') from pg_attribute a
         where a.attrelid = 'public.predictions'::regclass and a.attnum > 0 and not a.attisdropped
           and col_description(a.attrelid, a.attnum) is null`,
      )
      .trim();
    expect(undocumented).toBe('');
    for (const view of ['prediction_daily', 'prediction_abstentions', 'abstention_reasons_daily', 'usage_by_key']) {
      expect(db.psql(`select obj_description('public.${view}'::regclass, 'pg_class') is not null`).trim(), view).toBe('t');
    }
  });
});
