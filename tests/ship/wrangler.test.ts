import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../edge/src/config.ts';
import { ROOT, runCommand } from './support.ts';

const WRANGLER = path.join(ROOT, 'edge/node_modules/wrangler/bin/wrangler.js');
const SECRETS = ['UPSTASH_REDIS_REST_TOKEN', 'SUPABASE_SERVICE_ROLE_KEY', 'API_KEY_PEPPER', 'HF_API_TOKEN'];
const ENVS = ['development', 'production'] as const;

const text = fs.readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
interface EnvConfig {
  name: string;
  triggers: { crons: string[] };
  vars: Record<string, string>;
}
const toml = parse(text) as unknown as { triggers: { crons: string[] }; env: Record<string, EnvConfig> };

describe('wrangler.toml environments', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wrangler-dry-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it.each(ENVS)('%s keeps the cron trigger and has vars the gateway accepts, and no secrets', (env) => {
    const e = toml.env[env]!;
    expect(e.triggers.crons).toEqual(toml.triggers.crons);
    expect(e.name).toMatch(/^ai-text-detector-gateway/);
    for (const s of SECRETS) {
      expect(Object.keys(e.vars)).not.toContain(s);
      expect(text).toContain(`wrangler secret put ${s}`);
    }
    // The same schema the Worker validates its env with on the first request.
    const parsed = configSchema.safeParse({ ...e.vars, UPSTASH_REDIS_REST_TOKEN: 'set-as-secret', SUPABASE_SERVICE_ROLE_KEY: 'set-as-secret' });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it('production and development deploy under different Worker names', () => {
    expect(toml.env.production!.name).not.toBe(toml.env.development!.name);
  });

  it.each(ENVS)('`wrangler deploy --dry-run --env %s` bundles the Worker', async (env) => {
    const dir = path.join(out, env);
    const r = await runCommand(process.execPath, [WRANGLER, 'deploy', '--dry-run', '--outdir', dir, '--config', 'wrangler.toml', '--env', env], {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('--dry-run: exiting now.');
    for (const [k, v] of Object.entries(toml.env[env]!.vars)) expect(r.stdout).toContain(`env.${k} ("${v.length > 30 ? v.slice(0, 30) : v}`);
    expect(fs.statSync(path.join(dir, 'index.js')).size).toBeGreaterThan(100_000);
  });
});
