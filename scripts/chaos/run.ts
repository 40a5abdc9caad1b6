/**
 * pnpm chaos: the real local stack with two inference replicas behind the gateway, bounded keyed
 * load, and one fault at a time (both replicas killed, one replica killed, Redis, PostgREST and
 * Postgres stopped), each held for a few seconds and then repaired. Per fault it prints the answers
 * by status, the 200 answers against the rows in `predictions` once the spool has been flushed
 * (the way the cron does it), and how long after the repair the first 200 came. Then three
 * tenants send worst-case batches and a fourth tenant's single short text is timed.
 *
 * Env: CHAOS_CONCURRENCY (4), CHAOS_HOLD_MS (5000), CHAOS_FAULTS (comma-separated subset of the
 * fault names), STACK_DIR (a throwaway folder under .stack by default).
 * Exits 1 when a fault lost a record.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inferenceName, killComponent, restartComponent, ROOT, stackDown, stackUp, stopComponent, type StackState } from '../stack/stack.ts';

const CONCURRENCY = Number(process.env.CHAOS_CONCURRENCY ?? 4);
const HOLD_MS = Number(process.env.CHAOS_HOLD_MS ?? 5000);
const dir = path.resolve(process.env.STACK_DIR ?? path.join(ROOT, '.stack', `chaos-${process.pid}`));
// pg and undici are dependencies of the test package, which owns the repository's test clients.
interface PgClient {
  connect(): Promise<void>;
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}
const testsRequire = createRequire(path.join(ROOT, 'tests/package.json'));
const pg = testsRequire('pg') as { Client: new (o: { connectionString?: string; connectionTimeoutMillis?: number }) => PgClient };
// A fresh connection per request, as in the e2e tests: a keep-alive socket that wrangler dev has
// just closed would fail a request for reasons that have nothing to do with the fault.
const undici = testsRequire('undici') as { Agent: new (o: { pipelining: number }) => unknown; setGlobalDispatcher(d: unknown): void };
undici.setGlobalDispatcher(new undici.Agent({ pipelining: 0 }));

interface Answer {
  status: number;
  error?: string;
  requestId: string | null;
  sentAt: number;
  doneAt: number;
}

interface Fault {
  name: string;
  inject(state: StackState): Promise<void>;
  repair(state: StackState): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const FAULTS: Fault[] = [
  {
    name: 'inference killed (both replicas)',
    inject: async () => {
      await Promise.all([0, 1].map((i) => killComponent(dir, inferenceName(i))));
    },
    repair: async () => {
      await Promise.all([0, 1].map((i) => restartComponent(dir, inferenceName(i))));
    },
  },
  {
    name: 'one of two inference replicas killed',
    inject: () => killComponent(dir, inferenceName(1)),
    repair: () => restartComponent(dir, inferenceName(1)),
  },
  {
    name: 'redis stopped',
    inject: () => stopComponent(dir, 'redis'),
    repair: async (state) => {
      await restartComponent(dir, 'redis');
      await until(
        () =>
          redis(state, ['PING']).then(
            (r) => r === 'PONG',
            () => false,
          ),
        'redis',
      );
    },
  },
  {
    name: 'postgrest stopped',
    inject: () => stopComponent(dir, 'postgrest'),
    repair: () => restartComponent(dir, 'postgrest', 60_000),
  },
  {
    name: 'postgres stopped',
    inject: () => stopComponent(dir, 'postgres'),
    repair: async (state) => {
      await restartComponent(dir, 'postgres');
      await until(
        () =>
          query(state, 'select 1').then(
            () => true,
            () => false,
          ),
        'postgres',
      );
    },
  },
];

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what} did not come back`);
    await sleep(200);
  }
}

async function redis(state: StackState, command: unknown[]): Promise<unknown> {
  const res = await fetch(state.env.UPSTASH_REDIS_REST_URL!, {
    method: 'POST',
    headers: { authorization: `Bearer ${state.env.UPSTASH_REDIS_REST_TOKEN}` },
    body: JSON.stringify(command),
    signal: AbortSignal.timeout(3000),
  });
  const body = (await res.json()) as { result?: unknown; error?: string };
  if (body.error) throw new Error(body.error);
  return body.result;
}

async function query<T = Record<string, unknown>>(state: StackState, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: state.env.DATABASE_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

function createKey(state: StackState, owner: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'edge/scripts/keys.ts'), 'create', '--json', '--tier', 'pro', '--owner', owner], {
    cwd: ROOT,
    env: { ...process.env, ...state.env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { key: string }).key;
}

/** Human-looking text, unique per request so every answer is computed and recorded. */
function text(seed: string): string {
  return `${seed}. The committee met on Tuesday to review the budget for the coming year, and after a long discussion about road repairs, library hours and the cost of heating the old school building, the members agreed to postpone the final vote until the spring.`;
}

