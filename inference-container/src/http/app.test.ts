import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SAMPLE_TEXTS, startTestService, type JsonResponse } from '../test-support.ts';
import type { InferenceService } from '../core/service.ts';
import { createApp } from './app.ts';

let service: InferenceService;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  service = await startTestService({ MAX_TEXT_CHARS: '20000', MAX_BATCH_TEXTS: '8', MAX_BODY_BYTES: '65536' });
  app = createApp(service);
});
afterAll(async () => service.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  app.request(path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) }) as Promise<JsonResponse>;
const get = (path: string) => app.request(path) as Promise<JsonResponse>;

describe('POST /v1/embed', () => {
  it('answers one vector per text at the requested layer', async () => {
    const res = await post('/v1/embed', { texts: SAMPLE_TEXTS, layer: -1, pooling: 'mean' });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.layer).toBe(8);
    expect(body.embeddings).toHaveLength(3);
    for (const e of body.embeddings) expect(e).toHaveLength(256);
    expect(body.usage.tokens).toBeGreaterThan(30);
  });

  it('L2-normalises when asked and differs between pooling modes', async () => {
    const mean = await (await post('/v1/embed', { texts: [SAMPLE_TEXTS[0]], layer: 4, normalize: true })).json();
    const last = await (await post('/v1/embed', { texts: [SAMPLE_TEXTS[0]], layer: 4, pooling: 'last', normalize: true })).json();
    const norm = Math.hypot(...mean.embeddings[0]);
    expect(norm).toBeCloseTo(1, 5);
    expect(mean.embeddings[0][0]).not.toBeCloseTo(last.embeddings[0][0], 5);
  });

  it('embeds a text the same alone and inside a batch', async () => {
    const alone = await (await post('/v1/embed', { texts: [SAMPLE_TEXTS[1]] })).json();
    const batch = await (await post('/v1/embed', { texts: SAMPLE_TEXTS })).json();
    const diff = Math.max(...alone.embeddings[0].map((x: number, i: number) => Math.abs(x - batch.embeddings[1][i])));
    expect(diff).toBeLessThan(1e-4);
  });
});

