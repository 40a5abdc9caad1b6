import { describe, expect, it } from 'vitest';
import { auth, createKey, post, revokeKey, sampleText } from '../support/client.ts';

describe('authentication', () => {
  const body = { text: sampleText('auth') };

  it('answers 401 without a key', async () => {
    const res = await post('/v1/detect', body);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('answers 401 for a well-formed key that does not exist and for garbage', async () => {
    for (const key of ['dk_live_aaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'not-a-key']) {
      const res = await post('/v1/detect', body, auth(key));
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe('unauthorized');
    }
  });

  it('answers 401 when the secret part is wrong for a real prefix', async () => {
    const k = createKey();
    const forged = `${k.key.slice(0, -4)}${k.key.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    const res = await post('/v1/detect', body, auth(forged));
    expect(res.status).toBe(401);
  });

  it('accepts the key as a bearer token and as x-api-key', async () => {
    const k = createKey();
    expect((await post('/v1/detect', body, auth(k.key))).status).toBe(200);
    expect((await post('/v1/detect', body, { 'x-api-key': k.key })).status).toBe(200);
  });

  it('answers 403 for a revoked key', async () => {
    const k = createKey();
    revokeKey(k.prefix);
    const res = await post('/v1/detect', body, auth(k.key));
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('forbidden');
  });

  it('answers 403 for a key without the route scope', async () => {
    const k = createKey({ scopes: 'extract' });
    const res = await post('/v1/detect', body, auth(k.key));
    expect(res.status).toBe(403);
    expect((await res.json()).error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('detect') });
    const history = await fetch(`${(await import('../support/client.ts')).gateway()}/v1/predictions`, { headers: auth(k.key) });
    expect(history.status).toBe(403);
  });
});