async function detect(gateway: string, key: string, body: unknown, timeoutMs = 30_000): Promise<Answer> {
  const sentAt = performance.now();
  try {
    const res = await fetch(`${gateway}/v1/detect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status, requestId: res.headers.get('x-request-id'), sentAt, doneAt: performance.now() };
  } catch (err) {
    // 0: no HTTP answer at all (connection refused, or the client's own timeout).
    const cause = err instanceof Error && err.cause ? `: ${String(err.cause)}` : '';
    return { status: 0, error: `${String(err)}${cause}`, requestId: null, sentAt, doneAt: performance.now() };
  }
}

/**
 * POST through node:http, which (unlike fetch) still reads a response the server sends before it
 * has read the whole body, e.g. a refusal that comes before a 1 MB upload is finished.
 */
function postLarge(gateway: string, key: string, body: string, timeoutMs: number): Promise<Answer & { body: string }> {
  const sentAt = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      `${gateway}/v1/detect`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` },
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, requestId: null, sentAt, doneAt: performance.now(), body: text.slice(0, 160) }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, error: String(err), requestId: null, sentAt, doneAt: performance.now(), body: '' }));
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.end(body);
  });
}

/** Callers in a loop, each sending its next request when the last is answered, until stopped. */
function load(gateway: string, key: string): { answers: Answer[]; stop(): Promise<void> } {
  const answers: Answer[] = [];
  let stopped = false;
  const callers = Array.from({ length: CONCURRENCY }, async () => {
    while (!stopped) {
      const a = await detect(gateway, key, { text: text(`chaos ${randomUUID()}`) });
      answers.push(a);
      if (a.status !== 200) await sleep(100);
    }
  });
  return {
    answers,
    stop: async () => {
      stopped = true;
      await Promise.all(callers);
    },
  };
}

/** Runs the cron's flush until the spool is empty (the scheduled handler flushes a bounded amount per run). */
async function flushSpool(state: StackState): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await fetch(`${state.env.GATEWAY_URL}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`).catch(() => undefined);
    const left = Number(await redis(state, ['LLEN', 'spool:predictions']).catch(() => -1));
    if (left === 0) return;
    await sleep(500);
  }
}

interface Row {
  fault: string;
  statuses: string;
  ok: number;
  records: number;
  lost: number;
  deadLetters: number;
  repairS: string;
  recoveryS: string;
}

async function runFault(state: StackState, key: string, fault: Fault): Promise<Row> {
  const gateway = state.env.GATEWAY_URL!;
  const deadBefore = Number((await query<{ n: string }>(state, 'select count(*) as n from prediction_dead_letters'))[0]!.n);
  const l = load(gateway, key);
  await sleep(2000);
  await fault.inject(state);
  await sleep(HOLD_MS);
  const repairStarted = performance.now();
  await fault.repair(state);
  const repairedAt = performance.now();
  // Recovered: the first 200 to a request sent after the repair began.
  const end = performance.now() + 90_000;
  let recovered: Answer | undefined;
  while (!recovered && performance.now() < end) {
    recovered = l.answers.find((a) => a.status === 200 && a.sentAt >= repairStarted);
    await sleep(50);
  }
  await sleep(2000);
  await l.stop();
  // The gateway writes records after answering; give those writes (or their fall-back to the spool) time to finish.
  await sleep(3000);
  await flushSpool(state);

  const okIds = l.answers.filter((a) => a.status === 200).map((a) => a.requestId!);
  const rows = await query<{ request_id: string }>(state, 'select distinct request_id from predictions where request_id = any($1)', [okIds]);
  const deadAfter = Number((await query<{ n: string }>(state, 'select count(*) as n from prediction_dead_letters'))[0]!.n);
  const byStatus = new Map<number, number>();
  for (const a of l.answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
  return {
    fault: fault.name,
    statuses: [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([s, n]) => `${s === 0 ? 'no answer' : s}: ${n}`)
      .join(', '),
    ok: okIds.length,
    records: rows.length,
    lost: okIds.length - rows.length,
    deadLetters: deadAfter - deadBefore,
    repairS: ((repairedAt - repairStarted) / 1000).toFixed(1),
    recoveryS: recovered ? ((recovered.doneAt - repairStarted) / 1000).toFixed(1) : 'not recovered',
  };
}

/**
 * Three tenants send batches of 64 texts of 15,000 characters at once; then a fourth tenant's one
 * short text. Its answer time is what fair share between tenants is for.
 */
async function fairShare(state: StackState): Promise<string[]> {
  const gateway = state.env.GATEWAY_URL!;
  const keys = Array.from({ length: 4 }, () => createKey(state, randomUUID()));
  const long = (seed: string) => {
    const words =
      'the of river quietly budget morning engine letter garden seven winter market thought across yellow station paper careful ancient signal bridge'.split(
        ' ',
      );
    let x = [...seed].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 2147483647, 7);
    const out: string[] = [];
    let n = 0;
    while (n < 15_000) {
      x = (x * 48271) % 2147483647;
      const w = words[x % words.length]!;
      out.push(w);
      n += w.length + 1;
    }
    return out.join(' ');
  };
  // The same short request on the idle stack first: the machine's own floor for the number below.
  const alone = await detect(gateway, keys[3]!, { text: text(`alone ${randomUUID()}`) });
  if (alone.error) console.log(`the request on the idle stack got no answer: ${alone.error}`);
  const started = performance.now();
  const bodies = keys.slice(0, 3).map((_, t) => JSON.stringify({ texts: Array.from({ length: 64 }, (_, i) => long(`${t}-${i}-${randomUUID()}`)) }));
  // Abandoned once the short request has been timed: on a small machine they run for minutes.
  const big = keys.slice(0, 3).map((k, t) => postLarge(gateway, k, bodies[t]!, 25_000));
  // The short request goes once the large ones are tokenized and waiting in the replicas' queues.
  const queued = await until(async () => (await queueDepth(state)) >= 500, 'the large batches to be queued', 20_000).then(
    () => queueDepth(state),
    () => queueDepth(state),
  );
  const short = await detect(gateway, keys[3]!, { text: text(`short ${randomUUID()}`) });
  const bigAnswers = await Promise.all(big);
  return [
    `windows waiting in the two replicas' queues when the short text was sent: ${queued}`,
    `fourth tenant's short text: ${short.status} in ${((short.doneAt - short.sentAt) / 1000).toFixed(2)} s (target: under 2 s; the same request on the idle stack: ${alone.status} in ${((alone.doneAt - alone.sentAt) / 1000).toFixed(2)} s)`,
    `three tenants' 64 x 15k-character batches: ${bigAnswers.map((a) => `${a.status} ${a.error ?? a.body} after ${((a.doneAt - started) / 1000).toFixed(1)} s`).join('; ')}`,
  ];
}

