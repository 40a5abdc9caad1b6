import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { generateApiKey, hashApiKey, parseApiKey } from './api-key.ts';
import { CachedKeyStore, verifyKey, type KeyRecord, type KeyStore } from './key-store.ts';

describe('API keys', () => {
  it('generates keys with a visible prefix that parse back', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^dk_live_[a-z0-9]{10}_[A-Za-z0-9]{32}$/);
    expect(parseApiKey(k.key)).toEqual(k);
    expect(parseApiKey('dk_live_short_secret')).toBeNull();
    expect(generateApiKey().key).not.toBe(k.key);
  });

  it('hashes with the pepper (HMAC) and never returns the key', async () => {
    const { key } = generateApiKey();
    const peppered = await hashApiKey(key, 'pepper');
    expect(peppered).toMatch(/^hmac:[0-9a-f]{64}$/);
    expect(peppered).not.toContain(key);
    expect(await hashApiKey(key, 'other pepper')).not.toBe(peppered);
    expect(await hashApiKey(key, '')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('verifies against the stored hash and reports revocation', async () => {
    const { key, prefix } = generateApiKey();
    const record: KeyRecord = { id: 'k', prefix, keyHash: await hashApiKey(key, 'p'), ownerId: 'o', tier: 'free', scopes: ['detect'], revoked: false };
    const store: KeyStore = { byPrefix: async (p) => (p === prefix ? record : null) };
    expect(await verifyKey(store, key, 'p')).toMatchObject({ ok: true });
    expect(await verifyKey(store, key, 'wrong pepper')).toEqual({ ok: false, reason: 'unknown' });
    expect(await verifyKey({ byPrefix: async () => ({ ...record, revoked: true }) }, key, 'p')).toEqual({ ok: false, reason: 'revoked' });
  });

  it('caches lookups for the TTL only', async () => {
    let now = 0;
    let calls = 0;
    const inner: KeyStore = {
      byPrefix: async () => {
        calls += 1;
        return null;
      },
    };
    const cached = new CachedKeyStore(inner, 1000, () => now);
    await cached.byPrefix('a');
    await cached.byPrefix('a');
    expect(calls).toBe(1);
    now = 1001;
    await cached.byPrefix('a');
    expect(calls).toBe(2);
  });

  it('keeps unknown prefixes apart from known ones, so a flood of bad keys evicts no good one', async () => {
    const { key, prefix } = generateApiKey();
    const record: KeyRecord = { id: 'k', prefix, keyHash: await hashApiKey(key, ''), ownerId: 'o', tier: 'free', scopes: ['detect'], revoked: false };
    const looked: string[] = [];
    const inner: KeyStore = {
      byPrefix: async (p) => {
        looked.push(p);
        return p === prefix ? record : null;
      },
    };
    const cached = new CachedKeyStore(inner, 60_000, () => 0);
    expect(await cached.byPrefix(prefix)).toBe(record);
    for (let i = 0; i < 3000; i++) await cached.byPrefix(`bad${String(i).padStart(7, '0')}`);
    // A repeated bad prefix is answered from the isolate too.
    await cached.byPrefix('bad0002999');
    expect(await cached.byPrefix(prefix)).toBe(record);
    expect(looked.filter((p) => p === prefix)).toHaveLength(1);
    expect(looked.filter((p) => p === 'bad0002999')).toHaveLength(1);
  });

  it('forgets an unknown prefix after its own, shorter TTL, so a key created since is accepted soon', async () => {
    let now = 0;
    let calls = 0;
    const inner: KeyStore = {
      byPrefix: async () => {
        calls += 1;
        return null;
      },
    };
    const cached = new CachedKeyStore(inner, 60_000, () => now, { missTtlMs: 5_000 });
    await cached.byPrefix('a');
    now = 4_999;
    await cached.byPrefix('a');
    expect(calls).toBe(1);
    now = 5_000;
    await cached.byPrefix('a');
    expect(calls).toBe(2);
  });
});

describe('configuration', () => {
  it('defaults to in-memory stores with nothing set', () => {
    const c = loadConfig({ ENVIRONMENT: 'local' });
    expect(c.UPSTASH_REDIS_REST_URL).toBeUndefined();
    expect(c.INFERENCE_URLS).toEqual(['http://127.0.0.1:8081']);
  });

  it('fails at start-up on bad or half-given settings', () => {
    expect(() => loadConfig({ INFERENCE_TIMEOUT_MS: 'soon' })).toThrow(/INFERENCE_TIMEOUT_MS/);
    expect(() => loadConfig({ INFERENCE_URLS: 'not a url' })).toThrow(/INFERENCE_URLS/);
    expect(() => loadConfig({ ENVIRONMENT: 'local', UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1' })).toThrow(/UPSTASH_REDIS_REST_TOKEN/);
  });
});
