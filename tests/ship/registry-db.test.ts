import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDatabase, type Database } from './database.ts';
import { ROOT, runCommand } from './support.ts';

const DETECTOR = path.join(ROOT, 'inference-container/detectors/tinylm-detector.json');
const PACK = path.join(ROOT, 'inference-container/models/tinylm-en-v1');

describe('registry tables and `pnpm registry`', () => {
  let db: Database;
  let tmp: string;
  const registry = (...args: string[]) =>
    runCommand(process.execPath, ['--import', 'tsx', 'registry/src/cli.ts', ...args], {
      env: { ...process.env, SUPABASE_URL: db.supabaseUrl, SUPABASE_SERVICE_ROLE_KEY: db.serviceRoleKey },
    });

  beforeAll(async () => {
    db = await startDatabase();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-db-'));
  });
  afterAll(async () => {
    await db?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('add-pack records the pack with its sha256, files and location', async () => {
    const r = await registry('add-pack', PACK, '--location', 's3://models/prod/packs/tinylm-en-v1/');
    expect(r.code, r.stderr).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(PACK, 'manifest.json'), 'utf8'));
    expect(db.psql("select sha256, location, hidden_size, max_tokens from public.models where name = 'tinylm-en-v1'").trim()).toBe(
      `${manifest.model_sha256}|s3://models/prod/packs/tinylm-en-v1/|256|512`,
    );
    expect(db.psql("select manifest->>'num_layers' from public.models where name = 'tinylm-en-v1'").trim()).toBe('8');
  });

  it('add-detector records a version with its sha256, thresholds and metrics, and makes it live', async () => {
    const r = await registry('add-detector', DETECTOR, '--live');
    expect(r.code, r.stderr).toBe(0);
    const { createHash } = await import('node:crypto');
    const sha = createHash('sha256').update(fs.readFileSync(DETECTOR)).digest('hex');
    const d = JSON.parse(fs.readFileSync(DETECTOR, 'utf8'));
    expect(
      db
        .psql(
          `select sha256, is_live, (profile_thresholds->'strict'->>'score')::float8 from public.detectors where name = '${d.name}' and version = '${d.version}'`,
        )
        .trim(),
    ).toBe(`${sha}|t|${d.thresholds.strict.score}`);
  });

  it('a new version goes live and the old one can be rolled back to', async () => {
    const d = JSON.parse(fs.readFileSync(DETECTOR, 'utf8'));
    const v2 = path.join(tmp, 'v2.json');
    fs.writeFileSync(v2, JSON.stringify({ ...d, version: 'v2-candidate' }));
    expect((await registry('add-detector', v2, '--live', '--location', 's3://models/prod/detectors/tinylm-detector/v2-candidate.json')).code).toBe(0);
    expect(db.psql(`select version from public.detectors where name = '${d.name}' and is_live`).trim()).toBe('v2-candidate');

    const back = await registry('set-live', d.name, d.version);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout)).toEqual({ previous: 'v2-candidate' });
    expect(
      db
        .psql(`select version || ':' || is_live || ':' || (retired_at is not null) from public.detectors where name = '${d.name}' order by version`)
        .trim()
        .split('\n'),
    ).toEqual([`${d.version}:true:false`, 'v2-candidate:false:true']);
  });

  it('refuses to make an unregistered version live, and a second live row', async () => {
    const r = await registry('set-live', 'tinylm-detector', 'no-such-version');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not registered');
    expect(() => db.psql("update public.detectors set is_live = true where name = 'tinylm-detector'")).toThrow(/detectors_one_live_idx/);
    expect(() => db.psql("update public.models set sha256 = 'abc' where name = 'tinylm-en-v1'")).toThrow(/models_sha256_format/);
  });

  it('keeps the catalogue readable to anonymous callers and the live switch for the service role only', () => {
    expect(db.psql("select has_table_privilege('anon', 'public.detectors', 'select')").trim()).toBe('t');
    expect(db.psql("select has_function_privilege('anon', 'public.set_live_detector(text, text)', 'execute')").trim()).toBe('f');
    expect(db.psql("select has_function_privilege('service_role', 'public.set_live_detector(text, text)', 'execute')").trim()).toBe('t');
  });

  it('the retention function the daily job calls deletes only old predictions', () => {
    db.psql(`insert into public.predictions (request_id, route, text_sha256, text_length, detector, detector_version, label, probability, latency_ms, cached, created_at)
      values ('old', '/v1/detect', repeat('a', 64), 10, 'd', 'v', 'ai', 0.9, 5, false, now() - interval '100 days'),
             ('new', '/v1/detect', repeat('b', 64), 10, 'd', 'v', 'ai', 0.9, 5, false, now())`);
    expect(db.psql("select public.prune_predictions(interval '90 days')").trim()).toBe('1');
    expect(db.psql('select request_id from public.predictions').trim()).toBe('new');
  });
});
