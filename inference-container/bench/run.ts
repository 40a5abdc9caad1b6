/**
 * Inference benchmark: `pnpm bench`. Starts the service as its own process on a free port and
 * prints, side by side from one run: throughput with the batching queue against one request
 * at a time (64, 256, 512 tokens), latency under concurrent load, peak memory, time to ready,
 * and throughput as a share of the machine's matrix-multiply rate measured in the same run.
 * The machine is shared and noisy: read ratios, not absolute numbers.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLED_PACK, BUNDLED_PACKS_DIR } from '../src/config.ts';
import { TextTokenizer } from '../src/backends/tokenizer.ts';
import { measureGemm } from './gemm.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const threads = Number(process.env.ORT_INTRA_OP_THREADS ?? os.availableParallelism());
const quick = process.env.BENCH_QUICK === '1';
const manifest = JSON.parse(fs.readFileSync(path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK, 'manifest.json'), 'utf8'));
const tokenizer = new TextTokenizer(JSON.parse(fs.readFileSync(path.join(BUNDLED_PACKS_DIR, BUNDLED_PACK, 'tokenizer.json'), 'utf8')));

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

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** Forward-pass FLOPs for one text of n tokens (+BOS), with the vocabulary projection. */
function flopsPerText(n: number): number {
  const t = n + 1;
  const nonEmbedding = manifest.parameters - manifest.vocab_size * manifest.hidden_size;
  return t * (2 * nonEmbedding + 2 * manifest.hidden_size * manifest.vocab_size) + 4 * manifest.num_layers * manifest.hidden_size * t * t;
}

async function main() {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ORT_INTRA_OP_THREADS: String(threads) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the service exited with code ${child.exitCode} before it was ready`);
      try {
        if ((await fetch(`${url}/ready`)).ok) break;
      } catch {
        // still starting
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - started;

    const features = (texts: string[]) =>
      fetch(`${url}/v1/features`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts, layers: [-1], logprob: true }) }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        return r.json();
      });

    // The shared machine's clock and neighbours vary from second to second: the best of three
    // one-second runs is the rate the hardware can reach.
    const gemm = Math.max(await measureGemm(threads), await measureGemm(threads), await measureGemm(threads));
    const rows: string[] = [];
    for (const n of [64, 256, 512 - 1]) {
      const count = quick ? 8 : n <= 64 ? 64 : n <= 256 ? 32 : 16;
      const texts = Array.from({ length: count }, (_, i) => textOfTokens(n, i + n * 1000));
      await features([texts[0]!]);
      let t0 = performance.now();
      for (const t of texts) await features([t]);
      const sequential = count / ((performance.now() - t0) / 1000);
      t0 = performance.now();
      await Promise.all(texts.map((t) => features([t])));
      const batched = count / ((performance.now() - t0) / 1000);
      const share = (batched * flopsPerText(n)) / gemm;
      rows.push(`| ${n + 1} | ${sequential.toFixed(1)} | ${batched.toFixed(1)} | ${(batched / sequential).toFixed(2)}x | ${(flopsPerText(n) / 1e9).toFixed(2)} | ${(share * 100).toFixed(0)}% |`);
    }

    const clients = 16, perClient = quick ? 2 : 6;
    const latencies: number[] = [];
    const loadTexts = Array.from({ length: clients * perClient }, (_, i) => textOfTokens(255, 50_000 + i));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let k = 0; k < perClient; k++) {
          const s = performance.now();
          await features([loadTexts[c * perClient + k]!]);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const loadRate = latencies.length / ((performance.now() - t0) / 1000);

    console.log(`\n## Inference service (${os.cpus()[0]?.model ?? 'cpu'}, ${threads} ONNX Runtime threads)\n`);
    console.log(`time to ready: ${readyMs.toFixed(0)} ms (process start to /ready = 200)`);
    console.log(`matrix multiply (1024^3 fp32, same threads, best of 3 one-second runs): ${(gemm / 1e9).toFixed(1)} GFLOP/s\n`);
    console.log('| tokens per text (with BOS) | texts/s one at a time | texts/s batched | batched / one at a time | GFLOP per text | share of GEMM rate (batched) |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log(`\nconcurrent load: ${clients} clients x ${perClient} requests of 256 tokens with log-probabilities: ${loadRate.toFixed(1)} texts/s, p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms`);
    console.log(`peak RSS of the service: ${peakRssMb(child.pid!).toFixed(0)} MB`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
