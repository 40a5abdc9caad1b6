import { describe, expect, it } from 'vitest';
import { auth, createKey, gateway, post, sampleText, stack } from '../support/client.ts';

describe('passthrough routes, docs and health', () => {
  it('passes multipart uploads through to /v1/extract', async () => {
    const k = createKey();
    const form = new FormData();
    form.append('file', new Blob(['Plain text inside a file.\n'], { type: 'text/plain' }), 'note.txt');
    const res = await fetch(`${gateway()}/v1/extract`, { method: 'POST', headers: auth(k.key), body: form });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.text).toContain('Plain text inside a file.');
    expect(body.media_type).toEqual(expect.any(String));
  });

  it('serves the keyless demo extraction for the web page', async () => {
    const form = new FormData();
    form.append('file', new Blob(['Demo upload text.\n'], { type: 'text/plain' }), 'demo.txt');
    const res = await fetch(`${gateway()}/v1/demo/extract`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect((await res.json()).text).toContain('Demo upload text.');
  });

  it('answers /analyze in the original shape', async () => {
    const k = createKey();
    const res = await post('/analyze', { text: sampleText(`analyze ${crypto.randomUUID()}`) }, auth(k.key));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect([0, 1]).toContain(body.prediction);
    expect(body.is_fake).toBe(body.prediction === 1);
    expect(body.probability).toBeGreaterThanOrEqual(0);
    expect(body.probability).toBeLessThanOrEqual(1);
  });

  it('answers a batch with per-item results in order', async () => {
    const k = createKey();
    const texts = [sampleText(`one ${crypto.randomUUID()}`), sampleText(`two ${crypto.randomUUID()}`)];
    const res = await post('/v1/detect', { texts, profile: 'balanced' }, auth(k.key));
    expect(res.status).toBe(200);
    const { results } = await res.json();
    expect(results.map((r: { index: number }) => r.index)).toEqual([0, 1]);
    for (const r of results) expect(r).toMatchObject({ profile: 'balanced', label: expect.any(String), cached: false });
  });

  it('serves the OpenAPI document and a Swagger UI that loads no CDN', async () => {
    const spec = await (await fetch(`${gateway()}/openapi.json`)).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/v1/detect', '/analyze', '/v1/extract', '/v1/demo/detect', '/v1/predictions', '/v1/usage']),
    );
    const html = await (await fetch(`${gateway()}/docs`)).text();
    const srcs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(srcs.length).toBeGreaterThan(0);
    for (const src of srcs) {
      expect(src.startsWith('/')).toBe(true);
      const asset = await fetch(`${gateway()}${src}`);
      expect(asset.status).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    }
  });

  it('reports health and readiness', async () => {
    expect(await (await fetch(`${gateway()}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${gateway()}/ready`, { headers: { authorization: `Bearer ${stack().env.OPERATOR_TOKEN}` } });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: 'ok', database: 'ok' });
    // Without the operator token: no internal addresses, no stores.
    expect(await (await fetch(`${gateway()}/ready`)).json()).toEqual({ status: 'ready' });
  });
});
