import { afterEach, describe, expect, it, vi } from 'vitest';
import { generateApiKey } from './auth/api-key.ts';
import { loadConfig } from './config.ts';
import { createWorker } from './index.ts';

const OWNER = '11111111-1111-4111-8111-111111111111';
const TOKEN = 't'.repeat(40);
const PEPPER = 'p'.repeat(32);
const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined } as unknown as ExecutionContext;
const local = { ENVIRONMENT: 'local' };

describe('STATIC_API_KEYS', () => {
  const key = generateApiKey().key;

  it('parses key:tier:owner[:scopes]', () => {
    const c = loadConfig({ ...local, STATIC_API_KEYS: `${key}:pro:${OWNER}:detect|history, ${generateApiKey().key}` });
    expect(c.STATIC_API_KEYS).toHaveLength(2);
    expect(c.STATIC_API_KEYS[0]).toMatchObject({ key, tier: 'pro', ownerId: OWNER, scopes: ['detect', 'history'] });
    expect(c.STATIC_API_KEYS[1]).toMatchObject({ tier: 'free', scopes: ['detect', 'extract', 'history'] });
  });

  it.each([
    ['a key of the wrong shape', 'dk_live_short_secret:pro'],
    ['an unknown tier', `${key}:gold:${OWNER}`],
    ['an owner that is not a uuid', `${key}:pro:alice`],
    ['an unknown scope', `${key}:pro:${OWNER}:detect|admin`],
    ['too many parts', `${key}:pro:${OWNER}:detect:extra`],
    ['the same key twice', `${key}:pro:${OWNER},${key}:free:${OWNER}`],
  ])('refuses %s with a message naming the variable but not the key', (_name, spec) => {
    let message = '';
    try {
      loadConfig({ ...local, STATIC_API_KEYS: spec });
    } catch (err) {
      message = String(err);
    }
    expect(message).toMatch(/STATIC_API_KEYS: entry \d of \d/);
    expect(message).not.toContain(key.slice(8));
  });
});

describe('production settings', () => {
  it('requires API_KEY_PEPPER and INFERENCE_TOKEN, naming each', () => {
    expect(() => loadConfig({ INFERENCE_TOKEN: TOKEN })).toThrow(/API_KEY_PEPPER: required when ENVIRONMENT=production/);
    expect(() => loadConfig({ API_KEY_PEPPER: PEPPER })).toThrow(/INFERENCE_TOKEN: required when ENVIRONMENT=production/);
    expect(() => loadConfig({ ENVIRONMENT: 'production', API_KEY_PEPPER: PEPPER, INFERENCE_TOKEN: 'short' })).toThrow(/INFERENCE_TOKEN: must be at least 32/);
    expect(loadConfig({ API_KEY_PEPPER: PEPPER, INFERENCE_TOKEN: TOKEN }).ENVIRONMENT).toBe('production');
    // Only an explicit local environment runs with neither.
    expect(loadConfig(local).API_KEY_PEPPER).toBe('');
  });

  it('requires a pepper of at least 32 bytes in production, and says so without echoing it', () => {
    for (const pepper of ['Q7#kW', 'p'.repeat(31), 'é'.repeat(15)]) {
      let message = '';
      try {
        loadConfig({ API_KEY_PEPPER: pepper, INFERENCE_TOKEN: TOKEN });
      } catch (err) {
        message = String(err);
      }
      expect(message, pepper).toMatch(/API_KEY_PEPPER: must be at least 32 bytes/);
      expect(message).not.toContain(pepper);
    }
    // 16 two-byte characters are 32 bytes.
    expect(loadConfig({ API_KEY_PEPPER: 'é'.repeat(16), INFERENCE_TOKEN: TOKEN }).API_KEY_PEPPER).toHaveLength(16);
    // Local runs keep whatever pepper they were given (tests use short ones).
    expect(loadConfig({ ...local, API_KEY_PEPPER: 'x' }).API_KEY_PEPPER).toBe('x');
  });
});

describe('the Worker with a bad configuration', () => {
  afterEach(() => vi.restoreAllMocks());

  it('answers every route, /health included, with misconfigured naming the variable, and logs it once', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const worker = createWorker();
    const env = { ...local, STATIC_API_KEYS: 'dk_live_nothing:pro' };
    for (const path of ['/health', '/v1/detect', '/ready']) {
      const res = await worker.fetch(new Request(`http://gw${path}`), env, ctx);
      expect(res.status, path).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('misconfigured');
      expect(body.error.message).toContain('STATIC_API_KEYS');
    }
    const logged = errors.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('invalid configuration'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('STATIC_API_KEYS');
  });

  it('refuses to run as production without a pepper', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await createWorker().fetch(new Request('http://gw/health'), { INFERENCE_TOKEN: TOKEN }, ctx);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('API_KEY_PEPPER');
  });

  it('answers 500 misconfigured naming API_KEY_PEPPER for a short pepper in production', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await createWorker().fetch(new Request('http://gw/health'), { API_KEY_PEPPER: 'x', INFERENCE_TOKEN: TOKEN }, ctx);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('misconfigured');
    expect(body.error.message).toContain('API_KEY_PEPPER');
  });

  it('answers /health once the configuration is good', async () => {
    const res = await createWorker().fetch(new Request('http://gw/health'), { API_KEY_PEPPER: PEPPER, INFERENCE_TOKEN: TOKEN }, ctx);
    expect(res.status).toBe(200);
  });
});
