/**
 * Inference benchmark: `pnpm bench`. Prints, side by side from one run, the service as it ships
 * ("now") and the service with the settings it had before (a 4 ms batching wait, one unsliced call
 * per batch, the S3 client loaded at start, TypeScript through tsx),
 * each against bare ONNX Runtime doing the same model work in this process, interleaved:
 *
 * - service / bare throughput on `POST /v1/detect` (256-token texts) one request at a time and
 *   with 16 concurrent clients;
 * - peak RSS of the service with 32 concurrent clients, its RSS idle before and after that burst;
 * - time from process start to `GET /ready` = 200.
 *
 * BENCH_LENGTHS=1 adds the older table (throughput by text length, share of the GEMM rate).
 * The machine is shared and noisy: read ratios, not absolute numbers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { BUNDLED_PACK, BUNDLED_PACKS_DIR } from '../src/config.ts';
import { TextTokenizer } from '../src/backends/tokenizer.ts';
import { freePort, procMb } from '../src/service-process.ts';
import { measureGemm } from './gemm.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const threads = Number(process.env.ORT_INTRA_OP_THREADS ?? os.availableParallelism());
const quick = process.env.BENCH_QUICK === '1';
const packDir = path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK);
const manifest = JSON.parse(fs.readFileSync(path.join(packDir, 'manifest.json'), 'utf8'));
const tokenizer = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(packDir, 'tokenizer.json'), 'utf8')));
/** What one detection asks of the model (the bundled detector uses every layer and log-probabilities). */
const DETECT_OUTPUTS = ['mean_pooled', 'token_logprob', 'expected_logprob', 'logprob_variance'];

const PROSE =
  'The river had risen overnight, and by morning the low fields were under a sheet of brown water. ' +
  'Farmers stood at the edge of the road and argued about whether the old levee would hold, while children ' +
  'threw sticks into the current to watch them spin away. Nobody in the village could remember a spring like it. ';

/** Distinct texts of exactly n tokens, so the cache-free service does the full work each time. */
function textOfTokens(n: number, seed: number): string {
  const base = `Report ${seed}: ${PROSE.repeat(Math.ceil((n * 6) / PROSE.length) + 2)}`;
  const enc = tokenizer.encode(base);
  return base.slice(0, enc.ends[n - 1]);
}
let seed = 0;
const freshTexts = (count: number, n = 256) => Array.from({ length: count }, () => textOfTokens(n, ++seed));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Variant {
  name: string;
  /** The program to start; node itself when absent. */
  command?: string;
  args: string[];
  env: Record<string, string>;
}

const dist = path.join(root, 'dist/main.js');
const VARIANTS: Variant[] = [
  {
    name: 'before',
    args: ['--import', 'tsx', '--import', '@aws-sdk/client-s3', 'src/main.ts'],
    env: { BATCH_MAX_WAIT_MS: '4', BATCH_MAX_VOCAB_MB: '0' },
  },
  // As the image runs it: its entrypoint (node flags, MALLOC_ARENA_MAX) and the compiled service;
  // without a build (`pnpm --filter ./inference-container build`) the source runs.
  fs.existsSync(dist)
    ? { name: 'now', command: 'sh', args: ['docker/entrypoint.sh'], env: {} }
    : { name: 'now', args: ['--import', 'tsx', 'src/main.ts'], env: { MALLOC_ARENA_MAX: '1' } },
];

interface Started {
  child: ChildProcess;
  url: string;
  readyMs: number;
}

