import { DetectorApiError, DetectorClient } from '@detector/contract';
import { describe, expect, it } from 'vitest';
import { createKey, eventually, gateway, sampleText, stack } from '../support/client.ts';
import { FREE_PER_MINUTE } from '../support/limits.ts';

/** The typed client against the running stack: every method, and errors as one type with the API's code. */

const failure = async (p: Promise<unknown>): Promise<DetectorApiError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof DetectorApiError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
};

describe('typed client', () => {
  it('scores a text and a batch, then lists them in the history and usage', async () => {
    const k = createKey();
    const client = new DetectorClient({ baseUrl: gateway(), apiKey: k.key });
    const text = sampleText(`client ${crypto.randomUUID()}`);

    const one = await client.detectText(text, { profile: 'balanced' });
    expect(one).toMatchObject({ profile: 'balanced', cached: false });
    expect(['ai', 'human', 'uncertain']).toContain(one.label);
    expect(client.rateLimit?.limit).toBeGreaterThan(0);
    expect((await client.detectText(text, { profile: 'balanced' })).cached).toBe(true);

    const batch = await client.detect({ texts: [text, ''] });
    if (!('results' in batch)) throw new Error('a batch answers results');
    expect(batch.results).toHaveLength(2);
    expect(batch.results[1]).toMatchObject({ index: 1, error: { code: 'empty_text' } });

    const analyzed = await client.analyze({ text });
    expect(analyzed.prediction === 1).toBe(analyzed.is_fake);
    expect(analyzed.detector.name).toEqual(expect.any(String));

    const rows = await eventually(async () => {
      const page = await client.predictions({ limit: 10 });
      return page.data.length >= 3 ? page.data : null;
    }, 'history rows');
    expect(rows.map((r) => r.route)).toEqual(expect.arrayContaining(['/v1/detect', '/analyze']));
    // Paging through everything with the cursors the gateway issued finds the same rows.
    const all = [];
    for await (const row of client.allPredictions(1)) all.push(row);
    expect(all.length).toBeGreaterThanOrEqual(rows.length);

    const usage = await eventually(async () => {
      const u = await client.usage({ days: 1 });
      return u.days[0] && u.days[0].texts >= 4 ? u : null;
    }, 'usage');
    expect(usage).toMatchObject({ key: k.prefix, tier: 'pro' });
  });

  it('extracts files with and without a key, and reports health and readiness', async () => {
    const client = new DetectorClient({ baseUrl: gateway(), apiKey: createKey().key });
    const file = new Blob(['A note uploaded by the typed client.\n'], { type: 'text/plain' });
    expect(await client.extract(file, 'note.txt')).toMatchObject({ text: expect.stringContaining('typed client'), method: 'plain' });
    expect((await client.demoExtract(file, 'note.txt')).chars).toBeGreaterThan(0);
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(await client.ready()).toEqual({ status: 'ready' });
    expect(await client.ready({ operatorToken: stack().env.OPERATOR_TOKEN })).toMatchObject({ status: 'ready', redis: 'ok', database: 'ok' });
    const demo = await client.demoDetect({ text: sampleText('demo through the client') });
    expect('result' in demo).toBe(true);
  });

  it('turns refusals into DetectorApiError with the status, the code and Retry-After', async () => {
    const anonymous = new DetectorClient({ baseUrl: gateway() });
    expect(await failure(anonymous.detect({ text: 'hello there' }))).toMatchObject({ status: 401, code: 'unauthorized' });

    const client = new DetectorClient({ baseUrl: gateway(), apiKey: createKey().key });
    expect(await failure(client.detect({ text: 'a', texts: ['b'] } as never))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await failure(client.usage({ days: 91 }))).toMatchObject({ status: 400, code: 'invalid_request' });
    expect(await failure(client.predictions({ cursor: 'forged' }))).toMatchObject({ status: 400, code: 'invalid_cursor' });
    expect(await failure(client.extract(new Blob(['  \n']), 'empty.txt'))).toMatchObject({ status: 422, code: 'no_text_found' });
    const unknown = await failure(client.detect({ text: sampleText('unknown'), detector: 'no-such-detector' }));
    expect(unknown).toMatchObject({ status: 404, code: 'unknown_detector' });
    expect(unknown.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const free = new DetectorClient({ baseUrl: gateway(), apiKey: createKey({ tier: 'free' }).key });
    const limited = await (async () => {
      for (let i = 0; i <= FREE_PER_MINUTE; i++) {
        try {
          await free.detectText(sampleText('client limits'));
        } catch (err) {
          if (err instanceof DetectorApiError) return err;
          throw err;
        }
      }
      throw new Error('the free tier never limited');
    })();
    expect(limited).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(limited.retryAfter).toBeGreaterThan(0);
    expect(free.rateLimit?.remaining).toBe(0);
  });
});
