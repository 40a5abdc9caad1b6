import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { contractPeer, testGateway, type Peer } from '../test-support.ts';

const TEXT = 'The committee met on Tuesday to review the budget for the coming year and agreed to postpone the vote.';

describe('client address behind trusted proxies (TRUST_FORWARDED_FOR)', () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await contractPeer();
  });
  afterAll(() => peer.close());

  /** Demo statuses for requests that share the trusted part of X-Forwarded-For but vary the rest. */
  const statuses = async (vars: Record<string, string>, forwardedFor: (i: number) => string) => {
    const gw = await testGateway({ INFERENCE_URLS: peer.url, TRUST_FORWARDED_FOR: 'true', DEMO_PER_IP_PER_MINUTE: '2', ...vars });
    const out: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await gw.app.request('/v1/demo/detect', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor(i) },
        body: JSON.stringify({ text: `${TEXT} ${i}` }),
      });
      out.push(res.status);
    }
    return out;
  };

  it('takes the entry the one trusted proxy appended, not the leftmost the client wrote', async () => {
    expect(await statuses({}, (i) => `10.9.9.${i}, 203.0.113.7`)).toEqual([200, 200, 429]);
    // A client that sends no header of its own is the proxy's only entry.
    expect(await statuses({}, () => '203.0.113.8')).toEqual([200, 200, 429]);
  });

  it('counts TRUSTED_PROXY_HOPS entries from the right', async () => {
    expect(await statuses({ TRUSTED_PROXY_HOPS: '2' }, (i) => `10.9.9.${i}, 203.0.113.9, 192.0.2.${i}`)).toEqual([200, 200, 429]);
  });

  it('does not let a header shorter than the proxy chain choose the address', async () => {
    // Fewer entries than trusted proxies: the header did not come through them all, so it is ignored.
    expect(await statuses({ TRUSTED_PROXY_HOPS: '2' }, (i) => `10.9.9.${i}`)).toEqual([200, 200, 429]);
  });

  it('refuses a hop count that is not a positive integer, naming the variable', () => {
    for (const bad of ['0', '-1', '1.5', 'two']) expect(() => loadConfig({ ENVIRONMENT: 'local', TRUSTED_PROXY_HOPS: bad })).toThrow(/TRUSTED_PROXY_HOPS/);
    expect(loadConfig({ ENVIRONMENT: 'local' }).TRUSTED_PROXY_HOPS).toBe(1);
  });
});
