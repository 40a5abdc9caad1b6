import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testGateway } from '../test-support.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the page icon', () => {
  it('answers /favicon.ico, which browsers ask for on every page, with a small SVG', async () => {
    const gw = await testGateway({});
    const res = await gw.app.request('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const body = await res.text();
    expect(body).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(body.length).toBeLessThan(2000);
  });

  it('is what the page links, and the Worker answers both paths before the static assets', async () => {
    const html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
    const href = /<link rel="icon" type="image\/svg\+xml" href="([^"]+)"/.exec(html)?.[1];
    expect(href).toBe('/favicon.svg');
    const gw = await testGateway({});
    const linked = await gw.app.request(href!);
    expect(linked.status).toBe(200);
    expect(await linked.text()).toBe(await (await gw.app.request('/favicon.ico')).text());
    const firstLine = /run_worker_first = \[(.*)\]/.exec(fs.readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8'))![1]!;
    expect(firstLine).toContain('"/favicon.ico"');
    expect(firstLine).toContain('"/favicon.svg"');
  });
});
