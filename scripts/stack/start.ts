/**
 * pnpm start: the inference service and the gateway (wrangler dev on http://127.0.0.1:8787), with
 * keys, prediction history and usage in an embedded PostgreSQL (PGlite, the real migrations)
 * behind the real PostgREST, kept in DATA_DIR (default .data/) across restarts. No Redis: limits
 * and the response cache are in memory. Gateway settings given as environment variables (or in
 * .dev.vars) reach the gateway, and a bad one stops start-up naming it. SUPABASE_URL and
 * SUPABASE_SERVICE_ROLE_KEY, when given, replace the embedded database. Ctrl-C (or SIGTERM to this
 * process) stops everything; if one part exits, the rest is stopped too.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { configSchema, loadConfig } from '../../edge/src/config.ts';
import { openEmbeddedDatabase, type EmbeddedDatabase } from './embedded-db.ts';
import { signJwt } from './jwt.ts';
import { startState, type StartState } from './start-state.ts';
import { alive, freePort, postgrestBinary, ROOT, terminate, waitForUrl, wranglerDevArgs } from './stack.ts';
import { startRestPrefixProxy } from './rest-prefix-proxy.ts';

const port = (def: number) => z.coerce.number().int().min(1).max(65535).default(def);
/** This script's own settings; the gateway's are the gateway's config schema. */
const startSchema = z.object({
  GATEWAY_PORT: port(8787),
  INFERENCE_PORT: port(8081),
  /** Embedded database files, the gateway's local state and the secrets made for them. */
  DATA_DIR: z.string().min(1).default(path.join(ROOT, '.data')),
});

