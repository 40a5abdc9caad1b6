import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { makePdf } from '../../extract/test-fixtures.ts';
import { createLogger } from '../../log.ts';
import { createMetrics } from '../../metrics.ts';
import { InferenceService } from '../../core/service.ts';
import type { JsonResponse } from '../../test-support.ts';
import { createApp } from '../app.ts';

// The service is never started: extraction must answer while the language model is still loading.
const service = new InferenceService(loadConfig({}), createMetrics(), createLogger('silent'));
const app = createApp(service);

function upload(parts: Record<string, Blob | string>, filename?: string) {
  const form = new FormData();
  for (const [k, v] of Object.entries(parts)) {
    if (v instanceof Blob) form.append(k, v, filename);
    else form.append(k, v);
  }
  return app.request('/v1/extract', { method: 'POST', body: form }) as Promise<JsonResponse>;
}

describe('POST /v1/extract', () => {
  it('extracts an uploaded PDF before the model is ready', async () => {
    expect(service.ready).toBe(false);
    const res = await upload({ file: new Blob([await makePdf(['Uploaded through the form.'])], { type: 'application/pdf' }) }, 'a.pdf');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      text: 'Uploaded through the form.',
      media_type: 'application/pdf',
      method: 'pdf',
      pages: 1,
      chars: 26,
      warnings: [],
    });
  });

  it('takes the name from the filename field when given', async () => {
    const res = await upload({ file: new Blob(['# Title\n\nBody *text*.']), filename: 'notes.md' }, 'blob');
    expect(await res.json()).toMatchObject({ method: 'markdown', text: 'Title\n\nBody text.' });
  });

  it('answers 415 for a body that is not multipart', async () => {
    const res = (await app.request('/v1/extract', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"x"}' })) as JsonResponse;
    expect(res.status).toBe(415);
    expect((await res.json()).error.code).toBe('unsupported_media_type');
  });

  it('answers 400 when the form has no file', async () => {
    const res = await upload({ text: 'hello' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toEqual({ code: 'invalid_request', message: 'the form has no file in a field named "file"' });
  });

  it('answers 400 for a malformed multipart body', async () => {
    const res = (await app.request('/v1/extract', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
      body: '--xyz\r\nbroken',
    })) as JsonResponse;
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_request');
  });

  it('answers 413 payload_too_large for an upload over the default 10 MB', async () => {
    const res = await upload({ file: new Blob([new Uint8Array(10 * 1024 * 1024 + 1).fill(0x61)]) }, 'big.txt');
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('refuses a body of thousands of fields with 413 too_many_parts before parsing it', async () => {
    const form = new FormData();
    form.append('file', new Blob(['hello']), 'a.txt');
    for (let i = 0; i < 29_000; i++) form.append(`f${i}`, 'x');
    const res = (await app.request('/v1/extract', { method: 'POST', body: form })) as JsonResponse;
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('too_many_parts');
  });

  it('refuses a part whose headers are oversized with 413 too_many_parts', async () => {
    const body = `--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\nX-Pad: ${'a'.repeat(10_000)}\r\n\r\nhello\r\n--xyz--\r\n`;
    const res = (await app.request('/v1/extract', { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body })) as JsonResponse;
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('too_many_parts');
  });

  it('answers 422 no_text_found with the stable error shape', async () => {
    const res = await upload({ file: new Blob(['   \n  ']) }, 'empty.txt');
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe('no_text_found');
  });
});
