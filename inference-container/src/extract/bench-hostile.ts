// The hostile uploads of issue 11 against the real service: `pnpm --filter ./inference-container exec tsx src/extract/bench-hostile.ts`
// Each attack gets a fresh service; prints the answer, its time, the slowest /health answer during
// the upload and the peak RSS of the service and of its extraction processes. BENCH_COLD=1 skips the
// warm-up upload, so the first job also waits for its process to start.
import os from 'node:os';
import sharp from 'sharp';
import { makeBlankPng, makeDecoyDocx, makeInflateBombPdf, makeXObjectBombPdf } from './hostile-fixtures.ts';
import { textSvg } from './test-fixtures.ts';
import { postFile, startServiceProcess, watchHealth } from '../service-process.ts';

const limitMs = Number(process.env.BENCH_UPLOAD_TIMEOUT_MS ?? 60_000);
const only = process.env.BENCH_ONLY;
const attacks: Array<[string, string, () => Promise<Uint8Array> | Uint8Array]> = [
  ['docx, decoy rels -> 60 MB part', 'decoy.docx', () => makeDecoyDocx(60_000_000)],
  ['PDF, XObjects 10^6 text draws', 'xobjects.pdf', () => makeXObjectBombPdf(6, 10)],
  ['PNG, 6300x6300 blank', 'blank.png', () => makeBlankPng(6300)],
  ['PDF, content stream -> 50 MB', 'inflate.pdf', () => makeInflateBombPdf(50_000_000)],
  // Not an attack: the largest picture OCR reads at full size, to show the caps leave room for it.
  [
    'control: 1600x1600 page, OCR',
    'page.png',
    () =>
      sharp(
        textSvg(
          Array.from({ length: 30 }, (_, i) => `Line ${i}: the committee met to discuss the budget.`),
          { width: 1600 },
        ),
      )
        .png()
        .toBuffer(),
  ],
];

console.log(
  `upload timeout ${limitMs} ms; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.availableParallelism()} CPUs`,
);
for (const [name, filename, make] of attacks) {
  if (only && !name.toLowerCase().includes(only.toLowerCase())) continue;
  const bytes = await make();
  const svc = await startServiceProcess({ LANGUAGE_ID: 'off' });
  try {
    // One ordinary upload first, as a running service has had: the spare extraction process is then warm.
    if (process.env.BENCH_COLD !== '1') {
      await postFile(svc.url, Buffer.from('warm-up'), 'a.txt');
      await new Promise((r) => setTimeout(r, 3000));
    }
    const watch = watchHealth(svc);
    const r = await postFile(svc.url, bytes, filename, limitMs);
    const w = await watch.stop();
    console.log(
      `${name.padEnd(32)} ${(bytes.length / 1024).toFixed(0).padStart(6)} KB  -> ${r.status || 'no answer'} ${r.code ?? ''} in ${(r.ms / 1000).toFixed(1)} s; ` +
        `/health slowest ${w.slowestMs.toFixed(0)} ms (${w.answered} ok, ${w.failed} failed); ` +
        `RSS service ${w.peakRssMb.toFixed(0)} MB, extraction ${w.peakChildRssMb.toFixed(0)} MB`,
    );
  } finally {
    svc.stop();
  }
}
