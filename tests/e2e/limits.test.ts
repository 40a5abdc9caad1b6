import { describe, expect, it } from 'vitest';
import { auth, createKey, post, sampleText } from '../support/client.ts';
import { FREE_PER_MINUTE } from '../support/limits.ts';

describe('rate limits', () => {
  it(`lets exactly ${FREE_PER_MINUTE} concurrent requests through a limit of ${FREE_PER_MINUTE}, then answers 429`, async () => {
    const k = createKey({ tier: 'free' });
    const burst = FREE_PER_MINUTE + 4;
    // Identical texts: cache hits must count against the limit too.
    const responses = await Promise.all(Array.from({ length: burst }, () => post('/v1/detect', { text: sampleText('limits') }, auth(k.key))));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(FREE_PER_MINUTE);
    expect(statuses.filter((s) => s === 429)).toHaveLength(burst - FREE_PER_MINUTE);
    for (const r of responses) {
      expect(r.headers.get('ratelimit-limit')).toBe(String(FREE_PER_MINUTE));
      expect(Number(r.headers.get('ratelimit-remaining'))).toBeGreaterThanOrEqual(0);
      expect(Number(r.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
    }
    const limited = responses.find((r) => r.status === 429)!;
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect((await limited.json()).error.code).toBe('rate_limited');

    // A second key of the same tier has its own budget.
    const other = createKey({ tier: 'free' });
    expect((await post('/v1/detect', { text: sampleText('limits') }, auth(other.key))).status).toBe(200);
  });

  it('counts remaining requests down on successive answers', async () => {
    const k = createKey({ tier: 'free' });
    const first = await post('/v1/detect', { text: sampleText('countdown') }, auth(k.key));
    const second = await post('/v1/detect', { text: sampleText('countdown') }, auth(k.key));
    expect(Number(first.headers.get('ratelimit-remaining'))).toBe(FREE_PER_MINUTE - 1);
    expect(Number(second.headers.get('ratelimit-remaining'))).toBe(FREE_PER_MINUTE - 2);
  });

  it('limits the keyless demo route per client address', async () => {
    const res = await post('/v1/demo/detect', { text: sampleText('demo') }, { 'x-forwarded-for': '203.0.113.7' });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-limit')).toBe('1000');
    expect(Number(res.headers.get('ratelimit-remaining'))).toBe(999);
  });
});
