/**
 * pnpm keys create --tier free [--owner <uuid>] [--name <label>] [--scopes detect,extract,history] [--test]
 * pnpm keys revoke <prefix>
 * pnpm keys list [--owner <uuid>]
 *
 * Talks to Supabase (SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY) and hashes with API_KEY_PEPPER,
 * the same values the gateway has. Without them in the environment it reads what a running
 * `pnpm stack up` or `pnpm start` wrote (see stackEnv), so it works against either as is.
 * The key is printed once and never stored.
 */
import { createClient } from '@supabase/supabase-js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateApiKey, hashApiKey } from '../src/auth/api-key.ts';
import { SCOPES } from '../src/auth/key-store.ts';
import { TIERS } from '../src/config.ts';

/**
 * The settings a running local stack or `pnpm start` wrote for tools: `.stack/env` (pnpm stack up),
 * else DATA_DIR/env (pnpm start; DATA_DIR defaults to .data). Both are removed when they stop.
 */
function stackEnv(): Record<string, string> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const files = [path.join(root, '.stack/env'), path.join(path.resolve(root, process.env.DATA_DIR || '.data'), 'env')];
  const file = files.find((f) => existsSync(f));
  if (!file) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  }
  return out;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
  throw new Error(message);
}

const fallback = stackEnv();
const setting = (name: string) => process.env[name] ?? fallback[name];
const url = setting('SUPABASE_URL');
const serviceKey = setting('SUPABASE_SERVICE_ROLE_KEY');
const pepper = setting('API_KEY_PEPPER') ?? '';
if (!url || !serviceKey) fail('set SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY (or run `pnpm start` or `pnpm stack up` first)');
// Node 20 has no global WebSocket and realtime-js insists on one at construction; this tool
// never subscribes, so a transport that refuses to connect is enough.
class NoRealtime {
  constructor() {
    throw new Error('realtime is not used by this tool');
  }
}
const db = createClient(url, serviceKey, {
  auth: { persistSession: false, autoRefreshToken: false },
  realtime: { transport: NoRealtime as never },
});

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    tier: { type: 'string', default: 'free' },
    owner: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string', default: SCOPES.join(',') },
    test: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const [command, arg] = positionals;

switch (command) {
  case 'create': {
    if (!(TIERS as readonly string[]).includes(values.tier!)) fail(`--tier must be one of ${TIERS.join(', ')}`);
    const scopes = values
      .scopes!.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length) fail(`unknown scopes: ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
    const owner = values.owner ?? crypto.randomUUID();
    const key = generateApiKey(values.test ? 'test' : 'live');
    const { data, error } = await db
      .from('api_keys')
      .insert({ prefix: key.prefix, key_hash: await hashApiKey(key.key, pepper), owner_id: owner, tier: values.tier, scopes, name: values.name ?? null })
      .select('id')
      .single<{ id: string }>();
    if (error) fail(`could not create the key: ${error.message}`);
    if (values.json) console.log(JSON.stringify({ key: key.key, prefix: key.prefix, id: data.id, owner_id: owner, tier: values.tier, scopes }));
    else {
      console.log(key.key);
      console.error(`prefix ${key.prefix}, tier ${values.tier}, owner ${owner}, scopes ${scopes.join(',')}; the key is shown only now`);
    }
    break;
  }
  case 'revoke': {
    if (!arg) fail('usage: pnpm keys revoke <prefix>');
    const { data, error } = await db
      .from('api_keys')
      .update({ revoked_at: new Date().toISOString() })
      .eq('prefix', arg)
      .is('revoked_at', null)
      .select('prefix');
    if (error) fail(`could not revoke: ${error.message}`);
    if (!data?.length) fail(`no active key with prefix ${arg}`);
    console.log(`revoked ${arg} (gateways stop accepting it within KEY_CACHE_TTL_MS)`);
    break;
  }
  case 'list': {
    let q = db.from('api_keys').select('prefix,owner_id,tier,scopes,name,created_at,revoked_at').order('created_at');
    if (values.owner) q = q.eq('owner_id', values.owner);
    const { data, error } = await q;
    if (error) fail(`could not list: ${error.message}`);
    for (const k of data ?? [])
      console.log(
        `${k.prefix}  ${k.tier.padEnd(10)} ${k.revoked_at ? 'revoked' : 'active '}  owner ${k.owner_id}  ${k.scopes.join(',')}${k.name ? `  ${k.name}` : ''}`,
      );
    break;
  }
  default:
    fail('usage: pnpm keys create --tier free|pro|enterprise | pnpm keys revoke <prefix> | pnpm keys list');
}
