import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from './start-gateway.ts';
import { startInference } from './inference-process.ts';

const webDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(webDir, 'test-output', 'dist-cross-origin');

const alnum = (n: number, chars: string) => [...randomBytes(n)].map((b) => chars[b % chars.length]).join('');
const API_KEY = `dk_test_${alnum(10, 'abcdefghijklmnopqrstuvwxyz0123456789')}_${alnum(32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
const OWNER = '3c9e2b7a-1d4f-4a8e-b6c5-0f2e9d8a7b61';
const TEXT =
  'The committee met on Tuesday to review the budget for the coming year, and after a long discussion about road repairs, library hours and the cost of heating the old school building, the members agreed to postpone the final vote until the spring, when new figures from the county would be available to everyone.';

/**
 * A page as the original design deployed it: on its own origin, calling the gateway's /analyze
 * with a key, showing the answer and the headers CORS exposes.
 */
function pageHtml(gatewayUrl: string): string {
  return `<!doctype html><meta charset="utf-8"><title>other origin</title>
<textarea id="text">${TEXT}</textarea><button id="go">Analyze</button>
<p id="answer"></p><p id="meta"></p><p id="error" role="alert"></p>
<script>
document.getElementById('go').addEventListener('click', async () => {
  try {
    const res = await fetch(${JSON.stringify(`${gatewayUrl}/analyze`)}, {
      method: 'POST',
      headers: { 'Authorization': 'Bearer ${API_KEY}', 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: document.getElementById('text').value, model_name: 'Qwen/Qwen2.5-0.5B', layer: 22, classifier_type: 'svm' }),
    });
    const body = await res.json();
    document.getElementById('answer').textContent = 'prediction=' + body.prediction + ' is_fake=' + body.is_fake + ' label=' + body.label + ' detector=' + body.detector.name;
    document.getElementById('meta').textContent = 'request=' + res.headers.get('X-Request-Id') + ' remaining=' + res.headers.get('RateLimit-Remaining');
  } catch (err) {
    document.getElementById('error').textContent = 'failed: ' + err;
  }
});
</script>`;
}

/** Serves the page on a port of its own: a second origin, as far as the browser is concerned. */
async function servePage(html: () => string): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

let inference: { url: string; stop(): void };
let gateway: Awaited<ReturnType<typeof startGateway>>;
let allowedPage: Awaited<ReturnType<typeof servePage>>;
let otherPage: Awaited<ReturnType<typeof servePage>>;
let context: BrowserContext;
let page: Page;
let profileDir: string;

beforeAll(async () => {
  await build({ root: webDir, logLevel: 'warn', configFile: path.join(webDir, 'vite.config.ts'), build: { outDir: dist } });
  inference = process.env.INFERENCE_URL ? { url: process.env.INFERENCE_URL, stop: () => undefined } : await startInference();
  // Both pages are served before the gateway starts, so the allow-list can name the first one.
  let gatewayUrl = '';
  allowedPage = await servePage(() => pageHtml(gatewayUrl));
  otherPage = await servePage(() => pageHtml(gatewayUrl));
  gateway = await startGateway(inference.url, dist, { STATIC_API_KEYS: `${API_KEY}:pro:${OWNER}`, CORS_ORIGINS: allowedPage.origin });
  gatewayUrl = gateway.url;
  profileDir = await fs.mkdtemp(path.join(os.tmpdir(), 'detector-chromium-'));
  context = await launchChromium(profileDir);
  page = context.pages()[0] ?? (await context.newPage());
});

afterAll(async () => {
  await context?.close();
  await gateway?.stop();
  inference?.stop();
  await allowedPage?.close();
  await otherPage?.close();
  if (profileDir) await fs.rm(profileDir, { recursive: true, force: true });
});

describe('a page on another origin calling the gateway (wrangler dev) in Chromium', () => {
  it('calls /analyze with a key and shows the answer and the exposed headers', async () => {
    await page.goto(allowedPage.origin);
    await page.locator('#go').click();
    await page.locator('#answer:not(:empty), #error:not(:empty)').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('#error').innerText()).toBe('');
    expect(await page.locator('#answer').innerText()).toMatch(/^prediction=[01] is_fake=(true|false) label=(ai|human|uncertain) detector=tinylm-detector$/);
    expect(await page.locator('#meta').innerText()).toMatch(/^request=[0-9a-f-]{36} remaining=\d+$/);
  });

  it('is refused by the browser on an origin that is not on CORS_ORIGINS', async () => {
    await page.goto(otherPage.origin);
    await page.locator('#go').click();
    await page.locator('#answer:not(:empty), #error:not(:empty)').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('#answer').innerText()).toBe('');
    expect(await page.locator('#error').innerText()).toMatch(/^failed: TypeError/);
  });

  it('serves the page itself with a CSP that forbids framing, and nosniff', async () => {
    const res = await fetch(gateway.url);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});