/** Windows waiting in both replicas' batching queues, from their /metrics. */
async function queueDepth(state: StackState): Promise<number> {
  let n = 0;
  for (const url of state.env.INFERENCE_URLS!.split(',')) {
    const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${state.env.INFERENCE_TOKEN}` } }).catch(() => null);
    const m = res && /^inference_queue_depth\{[^}]*\} (\d+)/m.exec(await res.text());
    n += m ? Number(m[1]) : 0;
  }
  return n;
}

async function main(): Promise<void> {
  const wanted = process.env.CHAOS_FAULTS?.split(',').map((s) => s.trim());
  const faults = wanted ? FAULTS.filter((f) => wanted.includes(f.name)) : FAULTS;
  console.log(`starting the stack with two inference replicas in ${path.relative(ROOT, dir)} ...`);
  const state = await stackUp({
    dir,
    inferenceReplicas: 2,
    log: () => undefined,
    workerVars: {
      BREAKER_COOLDOWN_MS: '2000',
      // Long enough that the worst-case batches are admitted even on a small machine and the
      // short request below has a real backlog to get past.
      INFERENCE_TIMEOUT_MS: '300000',
      RATE_PRO_PER_MINUTE: '100000',
      RATE_PRO_TEXTS_PER_MINUTE: '1000000',
      RATE_PRO_TOKENS_PER_MINUTE: '100000000',
      RATE_PRO_PER_DAY: '10000000',
      LOG_LEVEL: 'warn',
    },
  });
  let lostAny = false;
  try {
    const key = createKey(state, randomUUID());
    // Warm the gateway's key cache: a key never seen cannot be checked while the database is away.
    const warm = await detect(state.env.GATEWAY_URL!, key, { text: text('warm') });
    if (warm.status !== 200) throw new Error(`the stack does not answer (${warm.status})`);
    const rows: Row[] = [];
    for (const f of faults) {
      console.log(`fault: ${f.name} ...`);
      const row = await runFault(state, key, f);
      rows.push(row);
      lostAny ||= row.lost !== 0;
    }
    console.log('');
    console.log('| fault | answers by status | 200 answers | rows in predictions | lost | dead letters | repair took | first 200 after repair began |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.fault} | ${r.statuses} | ${r.ok} | ${r.records} | ${r.lost} | ${r.deadLetters} | ${r.repairS} s | ${r.recoveryS}${r.recoveryS.startsWith('not') ? '' : ' s'} |`,
      );
    console.log('');
    if (!process.env.CHAOS_FAULTS || wanted?.includes('fair share')) for (const line of await fairShare(state)) console.log(line);
  } finally {
    await stackDown({ dir, log: () => undefined });
    if (!process.env.STACK_DIR) rmSync(dir, { recursive: true, force: true });
  }
  process.exit(lostAny ? 1 : 0);
}

await main();