async function startService(v: Variant): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(v.command ?? process.execPath, v.args, {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ORT_INTRA_OP_THREADS: String(threads), ...v.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service (${v.name}) exited with code ${child.exitCode} before it was ready`);
    if (
      await fetch(`${url}/ready`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(5);
  }
  return { child, url, readyMs: performance.now() - started };
}

async function detect(url: string, text: string): Promise<void> {
  const r = await fetch(`${url}/v1/detect`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  if (!r.ok) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  await r.arrayBuffer();
}

/** Texts per second and per-request latencies with `clients` each sending `perClient` requests in turn. */
async function load(send: (t: string) => Promise<void>, clients: number, perClient: number): Promise<{ rate: number; lat: number[] }> {
  const texts = freshTexts(clients * perClient);
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let k = 0; k < perClient; k++) {
        const s = performance.now();
        await send(texts[c * perClient + k]!);
        lat.push(performance.now() - s);
      }
    }),
  );
  return { rate: lat.length / ((performance.now() - t0) / 1000), lat };
}

/** Bare ONNX Runtime in this process: the same texts through the same graph outputs, no HTTP, no queue. */
async function bareSession(): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(path.join(packDir, 'model.onnx'), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

async function bareRun(session: ort.InferenceSession, texts: string[]): Promise<void> {
  const seqs = texts.map((t) => [manifest.bos_token_id, ...tokenizer.encode(t).ids]);
  const width = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(seqs.length * width).fill(BigInt(manifest.pad_token_id));
  const mask = new BigInt64Array(seqs.length * width);
  seqs.forEach((s, b) => s.forEach((id, t) => ((ids[b * width + t] = BigInt(id)), (mask[b * width + t] = 1n))));
  const out = await session.run(
    { input_ids: new ort.Tensor('int64', ids, [seqs.length, width]), attention_mask: new ort.Tensor('int64', mask, [seqs.length, width]) },
    DETECT_OUTPUTS,
  );
  for (const v of Object.values(out)) v.dispose();
}

/** Bare rates: one text per call, and 16 texts per call (what 16 concurrent requests can at best become). */
async function bare(session: ort.InferenceSession, n1: number, n16: number): Promise<{ one: number; sixteen: number }> {
  let texts = freshTexts(n1);
  let t0 = performance.now();
  for (const t of texts) await bareRun(session, [t]);
  const one = n1 / ((performance.now() - t0) / 1000);
  texts = freshTexts(16 * n16);
  t0 = performance.now();
  for (let i = 0; i < n16; i++) await bareRun(session, texts.slice(i * 16, (i + 1) * 16));
  return { one, sixteen: (16 * n16) / ((performance.now() - t0) / 1000) };
}

interface Row {
  readyMs: number;
  idleMb: number;
  one: number;
  sixteen: number;
  p50: number;
  p99: number;
  thirtyTwo: number;
  peakMb: number;
  afterBurstMb: number;
  bare: { one: number; sixteen: number };
}

async function measure(v: Variant, session: ort.InferenceSession, n1: number, n16: number): Promise<Row> {
  const s = await startService(v);
  try {
    const pid = s.child.pid!;
    await sleep(1000);
    const idleMb = procMb(pid);
    const send = (t: string) => detect(s.url, t);
    await load(send, 1, 3);
    // Interleaved: the bare runtime measured right before this service, on the same load.
    const b = await bare(session, n1, n16);
    const one = await load(send, 1, n1);
    const sixteen = await load(send, 16, n16);
    const burst = await load(send, 32, quick ? 1 : 2);
    const peakMb = procMb(pid, 'VmHWM');
    await sleep(2000);
    return {
      readyMs: s.readyMs,
      idleMb,
      one: one.rate,
      sixteen: sixteen.rate,
      p50: pct(sixteen.lat, 50),
      p99: pct(sixteen.lat, 99),
      thirtyTwo: burst.rate,
      peakMb,
      afterBurstMb: procMb(pid),
      bare: b,
    };
  } finally {
    s.child.kill('SIGTERM');
    await new Promise((r) => s.child.once('exit', r));
  }
}

/** Forward-pass FLOPs for one text of n tokens (+BOS), with the vocabulary projection. */
function flopsPerText(n: number): number {
  const t = n + 1;
  const nonEmbedding = manifest.parameters - manifest.vocab_size * manifest.hidden_size;
  return t * (2 * nonEmbedding + 2 * manifest.hidden_size * manifest.vocab_size) + 4 * manifest.num_layers * manifest.hidden_size * t * t;
}

async function lengthsTable(url: string): Promise<void> {
  const features = (texts: string[]) =>
    fetch(`${url}/v1/features`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts, layers: [-1], logprob: true }),
    }).then((r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return r.json();
    });
  const gemm = Math.max(await measureGemm(threads), await measureGemm(threads), await measureGemm(threads));
  console.log(`\nmatrix multiply (1024^3 fp32, same threads, best of 3 one-second runs): ${(gemm / 1e9).toFixed(1)} GFLOP/s\n`);
  console.log(
    '| tokens per text (with BOS) | texts/s one at a time | texts/s batched | batched / one at a time | GFLOP per text | share of GEMM rate (batched) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const n of [64, 256, 512 - 1]) {
    const count = quick ? 8 : n <= 64 ? 64 : n <= 256 ? 32 : 16;
    const texts = freshTexts(count, n);
    await features([texts[0]!]);
    let t0 = performance.now();
    for (const t of texts) await features([t]);
    const sequential = count / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await Promise.all(texts.map((t) => features([t])));
    const batched = count / ((performance.now() - t0) / 1000);
    const share = (batched * flopsPerText(n)) / gemm;
    console.log(
      `| ${n + 1} | ${sequential.toFixed(1)} | ${batched.toFixed(1)} | ${(batched / sequential).toFixed(2)}x | ${(flopsPerText(n) / 1e9).toFixed(2)} | ${(share * 100).toFixed(0)}% |`,
    );
  }
}

/**
 * A keyed caller's latency alone and beside twelve keyless clients sending without pause (the
 * gateway sends all keyless work as tenant `demo`), with keyless work at low priority (the default)
 * and with it as an ordinary fair-share tenant, in one run.
 */
async function keylessTable(samples: number): Promise<void> {
  const send = (url: string, tenant: string, text: string) =>
    fetch(`${url}/v1/detect`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': tenant }, body: JSON.stringify({ text }) }).then(
      (r) => r.arrayBuffer(),
    );
  const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const keyed = async (url: string) => {
    const lat: number[] = [];
    for (const t of freshTexts(samples)) {
      const s0 = performance.now();
      await send(url, 't-keyed', t);
      lat.push(performance.now() - s0);
      // A caller with a think time, so the samples spread over the keyless load.
      await sleep(150);
    }
    return p50(lat);
  };
  const rows: string[] = [];
  for (const [label, env] of [
    ['keyless at low priority (default)', {}],
    ['keyless as an ordinary tenant', { QUEUE_LOW_PRIORITY_TENANTS: '' }],
  ] as const) {
    const s = await startService({ ...VARIANTS[1]!, env: { ...VARIANTS[1]!.env, ...env } });
    try {
      await keyed(s.url);
      const idle = await keyed(s.url);
      let stop = false;
      // Each client at the gateway's per-address demo limit (10 a minute) with the longest demo
      // text (10,000 characters), starts spread over the first interval.
      const flood = Array.from({ length: 12 }, async (_, i) => {
        await sleep(i * 500);
        while (!stop) {
          const t0 = performance.now();
          await send(s.url, 'demo', freshTexts(1, 2400)[0]!).catch(() => {});
          await sleep(Math.max(0, 6000 - (performance.now() - t0)));
        }
      });
      await sleep(6000);
      const loaded = await keyed(s.url);
      stop = true;
      await Promise.all(flood);
      rows.push(`| ${label} | ${idle.toFixed(0)} ms | ${loaded.toFixed(0)} ms | ${(loaded / idle).toFixed(2)} |`);
    } finally {
      s.child.kill('SIGTERM');
    }
  }
  console.log(
    '\n## A keyed caller (256-token texts) beside twelve keyless clients at the per-address demo limit (10,000-character texts, 10 a minute each), POST /v1/detect, p50\n',
  );
  console.log('| keyless work | keyed p50 alone | keyed p50 with 12 keyless clients | ratio |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
}

async function main() {
  const n1 = quick ? 6 : 24;
  const n16 = quick ? 1 : 3;
  const session = await bareSession();
  await bareRun(session, freshTexts(16));
  const rows = new Map<string, Row>();
  for (const v of VARIANTS) rows.set(v.name, await measure(v, session, n1, n16));
  await session.release();

  const cols = VARIANTS.map((v) => v.name);
  const line = (label: string, f: (r: Row) => string) => console.log(`| ${label} | ${cols.map((c) => f(rows.get(c)!)).join(' | ')} |`);
  console.log(`\n## Inference service (${os.cpus()[0]?.model ?? 'cpu'}, ${threads} ONNX Runtime threads, POST /v1/detect, 256-token texts)\n`);
  console.log(`| | ${cols.join(' | ')} |`);
  console.log(`|---|${cols.map(() => '---').join('|')}|`);
  line('service / bare ORT, one request at a time', (r) => `${(r.one / r.bare.one).toFixed(2)} (${r.one.toFixed(1)} / ${r.bare.one.toFixed(1)} texts/s)`);
  line(
    'service / bare ORT, 16 concurrent (bare: 16 texts per call)',
    (r) => `${(r.sixteen / r.bare.sixteen).toFixed(2)} (${r.sixteen.toFixed(1)} / ${r.bare.sixteen.toFixed(1)} texts/s)`,
  );
  line('latency at 16 concurrent, p50 / p99', (r) => `${r.p50.toFixed(0)} / ${r.p99.toFixed(0)} ms`);
  line('32 concurrent clients, texts/s', (r) => r.thirtyTwo.toFixed(1));
  line('peak RSS (32 concurrent clients)', (r) => `${r.peakMb.toFixed(0)} MB`);
  line('idle RSS after start / after the burst', (r) => `${r.idleMb.toFixed(0)} / ${r.afterBurstMb.toFixed(0)} MB`);
  line('time to ready (process start to /ready 200)', (r) => `${r.readyMs.toFixed(0)} ms`);
  console.log(
    `\nbefore = ${VARIANTS[0]!.args.join(' ')} with ${Object.entries(VARIANTS[0]!.env)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}; now = ${[VARIANTS[1]!.command ?? 'node', ...VARIANTS[1]!.args].join(' ')} with the defaults, as the image runs it`,
  );

  await keylessTable(quick ? 8 : 24);

  if (process.env.BENCH_LENGTHS === '1') {
    const s = await startService(VARIANTS[1]!);
    try {
      await lengthsTable(s.url);
    } finally {
      s.child.kill('SIGTERM');
    }
  }
}

// BENCH_KEYLESS_ONLY=1 runs the keyless table alone.
if (process.env.BENCH_KEYLESS_ONLY === '1') await keylessTable(quick ? 8 : 24);
else await main();
