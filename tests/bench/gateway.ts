/**
 * Gateway benchmark, one run, printed side by side. Three Workers under `wrangler dev`, all in
 * front of the same inference service:
 *  - bare: a Hono Worker that only forwards POST /v1/detect (and answers POST /static with a fixed
 *    answer): the yardstick;
 *  - gateway, in-memory stores (no Redis, no database; keys from STATIC_API_KEYS);
 *  - gateway, real stack (Redis through the Upstash-REST proxy, PostgREST behind /rest/v1).
 * It prints p50/p99 for cache misses and hits against the bare Worker, cached answers per second
 * against the bare Worker's static answer, sub-requests per answer (counted by the proxies), and
 * the peak resident memory of every process. Starts its own stack and stops it afterwards.
 * BENCH_REQUESTS, BENCH_SECONDS and BENCH_CONCURRENCY tune it; STACK_INFERENCE_URL points it at
 * an inference service elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Agent, setGlobalDispatcher } from 'undici';
import { generateApiKey } from '../../edge/src/auth/api-key.ts';
import { ROOT, freePort, launch, readState, stackDown, stackUp, terminate, waitForUrl } from '../../scripts/stack/stack.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const HIGH_LIMITS: Record<string, string> = { RATE_ENTERPRISE_PER_MINUTE: '100000000', RATE_ENTERPRISE_PER_DAY: '1000000000', LOG_LEVEL: 'error' };
// The gateway's own switches, for a run without one of them: SPECULATIVE_INFERENCE=false pnpm bench.
for (const name of ['SPECULATIVE_INFERENCE', 'UNCHECKED_CACHE_HITS']) if (process.env[name]) HIGH_LIMITS[name] = process.env[name]!;

setGlobalDispatcher(new Agent({ connections: 64 }));

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const text = (i: number | string) =>
  `Benchmark text ${i}. The committee met on Tuesday to review the budget for the coming year, and after a long discussion about road repairs and library hours, the members agreed to postpone the final vote until the spring.`;

async function timed(url: string, body: unknown, headers: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return performance.now() - t0;
}

async function throughput(one: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await one();
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

/** Each live process in one of `groups` (by process group id): its pid, the group's label, its name, and its /proc/<pid>/stat fields after the name. */
function* groupProcesses(groups: Map<number, string>): Generator<{ pid: string; group: string; name: string; fields: string[] }> {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const group = groups.get(Number(fields[2]));
      if (group) yield { pid, group, name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), fields };
    } catch {
      // the process went away while we looked
    }
  }
}

/** Peak resident memory per process (name and pid), sampled from /proc for the given process groups. */
function rssSampler(groups: Map<number, string>) {
  const peak = new Map<string, number>();
  const sample = () => {
    for (const { pid, group, name } of groupProcesses(groups)) {
      try {
        const kib = Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        const label = `${group}: ${name}`;
        // Several processes of one kind in a group (postgres backends) are summed.
        peak.set(`${label}#${pid}`, Math.max(peak.get(`${label}#${pid}`) ?? 0, kib));
      } catch {
        // the process went away while we looked
      }
    }
  };
  const timer = setInterval(sample, 200);
  sample();
  return {
    stop(): Map<string, number> {
      clearInterval(timer);
      sample();
      const byLabel = new Map<string, number>();
      for (const [k, v] of peak) {
        const label = k.slice(0, k.lastIndexOf('#'));
        byLabel.set(label, (byLabel.get(label) ?? 0) + v);
      }
      return byLabel;
    },
  };
}

/** CPU seconds used so far by each kind of process in the given process groups (utime + stime). */
function cpuByGroup(groups: Map<number, string>): Map<string, number> {
  const used = new Map<string, number>();
  for (const { group, name, fields } of groupProcesses(groups)) {
    // utime and stime, in clock ticks of 1/100 s on Linux.
    const seconds = (Number(fields[11]) + Number(fields[12])) / 100;
    used.set(`${group}: ${name}`, (used.get(`${group}: ${name}`) ?? 0) + seconds);
  }
  return used;
}

