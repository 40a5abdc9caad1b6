import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiError } from '@detector/contract';
import { makeDecoyDocx, makeXObjectBombPdf } from './hostile-fixtures.ts';
import { ExtractSandbox } from './sandbox.ts';
import { makePdf, makeScreenshotPng, testConfig } from './test-fixtures.ts';

async function refusal(p: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  const e = err as ApiError;
  return { code: e.code, status: e.status, message: e.message };
}

describe('the extraction sandbox', () => {
  it('reads a file in a process of its own and passes refusals through unchanged', async () => {
    const sandbox = new ExtractSandbox(testConfig());
    expect(await sandbox.run({ bytes: await makePdf(['Read somewhere else.']) })).toMatchObject({ text: 'Read somewhere else.', method: 'pdf', pages: 1 });
    expect(await refusal(sandbox.run({ bytes: Buffer.from(' \n '), filename: 'blank.txt' }))).toMatchObject({ code: 'no_text_found', status: 422 });
  });

  it('gives extraction processes none of the service secrets, at a lower priority', async () => {
    process.env.INFERENCE_TOKEN = 'sandbox-test-secret-token';
    try {
      const sandbox = new ExtractSandbox(testConfig());
      expect((await sandbox.run({ bytes: Buffer.from('Some plain text to read.'), filename: 'a.txt' })).method).toBe('plain');
      // The spare process started for the next upload is a child of this one: read what it was given.
      // Other processes come and go while this reads /proc: one that has gone is simply skipped.
      const read = (file: string) => {
        try {
          return fs.readFileSync(file, 'utf8');
        } catch {
          return '';
        }
      };
      const children = fs
        .readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .map((pid) => ({ pid, stat: read(`/proc/${pid}/stat`).split(') ')[1]?.split(' ') ?? [] }))
        .filter((p) => p.stat[1] === String(process.pid) && read(`/proc/${p.pid}/cmdline`).includes('sandbox-child'));
      let checked = 0;
      for (const child of children) {
        const env = read(`/proc/${child.pid}/environ`);
        if (!env) continue; // exited since it was listed
        expect(env).not.toContain('sandbox-test-secret-token');
        expect(env).toContain('PATH=');
        // Field 19 of /proc/<pid>/stat is the nice value; index 16 once the pid and name are cut.
        expect(Number(child.stat[16])).toBeGreaterThan(0);
        checked++;
      }
      // At least the spare started for the next upload is alive to be read.
      expect(checked).toBeGreaterThan(0);
    } finally {
      delete process.env.INFERENCE_TOKEN;
    }
  });

  it('kills a job at its deadline and answers extraction_timeout', async () => {
    const sandbox = new ExtractSandbox(testConfig({ EXTRACT_TIMEOUT_MS: '3000' }));
    const r = await refusal(sandbox.run({ bytes: makeXObjectBombPdf(6, 10) }));
    expect(r).toMatchObject({ code: 'extraction_timeout', status: 422 });
  });

  it('kills a job over the heap cap and answers extraction_too_large', async () => {
    // The XML limit is lifted so the parser really builds the document in memory.
    const cfg = testConfig({ EXTRACT_MAX_XML_BYTES: '67108864', EXTRACT_MAX_HEAP_MB: '64', EXTRACT_TIMEOUT_MS: '30000' });
    const r = await refusal(new ExtractSandbox(cfg).run({ bytes: makeDecoyDocx(20_000_000) }));
    expect(r).toMatchObject({ code: 'extraction_too_large', status: 413 });
    expect(r.message).toMatch(/64 MB/);
  });

  it('kills a job whose native memory passes the RSS cap', async () => {
    // The OCR models live outside V8's heap: only the resident-memory watch sees them.
    const cfg = testConfig({ EXTRACT_MAX_RSS_MB: '200', EXTRACT_TIMEOUT_MS: '30000' });
    const r = await refusal(new ExtractSandbox(cfg).run({ bytes: await makeScreenshotPng(1000, 420) }));
    expect(r).toMatchObject({ code: 'extraction_too_large', status: 413 });
    expect(r.message).toMatch(/200 MB/);
  });

  it('turns uploads away with queue_full when every process is busy and the line is full', async () => {
    const sandbox = new ExtractSandbox(testConfig({ EXTRACT_CONCURRENCY: '1', EXTRACT_QUEUE_MAX: '0', EXTRACT_TIMEOUT_MS: '3000' }));
    const busy = sandbox.run({ bytes: makeXObjectBombPdf(6, 10) });
    const r = await refusal(sandbox.run({ bytes: Buffer.from('hello'), filename: 'a.txt' }));
    expect(r).toMatchObject({ code: 'queue_full', status: 503 });
    expect(await refusal(busy)).toMatchObject({ code: 'extraction_timeout' });
  });
});
