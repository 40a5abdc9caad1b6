import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'smol-toml';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../edge/src/config.ts';
import { ROOT, runCommand } from './support.ts';

const WRANGLER = path.join(ROOT, 'edge/node_modules/wrangler/bin/wrangler.js');
const SECRETS = ['UPSTASH_REDIS_REST_TOKEN', 'SUPABASE_SERVICE_ROLE_KEY', 'API_KEY_PEPPER', 'INFERENCE_TOKEN', 'HF_API_TOKEN'];
// What `wrangler secret put` gives a deployed Worker; production refuses to start without the last two.
const SECRET_VALUES = {
  UPSTASH_REDIS_REST_TOKEN: 'set-as-secret',
  SUPABASE_SERVICE_ROLE_KEY: 'set-as-secret',
  API_KEY_PEPPER: 'set-as-secret-'.repeat(3),
  INFERENCE_TOKEN: 'set-as-secret-'.repeat(3),
};
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
    const parsed = configSchema.safeParse({ ...e.vars, ...SECRET_VALUES });
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(parsed.data?.ENVIRONMENT).toBe('production');
    // A deployment without its pepper or inference token is refused, naming what is missing.
    const { API_KEY_PEPPER: _p, INFERENCE_TOKEN: _t, ...withoutSecrets } = SECRET_VALUES;
    const refused = configSchema.safeParse({ ...e.vars, ...withoutSecrets });
    expect(refused.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['API_KEY_PEPPER', 'INFERENCE_TOKEN']);
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
