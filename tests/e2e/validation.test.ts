import { describe, expect, it } from 'vitest';
import { auth, createKey, gateway, post, sampleText } from '../support/client.ts';

describe('bad input answers 4xx with a stable code', () => {
  const k = createKey();
  const h = auth(k.key);

  const cases: Array<{ name: string; send: () => Promise<Response>; status: number; code: string }> = [
    { name: 'malformed JSON', send: () => post('/v1/detect', '{"text": ', h), status: 400, code: 'invalid_json' },
    {
      name: 'not JSON',
      send: () => fetch(`${gateway()}/v1/detect`, { method: 'POST', headers: { ...h, 'content-type': 'text/plain' }, body: 'hello' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    { name: 'no text', send: () => post('/v1/detect', {}, h), status: 400, code: 'invalid_request' },
    { name: 'both text and texts', send: () => post('/v1/detect', { text: 'a', texts: ['b'] }, h), status: 400, code: 'invalid_request' },
    { name: 'unknown field', send: () => post('/v1/detect', { text: sampleText('x'), colour: 'red' }, h), status: 400, code: 'invalid_request' },
    { name: 'wrong type', send: () => post('/v1/detect', { text: 42 }, h), status: 400, code: 'invalid_request' },
    { name: 'unknown profile', send: () => post('/v1/detect', { text: sampleText('x'), profile: 'lenient' }, h), status: 400, code: 'invalid_request' },
    { name: 'empty batch', send: () => post('/v1/detect', { texts: [] }, h), status: 400, code: 'invalid_request' },
    { name: 'a JSON array body', send: () => post('/v1/detect', '[1,2]', h), status: 400, code: 'invalid_request' },
    { name: 'empty text', send: () => post('/v1/detect', { text: '   ' }, h), status: 400, code: 'empty_text' },
    { name: 'control characters', send: () => post('/v1/detect', { text: 'bell \u0007 here' }, h), status: 400, code: 'control_characters' },
    { name: 'a lone surrogate', send: () => post('/v1/detect', '{"text": "broken \\ud800 text"}', h), status: 400, code: 'invalid_unicode' },
    {
      name: 'too many texts',
      send: () => post('/v1/detect', { texts: Array.from({ length: 9 }, (_, i) => `text ${i}`) }, h),
      status: 413,
      code: 'batch_too_large',
    },
    { name: 'an oversized body', send: () => post('/v1/detect', { text: 'a'.repeat(1024 * 1024 + 10) }, h), status: 413, code: 'payload_too_large' },
    { name: 'GET on a POST route', send: () => fetch(`${gateway()}/v1/detect`, { headers: h }), status: 405, code: 'method_not_allowed' },
    { name: 'an unknown route', send: () => fetch(`${gateway()}/v1/nothing-here`, { headers: h }), status: 404, code: 'not_found' },
    { name: 'a batch on the demo route', send: () => post('/v1/demo/detect', { texts: ['a'] }), status: 400, code: 'invalid_request' },
    { name: 'a long text on the demo route', send: () => post('/v1/demo/detect', { text: 'word '.repeat(500) }), status: 413, code: 'text_too_long' },
    {
      name: 'a hosted detector without a key',
      send: () => post('/v1/demo/detect', { text: sampleText('x'), detector: 'hf:some/model' }),
      status: 404,
      code: 'unknown_detector',
    },
    {
      name: 'a hosted detector that is not enabled',
      send: () => post('/v1/detect', { text: sampleText('x'), detector: 'hf:some/model' }, h),
      status: 404,
      code: 'unknown_detector',
    },
    { name: 'extract without multipart', send: () => post('/v1/extract', { file: 'x' }, h), status: 415, code: 'unsupported_media_type' },
    { name: 'a bad history cursor', send: () => fetch(`${gateway()}/v1/predictions?cursor=nonsense`, { headers: h }), status: 400, code: 'invalid_cursor' },
    {
      name: 'a +json look-alike content type',
      send: () => post('/v1/detect', { text: sampleText('x') }, { ...h, 'content-type': 'application/evil+json' }),
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      name: 'bytes that are not UTF-8',
      send: () =>
        fetch(`${gateway()}/v1/detect`, {
          method: 'POST',
          headers: { ...h, 'content-type': 'application/json' },
          body: Buffer.concat([Buffer.from(`{"text": "${sampleText('x')} `), Buffer.from([0xff, 0xc3, 0x28]), Buffer.from('"}')]),
        }),
      status: 400,
      code: 'invalid_unicode',
    },
    {
      name: 'a layer past the model',
      send: () => post('/v1/detect', { text: sampleText('x'), model_name: 'tinylm-en-v1', layer: -10 }, h),
      status: 400,
      code: 'unknown_layer',
    },
    { name: 'a bad history limit', send: () => fetch(`${gateway()}/v1/predictions?limit=0`, { headers: h }), status: 400, code: 'invalid_request' },
    { name: '/analyze without text', send: () => post('/analyze', { model_name: 'x' }, h), status: 400, code: 'invalid_request' },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${c.status} ${c.code}`, async () => {
      const res = await c.send();
      expect(res.status).toBe(c.status);
      const body = await res.json();
      expect(body.error.code).toBe(c.code);
      expect(body.error.message).toEqual(expect.any(String));
    });
  }

  it('rejects an oversized upload on /v1/extract before reading it', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(10 * 1024 * 1024 + 1)]), 'big.txt');
    const res = await fetch(`${gateway()}/v1/extract`, { method: 'POST', headers: h, body: form });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });
});
