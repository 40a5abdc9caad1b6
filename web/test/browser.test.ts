import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePdf, makeTextPng } from '../../inference-container/src/extract/test-fixtures.ts';
import { fprWords } from '../src/format.ts';
import { startGateway } from './start-gateway.ts';
import { startInference } from './inference-process.ts';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shots = path.join(webDir, 'test-output', 'screenshots');
const dist = path.join(webDir, 'test-output', 'dist');

const SENTENCES = [
  'The old harbour town wakes slowly in winter.',
  'Fishing boats knock against the pier while gulls argue over scraps near the fish market.',
  'My grandmother used to say that the sea keeps its own calendar, and that nobody who lives here ever really owns their time.',
  'I did not understand her until I spent a whole January waiting for a ferry that never seemed to come.',
  'Now I count the days by the tides, the colour of the water, and the smell of diesel in the morning fog.',
];
const ESSAY = SENTENCES.join(' ');

// Written by a language model for this test, in the register instruction-tuned models default to.
const MACHINE_PARAGRAPH = [
  "In today's rapidly evolving digital landscape, effective time management has become an essential skill for students and professionals alike.",
  'By prioritizing tasks, setting realistic goals, and minimizing distractions, individuals can significantly enhance their productivity and overall well-being.',
  'Furthermore, leveraging digital tools such as calendars and task management applications can help streamline daily routines and ensure that important deadlines are met.',
  'Additionally, it is crucial to recognize the importance of regular breaks, as they allow the mind to recharge and foster creativity.',
  'Ultimately, mastering time management is not merely about doing more in less time; it is about creating a balanced and fulfilling life.',
  'By adopting these strategies, individuals can navigate the challenges of modern life with greater confidence and resilience.',
].join(' ');

