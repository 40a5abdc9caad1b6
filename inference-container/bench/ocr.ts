/**
 * OCR benchmark: `pnpm --filter ./inference-container exec tsx bench/ocr.ts`. Reads the 800x200
 * and 1000x420 paragraph screenshots the way the service does (a fresh extraction process per
 * upload, models loaded in it) and in this process with the engine already loaded, and prints
 * the median time of each with the text read and the warnings. OCR_THREADS and the other
 * extraction settings are taken from the environment. The machine is shared: read it idle.
 */
import os from 'node:os';
import { extractFile } from '../src/extract/extract-file.ts';
import { loadExtractConfig } from '../src/extract/config.ts';
import { OcrEngine } from '../src/extract/ocr-engine.ts';
import { ExtractSandbox } from '../src/extract/sandbox.ts';
import { makeScreenshotPng } from '../src/extract/test-fixtures.ts';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const cfg = loadExtractConfig({ EXTRACT_TIMEOUT_MS: '60000', ...process.env });
const sandbox = new ExtractSandbox(cfg);
const ocr = new OcrEngine({ threads: cfg.OCR_THREADS, queueMax: 1, detMaxSide: cfg.OCR_DET_MAX_SIDE, recBatch: cfg.OCR_REC_BATCH });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`OCR_THREADS=${cfg.OCR_THREADS}, ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0]!.toFixed(2)}`);
for (const [w, h] of [
  [800, 200],
  [1000, 420],
] as const) {
  const upload = { bytes: await makeScreenshotPng(w, h), filename: 'shot.png' };
  for (const [where, read] of [
    ['sandbox (fresh process)', () => sandbox.run(upload)],
    ['in process (loaded)', () => extractFile(upload, cfg, ocr)],
  ] as const) {
    await read(); // starts the spare process / loads the models
    const ms: number[] = [];
    let last: Awaited<ReturnType<typeof read>> | undefined;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      last = await read();
      ms.push(performance.now() - t);
    }
    console.log(`${w}x${h} ${where.padEnd(24)} median ${median(ms).toFixed(0).padStart(6)} ms  [${ms.map((m) => m.toFixed(0)).join(', ')}]`);
    console.log(`  warnings: ${last!.warnings.map((x) => x.code).join(', ')}`);
    console.log(`  ${last!.text.replace(/\n/g, '\n  ')}`);
  }
}
