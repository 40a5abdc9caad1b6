// Timings of each extraction path: `pnpm --filter ./inference-container exec tsx src/extract/bench-extract.ts`
import { extractFile, type Upload } from './extract-file.ts';
import { OcrEngine } from './ocr-engine.ts';
import { docxEntries, makeDocx, makePdf, makePngBomb, makeTextPng, makeZip, testConfig } from './test-fixtures.ts';

const cfg = testConfig();
const ocr = new OcrEngine({ threads: cfg.OCR_THREADS, queueMax: cfg.EXTRACT_QUEUE_MAX });
const para = 'The committee met on Tuesday to discuss the budget for the coming year and agreed to publish the minutes. ';

async function time(name: string, upload: Upload, runs = 3): Promise<void> {
  const ms: number[] = [];
  let outcome = '';
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    try {
      const r = await extractFile(upload, cfg, ocr);
      outcome = `${r.method}, ${r.chars} chars`;
    } catch (err) {
      outcome = `refused: ${(err as { code?: string }).code}`;
    }
    ms.push(performance.now() - t);
  }
  const rest = ms.slice(1).sort((a, b) => a - b);
  console.log(
    `${name.padEnd(34)} first ${ms[0]!.toFixed(0).padStart(5)} ms, then median ${rest[Math.floor(rest.length / 2)]!.toFixed(0).padStart(5)} ms  (${outcome})`,
  );
}

const png = await makeTextPng([
  'The committee met on Tuesday to discuss',
  'the budget for the coming year and agreed',
  'to publish the minutes before the weekend.',
]);
await time('PNG 1000x256, 3 lines (OCR)', { bytes: png, filename: 'a.png' });
await time('PDF, 20 pages', { bytes: await makePdf(Array.from({ length: 20 }, () => para.repeat(3))) });
await time('DOCX, 200 paragraphs', { bytes: makeDocx(Array.from({ length: 200 }, () => para)) });
await time('HTML, 500 KB', { bytes: Buffer.from(`<html><body>${`<p>${para}</p><script>x()</script>`.repeat(4000)}</body></html>`), filename: 'a.html' });
await time('zip bomb (20 MB of zeros inside)', { bytes: makeZip([...docxEntries(['x']), { name: 'word/media/z.bin', data: Buffer.alloc(20_000_000) }]) });
await time('PNG bomb (60000x60000 header)', { bytes: await makePngBomb(60_000, 60_000) });
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
