import { spawnSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { ROOT } from '../../scripts/stack/stack.ts';

export const stack = () => inject('stack');
export const gateway = () => stack().env.GATEWAY_URL!;

export interface CreatedKey {
  key: string;
  prefix: string;
  id: string;
  owner_id: string;
}

/** Creates a key with the real command (`pnpm keys create`), against the test stack. */
export function createKey(opts: { tier?: string; scopes?: string; owner?: string } = {}): CreatedKey {
  const args = ['--import', 'tsx', path.join(ROOT, 'edge/scripts/keys.ts'), 'create', '--json', '--tier', opts.tier ?? 'pro'];
  if (opts.scopes) args.push('--scopes', opts.scopes);
  if (opts.owner) args.push('--owner', opts.owner);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...stack().env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as CreatedKey;
}

export function revokeKey(prefix: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'edge/scripts/keys.ts'), 'revoke', prefix], {
    cwd: ROOT,
    env: { ...process.env, ...stack().env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`keys revoke failed: ${r.stderr}`);
}

export async function post(p: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${gateway()}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** SQL straight to Postgres, bypassing the gateway and PostgREST. */
export async function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: stack().env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(query, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Runs queries as Supabase's `authenticated` role with the given user id, as PostgREST would. */
export async function asAuthenticated<T>(userId: string, work: (q: <R = Record<string, unknown>>(query: string) => Promise<R[]>) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: stack().env.DATABASE_URL });
  await client.connect();
  try {
    await client.query('begin');
    await client.query(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ sub: userId, role: 'authenticated' })]);
    await client.query('set local role authenticated');
    return await work(async (query) => (await client.query(query)).rows);
  } finally {
    await client.query('rollback').catch(() => undefined);
    await client.end();
  }
}

/** Polls until `check` returns a value (background writes land after the answer). */
export async function eventually<T>(check: () => Promise<T | null | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Human-looking text long enough that the detector scores it instead of abstaining. */
export function sampleText(seed: string): string {
  return `${seed}. The committee met on Tuesday to review the budget for the coming year, and after a long discussion about road repairs, library hours and the cost of heating the old school building, the members agreed to postpone the final vote until the spring, when new figures from the county would be available to everyone.`;
}