// A key made for this run and handed to the gateway as configuration: no database is needed.
const alnum = (n: number, chars: string) => [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
const API_KEY = `dk_test_${alnum(10, 'abcdefghijklmnopqrstuvwxyz0123456789')}_${alnum(32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
const OWNER = '7d0c8e2a-5b1f-4c3e-9a6d-2f4b8c1e0a93';

let inference: { url: string; stop(): void };
let gateway: Awaited<ReturnType<typeof startGateway>>;
let context: BrowserContext;
let page: Page;
let profileDir: string;

beforeAll(async () => {
  await build({ root: webDir, logLevel: 'warn', configFile: path.join(webDir, 'vite.config.ts'), build: { outDir: dist } });
  // INFERENCE_URL points the test at a service that is already running instead of starting one.
  inference = process.env.INFERENCE_URL ? { url: process.env.INFERENCE_URL, stop: () => undefined } : await startInference();
  // A small demo allowance so the last test reaches the rate limit in a few clicks.
  gateway = await startGateway(inference.url, dist, { STATIC_API_KEYS: `${API_KEY}:pro:${OWNER}`, DEMO_PER_IP_PER_MINUTE: '8' });
  await fs.mkdir(shots, { recursive: true });
  profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'detector-chromium-'));
  context = await launchChromium(profileDir, { width: 1280, height: 900 });
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  await gateway?.stop();
  inference?.stop();
  if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

/** Waits for the verdict; an error notice instead fails at once with the message the page shows. */
async function verdict(timeout = 30_000): Promise<string> {
  await page.locator('[data-testid="verdict"], [role="alert"]').first().waitFor({ timeout });
  const alert = page.getByRole('alert');
  if (await alert.isVisible()) throw new Error(`the page shows an error: ${await alert.innerText()}`);
  return page.getByTestId('verdict').innerText();
}

async function upload(name: string, mimeType: string, buffer: Buffer) {
  await page.getByLabel('Or upload a file or image').setInputFiles({ name, mimeType, buffer });
}

describe('the web page through the gateway (wrangler dev) and the real inference service', () => {
  it('scores pasted text and highlights its sentences', async () => {
    await page.goto(gateway.url);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('Was this written by a language model?');
    await page.getByLabel('Paste the text').fill(ESSAY);
    await page.getByLabel(/Balanced/).check();
    await page.getByRole('button', { name: 'Check text' }).click();
    expect(await verdict()).toMatch(/Likely AI-written|Likely human-written|Uncertain/);
    // The page states the rate the bundled detector was calibrated at, whatever its last training gave.
    const bundled = JSON.parse(await fs.readFile(path.join(webDir, '../inference-container/detectors/tinylm-detector.json'), 'utf8'));
    // The rate stated is the balanced level's, for this text's length band (or overall).
    const cal = bundled.local_calibration;
    const point = cal.operating_points.find((p: { level: number }) => p.level === cal.balanced_level);
    const stated = [point.fpr, ...point.bands.map((b: { fpr: number | null }) => b.fpr)].filter((f) => f !== null).map(fprWords);
    const threshold = await page.getByTestId('threshold').innerText();
    expect(stated.some((w: string) => threshold.includes(`at this setting ${w}`))).toBe(true);
    expect(threshold).toMatch(/machine texts? (is|are) called human/);
    expect(await page.getByTestId('per-text-note').innerText()).toContain('Each text gets its own thresholds');
    // A rate of the caller's own: the answer names it.
    await page.getByLabel(/My own rate/).check();
    await page.getByLabel('Largest share of human texts flagged, in percent').fill('20');
    await page.getByRole('button', { name: 'Check text' }).click();
    await page.getByText('Your rate (20%) setting').waitFor({ timeout: 30_000 });
    await page.getByLabel(/Balanced/).check();
    expect(await page.getByTestId('detector').innerText()).toMatch(/Detector \S+ version \S+/);
    const marks = page.locator('[data-testid="scored-text"] mark.sentence');
    expect(await marks.count()).toBe(5);
    expect(await page.getByTestId('scored-text').innerText()).toContain('The old harbour town wakes slowly in winter.');
    expect(await page.getByTestId('recent-local').innerText()).toContain('The old harbour town');
    await shot('1-pasted-text');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('1b-pasted-text-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('highlights the sentences of a machine-written paragraph it judges AI as AI-like', async () => {
    await page.goto(gateway.url);
    await page.getByLabel('Paste the text').fill(MACHINE_PARAGRAPH);
    await page.getByLabel(/Balanced/).check();
    await page.getByRole('button', { name: 'Check text' }).click();
    expect(await verdict()).toContain('Likely AI-written');
    // Sentences are scored in context as shares of the verdict, so most of them lean the same way.
    const marks = page.locator('[data-testid="scored-text"] mark.sentence');
    expect(await marks.count()).toBe(6);
    const probabilities = await marks.evaluateAll((ms) => ms.map((m) => Number(m.getAttribute('data-probability'))));
    expect(probabilities.filter((p) => p >= 0.6).length).toBeGreaterThanOrEqual(3);
    expect(await page.getByText(/\d of 6 sentences read as AI-like/).innerText()).not.toMatch(/^0 of/);
    await shot('1c-machine-paragraph');
  });

  it('reads an uploaded PDF, shows the extracted text and scores it', async () => {
    await page.goto(gateway.url);
    const pdf = Buffer.from(await makePdf([SENTENCES.slice(0, 3).join(' '), SENTENCES.slice(3).join(' ')]));
    await upload('essay.pdf', 'application/pdf', pdf);
    await verdict();
    expect(await page.getByTestId('extraction-note').innerText()).toMatch(/Text read from essay\.pdf as a PDF, 2 pages/);
    // Lines the PDF wrapped come back as one paragraph per page.
    expect(await page.getByLabel('Paste the text').inputValue()).toBe(`${SENTENCES.slice(0, 3).join(' ')}\n\n${SENTENCES.slice(3).join(' ')}`);
    expect(await page.locator('mark.sentence').count()).toBeGreaterThan(0);
    await shot('2-uploaded-pdf');
  });

  it('reads a screenshot by OCR and scores the recovered text', async () => {
    await page.goto(gateway.url);
    const png = await makeTextPng([
      'The committee met on Tuesday to discuss',
      'the budget for the coming year and agreed',
      'to publish the minutes before the weekend.',
    ]);
    await upload('screenshot.png', 'image/png', png);
    await verdict();
    expect(await page.getByTestId('extraction-note').innerText()).toMatch(/as an image \(text recognition\)/);
    const recovered = (await page.getByLabel('Paste the text').inputValue()).toLowerCase();
    expect(recovered).toContain('the committee met on tuesday to discuss the budget');
    expect(recovered).toContain('publish the minutes');
    expect(await page.getByTestId('scored-text').innerText()).toContain('committee met');
    await shot('3-uploaded-image');
  });

  it("with an API key, checks through /v1/detect and lists the account's recent checks", async () => {
    await page.goto(gateway.url);
    const calls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/'))
        calls.push(`${r.method()} ${new URL(r.url()).pathname} ${r.headers().authorization === `Bearer ${API_KEY}` ? 'key' : 'no-key'}`);
    });
    await page.getByLabel('API key (optional)').fill(API_KEY);
    await page.getByLabel('Paste the text').fill(ESSAY);
    await page.getByRole('button', { name: 'Check text' }).click();
    await verdict();
    const account = page.getByTestId('recent-account');
    await account.getByText(`${ESSAY.length} chars`).waitFor();
    expect(calls).toContain('POST /v1/detect key');
    expect(calls).toContain('GET /v1/predictions key');
    expect(calls.some((c) => c.includes('/v1/demo/'))).toBe(false);
    await shot('5-with-api-key');
    // The key lives in this tab's session storage until the field is cleared.
    expect(await page.evaluate(() => sessionStorage.getItem('detector.api-key'))).toBe(API_KEY);
    await page.getByLabel('API key (optional)').fill('');
    expect(await page.evaluate(() => sessionStorage.getItem('detector.api-key'))).toBeNull();
  });

  it('shows the service message for an upload over the size limit', async () => {
    await page.goto(gateway.url);
    await upload('huge.txt', 'text/plain', Buffer.alloc(11 * 1024 * 1024, 'a'));
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const message = await alert.innerText();
    expect(message).toContain('Too large');
    expect(message).toContain('payload_too_large');
    expect(message).toContain('(this file is 11.0 MB)');
    await shot('4-oversized-upload');
  });

  it('says when to try again once the demo rate limit is reached', async () => {
    await page.goto(gateway.url);
    await page.getByLabel('Paste the text').fill(ESSAY);
    const alert = page.getByRole('alert');
    for (let i = 0; i < 12 && !(await alert.isVisible()); i++) {
      await page.getByRole('button', { name: 'Check text' }).click();
      await page.locator('[data-testid="verdict"], [role="alert"]').first().waitFor();
    }
    const message = await alert.innerText();
    expect(message).toContain('Too many requests');
    expect(message).toMatch(/You can try again in \d+ seconds?\./);
    expect(message).toContain('rate_limited');
    await shot('6-rate-limited');
  });
});