function die(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

const parsedStart = startSchema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
if (!parsedStart.success) {
  die(
    `pnpm start: invalid setting${parsedStart.error.issues.length > 1 ? 's' : ''}: ${parsedStart.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
  );
}
const settings = parsedStart.data;
const dataDir = path.resolve(ROOT, settings.DATA_DIR);

/** Gateway settings: .dev.vars first, then the environment, limited to the names the gateway knows. */
function gatewaySettings(): Record<string, string> {
  const names = new Set(Object.keys(configSchema.shape));
  const devVarsFile = path.join(ROOT, '.dev.vars');
  const devVars = existsSync(devVarsFile) ? parseEnv(readFileSync(devVarsFile, 'utf8')) : {};
  const out: Record<string, string> = {};
  for (const source of [devVars, process.env]) {
    for (const [k, v] of Object.entries(source)) if (names.has(k) && typeof v === 'string' && v !== '') out[k] = v;
  }
  return out;
}

/** Free, or one line naming the port and the variable that moves it. */
async function ensureFree(p: number, variable: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const srv = net.createServer();
    srv.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') die(`pnpm start: port ${p} is already in use; set ${variable} to a free port (e.g. ${variable}=${p + 1} pnpm start)`, 1);
      die(`pnpm start: cannot listen on port ${p} (${variable}): ${err.message}`, 1);
    });
    srv.listen(p, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

interface Secrets {
  jwtSecret: string;
  pepper: string;
}

/** Made once per data folder: keys hashed with the pepper must still verify after a restart. */
function loadSecrets(): Secrets {
  const file = path.join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Secrets;
  const s: Secrets = { jwtSecret: randomBytes(32).toString('hex'), pepper: randomBytes(32).toString('hex') };
  writeFileSync(file, JSON.stringify(s), { mode: 0o600 });
  return s;
}

function writeSecretFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

// ---- checks before anything starts ----
const fromUser = gatewaySettings();
mkdirSync(dataDir, { recursive: true, mode: 0o700 });
chmodSync(dataDir, 0o700);
const previous = startState(dataDir);
if (previous && alive(previous.pid))
  die(`pnpm start: already running from ${dataDir} (pid ${previous.pid}); stop it first, or set DATA_DIR to another folder`, 1);
await ensureFree(settings.GATEWAY_PORT, 'GATEWAY_PORT');
await ensureFree(settings.INFERENCE_PORT, 'INFERENCE_PORT');

const secrets = loadSecrets();
const embedded = !(fromUser.SUPABASE_URL || fromUser.SUPABASE_SERVICE_ROLE_KEY);
const [postgrestPort, supabasePort, inspectorPort] = await Promise.all([freePort(), freePort(), freePort()]);
const now = Math.floor(Date.now() / 1000);
const inferenceToken = fromUser.INFERENCE_TOKEN ?? randomBytes(32).toString('hex');
const gatewayEnv: Record<string, string> = {
  // No Redis: in-memory limits and cache, allowed only when the gateway is told it is local.
  ENVIRONMENT: 'local',
  INFERENCE_URLS: `http://127.0.0.1:${settings.INFERENCE_PORT}`,
  API_KEY_PEPPER: secrets.pepper,
  ...(embedded
    ? {
        SUPABASE_URL: `http://127.0.0.1:${supabasePort}`,
        SUPABASE_SERVICE_ROLE_KEY: signJwt({ role: 'service_role', iss: 'pnpm-start', iat: now, exp: now + 10 * 365 * 86400 }, secrets.jwtSecret),
      }
    : {}),
  ...fromUser,
  INFERENCE_TOKEN: inferenceToken,
};
try {
  loadConfig(gatewayEnv);
} catch (err) {
  // The gateway's own message names the variable (never its value).
  die(`pnpm start: ${(err as Error).message}`);
}

// ---- start ----
const children: ChildProcess[] = [];
let database: EmbeddedDatabase | null = null;
let proxy: http.Server | null = null;
let stopping = false;

function start(name: string, command: string, args: string[], env: Record<string, string>): ChildProcess {
  // Own process group, so stopping wrangler also stops its workerd.
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  child.on('exit', (code) => {
    if (stopping) return;
    console.error(`${name} exited (${code ?? 'signal'}); stopping the rest`);
    void stop(code || 1);
  });
  children.push(child);
  return child;
}

async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The gateway first, the database last, so nothing is written to a closed store.
  for (const c of [...children].reverse()) if (c.pid) await terminate(c.pid);
  if (proxy) await new Promise((resolve) => proxy!.close(resolve));
  if (database) await database.close();
  for (const f of ['state.json', 'env', 'worker.env']) rmSync(path.join(dataDir, f), { force: true });
  process.exit(code);
}

process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

try {
  if (embedded) {
    database = await openEmbeddedDatabase(path.join(dataDir, 'pg'));
    if (database.applied.length) console.log(`database: applied ${database.applied.join(', ')} in ${path.join(dataDir, 'pg')}`);
    // One pooled connection: PGlite runs one statement at a time anyway. Every connection shares
    // PGlite's one session, so named prepared statements from an earlier connection would clash
    // with a reconnect's: PostgREST is told not to prepare. Its LISTEN channel is left off
    // (nothing sends NOTIFY here; the schema cache loads at start).
    start('postgrest', postgrestBinary(), [], {
      PGRST_DB_URI: `postgres://authenticator@/postgres?host=${database.socketDir}`,
      PGRST_DB_SCHEMAS: 'public',
      PGRST_DB_ANON_ROLE: 'anon',
      PGRST_DB_POOL: '1',
      PGRST_DB_CHANNEL_ENABLED: 'false',
      PGRST_DB_PREPARED_STATEMENTS: 'false',
      PGRST_JWT_SECRET: secrets.jwtSecret,
      PGRST_SERVER_HOST: '127.0.0.1',
      PGRST_SERVER_PORT: String(postgrestPort),
      PGRST_LOG_LEVEL: 'warn',
    });
    // Its schema cache is read through PGlite one statement at a time: seconds, more on a busy machine.
    await waitForUrl(`http://127.0.0.1:${postgrestPort}/`, 180_000, 'postgrest');
    proxy = await startRestPrefixProxy(supabasePort, postgrestPort);
  }

  start('inference', process.execPath, ['--import', 'tsx', path.join(ROOT, 'inference-container/src/main.ts')], {
    HOST: '127.0.0.1',
    PORT: String(settings.INFERENCE_PORT),
    INFERENCE_TOKEN: inferenceToken,
  });
  // Secrets go to wrangler in a file only this user can read, not on its command line.
  const workerEnvFile = path.join(dataDir, 'worker.env');
  writeSecretFile(
    workerEnvFile,
    Object.entries(gatewayEnv)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n') + '\n',
  );
  start(
    'gateway',
    process.execPath,
    wranglerDevArgs({ port: settings.GATEWAY_PORT, inspectorPort, envFile: workerEnvFile, persistTo: path.join(dataDir, 'wrangler-state') }),
    // No telemetry and no fetch of Cloudflare's request metadata: nothing leaves the machine.
    { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  );

  const gatewayUrl = `http://127.0.0.1:${settings.GATEWAY_PORT}`;
  const state: StartState = {
    pid: process.pid,
    GATEWAY_URL: gatewayUrl,
    INFERENCE_URL: `http://127.0.0.1:${settings.INFERENCE_PORT}`,
    ...(embedded ? { SUPABASE_URL: gatewayEnv.SUPABASE_URL!, DATABASE: path.join(dataDir, 'pg') } : {}),
  };
  writeSecretFile(path.join(dataDir, 'state.json'), JSON.stringify(state, null, 2));
  // What `pnpm keys` needs to reach this database, in the shell syntax it reads.
  const toolEnv: Record<string, string> = {
    GATEWAY_URL: gatewayUrl,
    SUPABASE_URL: gatewayEnv.SUPABASE_URL ?? '',
    SUPABASE_SERVICE_ROLE_KEY: gatewayEnv.SUPABASE_SERVICE_ROLE_KEY ?? '',
    API_KEY_PEPPER: gatewayEnv.API_KEY_PEPPER!,
  };
  writeSecretFile(
    path.join(dataDir, 'env'),
    Object.entries(toolEnv)
      .map(([k, v]) => `${k}='${v.replace(/'/g, `'\\''`)}'`)
      .join('\n') + '\n',
  );

  await waitForUrl(`${gatewayUrl}/health`, 180_000, 'gateway');
  console.log(`ready: ${gatewayUrl} (keys: pnpm keys create --tier free; data in ${path.relative(process.cwd(), dataDir) || dataDir})`);
} catch (err) {
  console.error(`pnpm start: ${(err as Error).message}`);
  await stop(1);
}