async function startWorker(opts: { name: string; dir: string; script?: string; vars: Record<string, string> }): Promise<{ url: string; pid: number }> {
  const [port, inspector] = await Promise.all([freePort(), freePort()]);
  const envFile = path.join(opts.dir, `${opts.name}.env`);
  writeFileSync(
    envFile,
    Object.entries(opts.vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  const wrangler = path.join(ROOT, 'edge/node_modules/wrangler/bin/wrangler.js');
  const target = opts.script ? [opts.script, '--name', opts.name, '--compatibility-date', '2026-04-20'] : ['--config', path.join(ROOT, 'wrangler.toml')];
  const r = launch({
    name: opts.name,
    command: process.execPath,
    args: [
      wrangler,
      'dev',
      ...target,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      String(inspector),
      '--env-file',
      envFile,
      '--persist-to',
      path.join(opts.dir, `${opts.name}-state`),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
    ],
    env: { WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false', CI: '1' },
    cwd: ROOT,
    log: path.join(opts.dir, 'logs', `${opts.name}.log`),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForUrl(`${url}/health`, 120_000, opts.name, path.join(opts.dir, 'logs', `${opts.name}.log`), r.pid);
  return { url, pid: r.pid };
}

const dir = path.join(ROOT, '.stack', `bench-${process.pid}`);
// The model gets one core and the Workers, proxies, Redis and Postgres the other: on a 2-core
// machine a model on both cores turns every local round trip into a wait for CPU, which a
// deployment, with Upstash and Postgres on other machines, does not have. Bare and gateway paths
// share the same service, so the comparison stays like for like. ORT_INTRA_OP_THREADS overrides.
process.env.ORT_INTRA_OP_THREADS ??= '1';
console.log('starting the stack for the benchmark...');
const state = await stackUp({
  dir,
  workerVars: HIGH_LIMITS,
  inferenceUrl: process.env.STACK_INFERENCE_URL || undefined,
  inferenceToken: process.env.STACK_INFERENCE_TOKEN || undefined,
  log: () => undefined,
});
const extra: number[] = [];
try {
  const env = state.env;
  const createKey = () => {
    const created = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'edge/scripts/keys.ts'), 'create', '--tier', 'enterprise', '--json'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    if (created.status !== 0) throw new Error(created.stderr);
    return (JSON.parse(created.stdout) as { key: string }).key;
  };
  const realKey = createKey();
  const memKey = generateApiKey().key;
  const token: Record<string, string> = env.INFERENCE_TOKEN ? { INFERENCE_TOKEN: env.INFERENCE_TOKEN } : {};

  console.log('starting the bare Worker and the in-memory gateway...');
  const bare = await startWorker({
    name: 'bare',
    dir,
    script: path.join(ROOT, 'edge/bench/bare-worker.ts'),
    vars: { INFERENCE_URL: env.INFERENCE_URL!, ...token },
  });
  extra.push(bare.pid);
  const mem = await startWorker({
    name: 'gateway-memory',
    dir,
    vars: {
      ENVIRONMENT: 'local',
      INFERENCE_URLS: env.INFERENCE_URL!,
      ...token,
      API_KEY_PEPPER: randomBytes(32).toString('hex'),
      STATIC_API_KEYS: `${memKey}:enterprise:11111111-1111-4111-8111-111111111111`,
      ...HIGH_LIMITS,
    },
  });
  extra.push(mem.pid);

  const components = readState(dir)!.components;
  const groups = new Map<number, string>([
    [bare.pid, 'bare Worker'],
    [mem.pid, 'gateway, in-memory'],
    ...components.map((c): [number, string] => [c.pid, c.name === 'gateway' ? 'gateway, real stack' : c.name]),
  ]);
  const rss = rssSampler(groups);

  const realAuth = { authorization: `Bearer ${realKey}` };
  const memAuth = { authorization: `Bearer ${memKey}` };
  const service: Record<string, string> = env.INFERENCE_TOKEN ? { authorization: `Bearer ${env.INFERENCE_TOKEN}` } : {};
  const paths = {
    bare: { url: `${bare.url}/v1/detect`, auth: {} },
    mem: { url: `${mem.url}/v1/detect`, auth: memAuth },
    real: { url: `${env.GATEWAY_URL}/v1/detect`, auth: realAuth },
  };
  const redisStats = async () =>
    (await (await fetch(`${env.UPSTASH_REDIS_REST_URL}/stats`, { headers: { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` } })).json()) as {
      requests: number;
      commands: number;
    };
  const restStats = async () => (await (await fetch(`${env.SUPABASE_URL}/stats`)).json()) as { requests: number };
  const counts = async () => ({ redis: (await redisStats()).requests, rest: (await restStats()).requests });
  // Background writes (cache, spool, drains) land after the answer; wait until the counters stop moving.
  const settled = async () => {
    let last = await counts();
    for (;;) {
      await new Promise((r) => setTimeout(r, 1500));
      const now = await counts();
      if (now.redis === last.redis && now.rest === last.rest) return now;
      last = now;
    }
  };

  // Warm every path (JIT, key cache, model) before measuring.
  for (let i = 0; i < 5; i++) {
    await timed(`${env.INFERENCE_URL}/v1/detect`, { text: text(`warm-d-${i}`) }, service);
    for (const [name, p] of Object.entries(paths)) await timed(p.url, { text: text(`warm-${name}-${i}`) }, p.auth);
  }

  // Sub-requests: the first request of a new key, then sequential misses, then hits.
  const firstKey = createKey();
  let before = await settled();
  await timed(paths.real.url, { text: text(`first-${Date.now()}`) }, { authorization: `Bearer ${firstKey}` });
  let after = await settled();
  const first = { redis: after.redis - before.redis, rest: after.rest - before.rest };
  const SUB = 20;
  before = after;
  for (let i = 0; i < SUB; i++) await timed(paths.real.url, { text: text(`sub-miss-${i}-${Date.now()}`) }, realAuth);
  after = await settled();
  const perMiss = { redis: (after.redis - before.redis) / SUB, rest: (after.rest - before.rest) / SUB };
  await timed(paths.real.url, { text: text('sub-hot') }, realAuth);
  before = await settled();
  for (let i = 0; i < SUB; i++) await timed(paths.real.url, { text: text('sub-hot') }, realAuth);
  after = await settled();
  const perHit = { redis: (after.redis - before.redis) / SUB, rest: (after.rest - before.rest) / SUB };

  // Latency, interleaved so every path sees the same machine load.
  const miss: Record<keyof typeof paths, number[]> = { bare: [], mem: [], real: [] };
  // One call to Redis through the REST proxy, from Node: what the gateway's one call before the
  // inference service costs at the least, under the same load.
  const redisMs: number[] = [];
  const redisAuth = { authorization: `Bearer ${env.UPSTASH_REDIS_REST_TOKEN}` };
  for (let i = 0; i < REQUESTS; i++) {
    for (const [name, p] of Object.entries(paths) as Array<[keyof typeof paths, (typeof paths)['bare']]>) {
      miss[name].push(await timed(p.url, { text: text(`${name}-${i}-${Date.now()}`) }, p.auth));
    }
    redisMs.push(await timed(`${env.UPSTASH_REDIS_REST_URL}/pipeline`, [['GET', 'bench:nothing']], redisAuth));
  }
  const hit: Record<keyof typeof paths, number[]> = { bare: [], mem: [], real: [] };
  await timed(paths.mem.url, { text: text('hot') }, memAuth);
  await timed(paths.real.url, { text: text('hot') }, realAuth);
  for (let i = 0; i < REQUESTS; i++) {
    hit.bare.push(await timed(`${bare.url}/static`, { text: text('hot') }, {}));
    hit.mem.push(await timed(paths.mem.url, { text: text('hot') }, memAuth));
    hit.real.push(await timed(paths.real.url, { text: text('hot') }, realAuth));
  }

  // CPU per answer by process while each path answers cached texts as fast as it can: on two
  // cores the stores' processes (REST proxy, Redis) compete with workerd for the same CPU.
  const cpuPerAnswer = new Map<string, Map<string, number>>();
  const measured = async (name: string, one: () => Promise<unknown>) => {
    const before = cpuByGroup(groups);
    const client0 = process.cpuUsage();
    const started = performance.now();
    const rate = await throughput(one);
    const answers = (rate * (performance.now() - started)) / 1000;
    const after = cpuByGroup(groups);
    const client = process.cpuUsage(client0);
    const per = new Map<string, number>([['benchmark client', (client.user + client.system) / 1000 / answers]]);
    for (const [label, sec] of after) {
      const ms = ((sec - (before.get(label) ?? 0)) * 1000) / answers;
      if (ms >= 0.05) per.set(label, ms);
    }
    cpuPerAnswer.set(name, per);
    return rate;
  };
  const rps = {
    bare: await measured('bare Worker, static answer', () => timed(`${bare.url}/static`, { text: text('hot') }, {})),
    mem: await measured('gateway, in-memory (hit)', () => timed(paths.mem.url, { text: text('hot') }, memAuth)),
    real: await measured('gateway, real stack (hit)', () => timed(paths.real.url, { text: text('hot') }, realAuth)),
  };
  await settled();
  const peaks = rss.stop();

  const f = (x: number) => x.toFixed(1).padStart(8);
  const row = (name: string, xs: number[], base?: number[]) =>
    `${name.padEnd(44)} ${f(quantile(xs, 0.5))} ${f(quantile(xs, 0.99))}${base ? ` ${f(quantile(xs, 0.5) - quantile(base, 0.5))}` : ''}`;
  console.log('');
  console.log(
    `gateway benchmark: ${REQUESTS} sequential requests per row, interleaved; one text of ${text(0).length} chars; inference on ${process.env.ORT_INTRA_OP_THREADS} ONNX Runtime thread(s)`,
  );
  console.log(`${'path'.padEnd(44)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p50 - bare'.padStart(8)}`);
  console.log(row('bare Worker, forwarding (miss)', miss.bare));
  console.log(row('gateway, in-memory stores (miss)', miss.mem, miss.bare));
  console.log(row('gateway, real stack (miss)', miss.real, miss.bare));
  console.log(row('one Redis call through the REST proxy', redisMs));
  console.log(row('bare Worker, static answer', hit.bare));
  console.log(row('gateway, in-memory stores (hit)', hit.mem, hit.bare));
  console.log(row('gateway, real stack (hit)', hit.real, hit.bare));
  console.log('');
  console.log(`answers per second, ${CONCURRENCY} concurrent clients for ${SECONDS} s:`);
  console.log(`  bare Worker, static answer   ${rps.bare.toFixed(0).padStart(6)}`);
  console.log(`  gateway, in-memory (hit)     ${rps.mem.toFixed(0).padStart(6)}  (${(rps.mem / rps.bare).toFixed(2)} of bare)`);
  console.log(`  gateway, real stack (hit)    ${rps.real.toFixed(0).padStart(6)}  (${(rps.real / rps.bare).toFixed(2)} of bare)`);
  console.log('');
  console.log('CPU per cached answer in that run (ms, by process; includes after-the-answer work that ran in the window):');
  for (const [name, per] of cpuPerAnswer) {
    const total = [...per.values()].reduce((a, b) => a + b, 0);
    const parts = [...per].sort((a, b) => b[1] - a[1]).map(([label, ms]) => `${label} ${ms.toFixed(2)}`);
    console.log(`  ${name.padEnd(30)} ${total.toFixed(2).padStart(6)} = ${parts.join(', ')}`);
  }
  console.log('');
  console.log('sub-requests per answer on the real stack (counted by the proxies, after-the-answer work included; a miss also makes 1 inference call):');
  console.log(`  miss:                        Redis ${perMiss.redis.toFixed(2)}, PostgREST ${perMiss.rest.toFixed(2)}  (${SUB} sequential)`);
  console.log(`  hit:                         Redis ${perHit.redis.toFixed(2)}, PostgREST ${perHit.rest.toFixed(2)}  (${SUB} sequential)`);
  console.log(`  first request of a new key:  Redis ${first.redis}, PostgREST ${first.rest}`);
  console.log('');
  console.log('peak resident memory during the run (MiB; processes of one kind in a group summed):');
  for (const [label, kib] of [...peaks].sort()) console.log(`  ${label.padEnd(40)} ${(kib / 1024).toFixed(0).padStart(6)}`);
} finally {
  for (const pid of extra) await terminate(pid);
  await stackDown({ dir, log: () => undefined });
  rmSync(dir, { recursive: true, force: true });
}
