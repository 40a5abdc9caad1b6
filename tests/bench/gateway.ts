/**
 * Gateway benchmark, one run, printed side by side:
 *  - latency of uncached detections straight to the inference service vs through the gateway
 *    (p50/p99; the difference is the gateway's own overhead: key check, rate limit, cache lookup),
 *  - requests per second for cached answers under concurrency,
 *  - memory of the workerd process running the Worker.
 * Starts its own stack (like the tests) and stops it afterwards. BENCH_REQUESTS, BENCH_SECONDS and
 * BENCH_CONCURRENCY tune it; STACK_INFERENCE_URL points it at an inference service elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Agent, setGlobalDispatcher } from 'undici';
import { ROOT, readState, stackDown, stackUp } from '../../scripts/stack/stack.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 60);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

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

/** Resident memory of the workerd processes in the gateway's process group, in MiB. */
function workerdRssMiB(gatewayPid: number): number {
  let kib = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgid !== gatewayPid) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (!/^Name:\s*workerd/m.test(status)) continue;
      kib += Number(/VmRSS:\s*(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // the process went away while we looked
    }
  }
  return kib / 1024;
}

const dir = path.join(ROOT, '.stack', `bench-${process.pid}`);
console.log('starting the stack for the benchmark...');
const state = await stackUp({
  dir,
  workerVars: { RATE_ENTERPRISE_PER_MINUTE: '1000000', RATE_ENTERPRISE_PER_DAY: '100000000', LOG_LEVEL: 'error' },
  inferenceUrl: process.env.STACK_INFERENCE_URL || undefined,
  inferenceToken: process.env.STACK_INFERENCE_TOKEN || undefined,
  log: () => undefined,
});
try {
  const env = state.env;
  const created = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'edge/scripts/keys.ts'), 'create', '--tier', 'enterprise', '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new Error(created.stderr);
  const key = (JSON.parse(created.stdout) as { key: string }).key;
  const auth = { authorization: `Bearer ${key}` };
  const gatewayPid = readState(dir)!.components.find((c) => c.name === 'gateway')!.pid;
  const gw = `${env.GATEWAY_URL}/v1/detect`;
  const direct = `${env.INFERENCE_URL}/v1/detect`;
  // The service answers only callers with the gateway's token; the benchmark is one.
  const service: Record<string, string> = env.INFERENCE_TOKEN ? { authorization: `Bearer ${env.INFERENCE_TOKEN}` } : {};

  // Warm both paths (JIT, key cache, model) before measuring.
  for (let i = 0; i < 5; i++) {
    await timed(direct, { text: text(`warm-d-${i}`) }, service);
    await timed(gw, { text: text(`warm-g-${i}`) }, auth);
  }
  const memBefore = workerdRssMiB(gatewayPid);

  // Interleaved so both paths see the same machine load.
  const directMs: number[] = [];
  const gatewayMs: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    directMs.push(await timed(direct, { text: text(`d-${i}-${Date.now()}`) }, service));
    gatewayMs.push(await timed(gw, { text: text(`g-${i}-${Date.now()}`) }, auth));
  }
  const hitMs: number[] = [];
  await timed(gw, { text: text('hot') }, auth);
  for (let i = 0; i < REQUESTS; i++) hitMs.push(await timed(gw, { text: text('hot') }, auth));

  const throughput = async (one: () => Promise<unknown>) => {
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
  };
  const rps = await throughput(() => timed(gw, { text: text('hot') }, auth));
  // The same load on a route that touches neither Redis nor the database: wrangler dev's own ceiling here.
  const healthRps = await throughput(async () => (await fetch(`${env.GATEWAY_URL}/health`)).arrayBuffer());
  const memAfter = workerdRssMiB(gatewayPid);

  const row = (name: string, xs: number[]) => `${name.padEnd(34)} ${quantile(xs, 0.5).toFixed(1).padStart(8)} ${quantile(xs, 0.99).toFixed(1).padStart(8)}`;
  console.log('');
  console.log(`gateway benchmark (${REQUESTS} sequential requests per row; single text of ${text(0).length} chars)`);
  console.log(`${'path'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  console.log(row('inference service directly', directMs));
  console.log(row('through the gateway (cache miss)', gatewayMs));
  console.log(row('through the gateway (cache hit)', hitMs));
  console.log(`${'gateway overhead (miss - direct)'.padEnd(34)} ${(quantile(gatewayMs, 0.5) - quantile(directMs, 0.5)).toFixed(1).padStart(8)} ${(quantile(gatewayMs, 0.99) - quantile(directMs, 0.99)).toFixed(1).padStart(8)}`);
  console.log(`cached answers: ${rps.toFixed(0)} requests/s (${CONCURRENCY} concurrent clients, ${SECONDS} s); GET /health on the same gateway: ${healthRps.toFixed(0)} requests/s`);
  console.log(`workerd resident memory: ${memBefore.toFixed(0)} MiB after warm-up, ${memAfter.toFixed(0)} MiB after the run (runtime included; the isolate limit is 128 MB)`);
} finally {
  await stackDown({ dir, log: () => undefined });
  rmSync(dir, { recursive: true, force: true });
}
