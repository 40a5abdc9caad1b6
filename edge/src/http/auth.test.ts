import { describe, expect, it } from 'vitest';
import { generateApiKey } from '../auth/api-key.ts';
import type { KeyStore } from '../auth/key-store.ts';
import { testGateway } from '../test-support.ts';

describe('failed key lookups per address', () => {
  /** A gateway whose key store counts the lookups that reach it. */
  const gateway = async (vars: Record<string, string> = {}) => {
    const gw = await testGateway({ AUTH_FAILURES_PER_MINUTE: '3', ...vars });
    const inner = gw.services.keys;
    const looked: string[] = [];
    const counting: KeyStore = {
      byPrefix: (prefix) => {
        looked.push(prefix);
        return inner.byPrefix(prefix);
      },
      holds: (prefix) => inner.holds?.(prefix) ?? false,
    };
    gw.services.keys = counting;
    const call = (key: string, ip: string) => gw.app.request('/v1/usage', { headers: { authorization: `Bearer ${key}`, 'cf-connecting-ip': ip } });
    return { gw, looked, call };
  };

  it('answers 429 too_many_auth_failures once an address has spent its failures, without asking the key store', async () => {
    const { looked, call } = await gateway();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(generateApiKey().key, '198.51.100.7')).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const lookups = looked.length;
    const refused = await call(generateApiKey().key, '198.51.100.7');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json<any>()).error.code).toBe('too_many_auth_failures');
    expect(looked.length).toBe(lookups);
  });

  it('leaves other addresses, and keys the isolate already holds, alone', async () => {
    const { gw, call } = await gateway();
    for (let i = 0; i < 4; i++) await call(generateApiKey().key, '198.51.100.8');
    expect((await call(generateApiKey().key, '198.51.100.9')).status).toBe(401);
    expect((await call(gw.keys.pro, '198.51.100.8')).status).toBe(200);
  });

  it('does not count a missing or malformed key, which never reaches the store', async () => {
    const { call, looked } = await gateway();
    for (let i = 0; i < 5; i++) expect((await call('not-a-key', '198.51.100.10')).status).toBe(401);
    expect(looked).toEqual([]);
    expect((await call(generateApiKey().key, '198.51.100.10')).status).toBe(401);
  });
});
