import { describe, expect, it } from 'vitest';
import { auth, createKey, post, sampleText } from '../support/client.ts';

describe('response cache', () => {
  it('answers the second identical request from the cache, and not for another tenant', async () => {
    const owner = crypto.randomUUID();
    const a1 = createKey({ owner });
    const a2 = createKey({ owner });
    const b = createKey();
    const text = sampleText(`cache ${crypto.randomUUID()}`);

    const first = await post('/v1/detect', { text }, auth(a1.key));
    expect(first.status).toBe(200);
    const firstBody = await first.json();
    expect(firstBody.cached).toBe(false);
    expect(first.headers.get('x-cache')).toBe('MISS');

    const second = await post('/v1/detect', { text }, auth(a1.key));
    const secondBody = await second.json();
    expect(secondBody.cached).toBe(true);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(secondBody.result).toEqual(firstBody.result);

    // Same owner, another key: the tenant is the owner, so this is a hit too.
    expect((await (await post('/v1/detect', { text }, auth(a2.key))).json()).cached).toBe(true);

    // Another tenant must not learn that the text was seen.
    const other = await post('/v1/detect', { text }, auth(b.key));
    expect(other.headers.get('x-cache')).toBe('MISS');
    expect((await other.json()).cached).toBe(false);
  });

  it('keys the cache on the options: another profile is a miss', async () => {
    const k = createKey();
    const text = sampleText(`profile ${crypto.randomUUID()}`);
    await post('/v1/detect', { text, profile: 'strict' }, auth(k.key));
    const balanced = await post('/v1/detect', { text, profile: 'balanced' }, auth(k.key));
    expect((await balanced.json()).cached).toBe(false);
  });

  it('caches batch items one by one', async () => {
    const k = createKey();
    const seen = sampleText(`batch seen ${crypto.randomUUID()}`);
    const fresh = sampleText(`batch fresh ${crypto.randomUUID()}`);
    await post('/v1/detect', { text: seen }, auth(k.key));
    const res = await post('/v1/detect', { texts: [seen, fresh, ''] }, auth(k.key));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-cache')).toBe('PARTIAL');
    const { results } = await res.json();
    expect(results).toHaveLength(3);
    expect(results[0]).toMatchObject({ index: 0, cached: true });
    expect(results[1]).toMatchObject({ index: 1, cached: false });
    expect(results[2]).toMatchObject({ index: 2, error: { code: 'empty_text' } });
  });
});
