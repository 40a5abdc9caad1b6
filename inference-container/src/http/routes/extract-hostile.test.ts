import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeBlankPng, makeDecoyDocx, makeInflateBombPdf, makeXObjectBombPdf } from '../../extract/hostile-fixtures.ts';
import { type HealthReport, postFile, type ServiceProcess, startServiceProcess, watchHealth } from '../../service-process.ts';

/**
 * The hostile uploads of issue 11 against the real service process: each is refused with a 4xx
 * and a stable code while /health keeps answering and the service's own memory stays small,
 * because the file is read in a process of its own. Bounds are generous: the machine is shared.
 */

let svc: ServiceProcess;
beforeAll(async () => {
  svc = await startServiceProcess({ LANGUAGE_ID: 'off' });
});
afterAll(() => svc?.stop());

async function attack(target: ServiceProcess, bytes: Uint8Array, filename: string) {
  const watch = watchHealth(target);
  // Under the test's own timeout, so a service that never answers fails the assertion, not the runner.
  const answer = await postFile(target.url, bytes, filename, 45_000);
  return { answer, health: await watch.stop() };
}

function expectResponsive(health: HealthReport): void {
  expect(health.answered).toBeGreaterThan(0);
  expect(health.failed).toBe(0);
  expect(health.slowestMs).toBeLessThan(5_000);
  expect(health.peakRssMb).toBeLessThan(1024);
}

describe('hostile uploads against the service process', () => {
  it('a .docx whose relationships send the parser to a large part not named .xml: 413 archive_too_large', async () => {
    const { answer, health } = await attack(svc, makeDecoyDocx(20_000_000), 'decoy.docx');
    expect(answer).toMatchObject({ status: 413, code: 'archive_too_large' });
    expectResponsive(health);
  });

  it('the same .docx with the XML limit lifted: its process dies at the heap cap, 413 extraction_too_large', async () => {
    const lifted = await startServiceProcess({ LANGUAGE_ID: 'off', EXTRACT_MAX_XML_BYTES: '67108864', EXTRACT_MAX_HEAP_MB: '128' });
    try {
      const { answer, health } = await attack(lifted, makeDecoyDocx(20_000_000), 'decoy.docx');
      expect(answer).toMatchObject({ status: 413, code: 'extraction_too_large' });
      expectResponsive(health);
    } finally {
      lifted.stop();
    }
  });

  it('a PDF whose form XObjects each draw the next ten times (10^6 text draws): stopped by a limit, never parsed to the end', async () => {
    const { answer, health } = await attack(svc, makeXObjectBombPdf(6, 10), 'forms.pdf');
    // Which limit trips first (the text drawn, the memory cap, the deadline) depends on how busy
    // the machine is; each one stops the child with a refusal.
    expect([
      { status: 422, code: 'extraction_timeout' },
      { status: 413, code: 'extraction_too_large' },
      { status: 413, code: 'text_too_long' },
    ]).toContainEqual({ status: answer.status, code: answer.code });
    expectResponsive(health);
  });

  it('a 6300x6300 blank PNG, under the pixel limit: 422 no_text_found', async () => {
    const { answer, health } = await attack(svc, await makeBlankPng(6300), 'blank.png');
    expect(answer).toMatchObject({ status: 422, code: 'no_text_found' });
    expectResponsive(health);
  });

  it('a PDF whose content stream inflates to 50 MB of text drawing: 413 text_too_long', async () => {
    const { answer, health } = await attack(svc, makeInflateBombPdf(50_000_000), 'inflate.pdf');
    expect(answer).toMatchObject({ status: 413, code: 'text_too_long' });
    expectResponsive(health);
  });

  it('still reads an ordinary upload afterwards', async () => {
    const { answer } = await attack(svc, Buffer.from('After all that, a plain note.'), 'note.txt');
    expect(answer.status).toBe(200);
  });
});