describe('POST /v1/features', () => {
  it('returns log-probability statistics and per-token values with offsets', async () => {
    const text = SAMPLE_TEXTS[1]!;
    const res = await post('/v1/features', { texts: [text], layers: [0, -1], per_token: true });
    expect(res.status).toBe(200);
    const [r] = (await res.json()).results;
    expect(Object.keys(r.embeddings)).toEqual(['0', '8']);
    expect(r.logprob.scored_tokens).toBe(r.tokens);
    expect(r.logprob.perplexity).toBeCloseTo(Math.exp(-r.logprob.mean_logprob), 6);
    expect(r.logprob.mean_entropy).toBeGreaterThan(0);
    expect(r.per_token).toHaveLength(r.tokens);
    expect(r.per_token.map((t: { char_start: number; char_end: number }) => text.slice(t.char_start, t.char_end)).join('')).toBe(text);
  });

  it('splits a long text into overlapping windows and scores every token once', async () => {
    const long = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about rivers, trains and the price of bread.`).join(' ');
    const res = await post('/v1/features', { texts: [long], layers: [-1] });
    const [r] = (await res.json()).results;
    expect(r.tokens).toBeGreaterThan(511);
    expect(r.windows.length).toBeGreaterThan(1);
    expect(r.windows[0].char_start).toBe(0);
    expect(r.windows.at(-1).char_end).toBe(long.length);
    for (const w of r.windows) expect(w.token_end - w.token_start).toBeLessThanOrEqual(511);
    expect(r.logprob.scored_tokens).toBe(r.tokens);
  });

  it('skips the vocabulary projection when only embeddings are asked for', async () => {
    const res = await post('/v1/features', { texts: [SAMPLE_TEXTS[0]], layers: [2], logprob: false });
    const [r] = (await res.json()).results;
    expect(r.logprob).toBeUndefined();
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/inference_batch_seconds_count\{model="tinylm-en-v1",outputs="mean_pooled"\} \d+/);
  });
});

describe('bad input answers 4xx with a stable code', () => {
  const cases: Array<[string, unknown, number, string, Record<string, string>?]> = [
    ['empty text', { texts: [''] }, 400, 'empty_text'],
    ['whitespace text', { texts: ['  \n\t '] }, 400, 'empty_text'],
    ['text over the limit', { texts: ['a'.repeat(20001)] }, 413, 'text_too_long'],
    ['invalid JSON', '{"texts": [', 400, 'invalid_json'],
    ['texts not an array', { texts: 'hello' }, 400, 'invalid_request'],
    ['a number among texts', { texts: ['ok', 3] }, 400, 'invalid_request'],
    ['no texts', { texts: [] }, 400, 'invalid_request'],
    ['unknown field', { texts: ['hi'], temperature: 1 }, 400, 'invalid_request'],
    ['layer not an integer', { texts: ['hi'], layer: 1.5 }, 400, 'invalid_request'],
    ['batch over the limit', { texts: Array(9).fill('hi') }, 413, 'batch_too_large'],
    ['unknown model', { texts: ['hi'], model: 'gpt-9' }, 404, 'unknown_model'],
    ['layer out of range', { texts: ['hi'], layer: 9 }, 400, 'unknown_layer'],
    ['negative layer out of range', { texts: ['hi'], layer: -10 }, 400, 'unknown_layer'],
    ['unknown pooling', { texts: ['hi'], pooling: 'max' }, 400, 'invalid_request'],
    ['lone surrogate', '{"texts": ["abc\\ud800def"]}', 400, 'invalid_unicode'],
    ['control characters', { texts: ['abc\u0007def'] }, 400, 'control_characters'],
    ['body over the limit', { texts: ['a'.repeat(70_000)] }, 413, 'payload_too_large'],
    ['not JSON content type', 'texts=hi', 415, 'unsupported_media_type', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['a +json look-alike type', { texts: ['hi'] }, 415, 'unsupported_media_type', { 'content-type': 'application/evil+json' }],
    ['a non-UTF-8 charset', { texts: ['hi'] }, 415, 'unsupported_media_type', { 'content-type': 'application/json; charset=latin1' }],
  ];
  it.each(cases)('%s', async (_name, body, status, code, headers) => {
    const res = await post('/v1/embed', body, headers);
    expect(res.status).toBe(status);
    expect((await res.json()).error.code).toBe(code);
  });

  it('refuses bytes that are not UTF-8 instead of scoring U+FFFD', async () => {
    const body = new Uint8Array([...new TextEncoder().encode('{"texts": ["abc '), 0xc3, 0x28, ...new TextEncoder().encode(' def"]}')]);
    const res = (await app.request('/v1/embed', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body })) as JsonResponse;
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('invalid_unicode');
  });

  it('answers 404 with the error shape for an unknown route', async () => {
    const res = await get('/v1/nothing');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });
});

describe('operations', () => {
  it('reports health, readiness, models and metrics', async () => {
    expect((await get('/health')).status).toBe(200);
    expect(await (await get('/ready')).json()).toMatchObject({ status: 'ready' });
    const models = await (await get('/v1/models')).json();
    expect(models.data[0]).toMatchObject({ name: 'tinylm-en-v1', default: true, layers: 9, hidden_size: 256, max_tokens: 512 });
    const metrics = await (await get('/metrics')).text();
    for (const name of ['inference_queue_depth', 'inference_batch_size_bucket', 'inference_tokens_total', 'http_request_seconds_bucket']) {
      expect(metrics).toContain(name);
    }
  });
});

describe('a full queue', () => {
  it('answers 503 with Retry-After instead of growing', async () => {
    const small = await startTestService({ QUEUE_MAX_WINDOWS: '2', BATCH_MAX_WAIT_MS: '1500' });
    const smallApp = createApp(small);
    try {
      const req = () =>
        (smallApp.request as (...a: Parameters<typeof smallApp.request>) => Promise<JsonResponse>)('/v1/embed', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ texts: ['one', 'two'] }),
        });
      const first = req();
      // The first request's two windows wait out the batching delay, so the queue is full now.
      await new Promise((r) => setTimeout(r, 100));
      const second = await req();
      expect(second.status).toBe(503);
      expect(second.headers.get('retry-after')).toBe('1');
      expect((await second.json()).error.code).toBe('queue_full');
      expect((await first).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe('a caller that disconnects mid-request', () => {
  it('is logged as client_disconnected at info, not as an unhandled error', async () => {
    const errors = vi.spyOn(service.log, 'error');
    const infos = vi.spyOn(service.log, 'info');
    try {
      const gone = new AbortController();
      // What the HTTP server hands on when the socket closes halfway through the body.
      const body = new ReadableStream<Uint8Array>({
        start: (ctl) => ctl.enqueue(new TextEncoder().encode('{"text": "half a bo')),
        pull: (ctl) => {
          gone.abort();
          ctl.error(new Error('aborted'));
        },
      });
      const req = new Request('http://service/v1/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: gone.signal,
        duplex: 'half',
      } as RequestInit);
      await app.request(req);
      expect(errors).not.toHaveBeenCalled();
      expect(infos).toHaveBeenCalledWith('client_disconnected', expect.objectContaining({ path: '/v1/detect' }));
    } finally {
      errors.mockRestore();
      infos.mockRestore();
    }
  });
});
