import { z } from 'zod';
import { DEFAULT_LIMITS, envBool, envInt, envList, parseEnv } from '@detector/contract';
import { parseApiKey } from './auth/api-key.ts';

const int = envInt;
const bool = envBool;
const list = envList;

export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];
export const SCOPES = ['detect', 'extract', 'history'] as const;
export type Scope = (typeof SCOPES)[number];

export interface StaticKey {
  key: string;
  prefix: string;
  tier: Tier;
  ownerId: string;
  scopes: Scope[];
}

/** scheme://host[:port], what a browser sends in Origin; `*` allows every origin. */
const origins = list('').pipe(
  z.array(
    z
      .string()
      .refine(
        (o) => o === '*' || /^https?:\/\/[^/\s?#]+$/.test(o),
        'each entry must be an origin such as https://app.example.com (scheme, host, optional port; no path), or *',
      ),
  ),
);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `key:tier:owner[:scope|scope]`, comma-separated. Every part is checked here so that a typo stops
 * the gateway with a message naming STATIC_API_KEYS, rather than a key that silently falls back
 * to another tier or owner. Messages never repeat the key itself: it is a secret.
 */
const staticKeys = z
  .string()
  .default('')
  .transform((spec, ctx): StaticKey[] => {
    const out: StaticKey[] = [];
    const entries = spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    entries.forEach((entry, i) => {
      const problem = (message: string) => ctx.addIssue({ code: 'custom', message: `entry ${i + 1} of ${entries.length}: ${message}` });
      const parts = entry.split(':');
      const [key = '', tier = 'free', owner = '00000000-0000-0000-0000-000000000000', scopes] = parts;
      const parsed = parseApiKey(key);
      if (parts.length > 4) return problem('expected key:tier:owner[:scope|scope]');
      if (!parsed) return problem('the key is not of the form dk_live_<10 lowercase letters or digits>_<32 letters or digits>');
      if (!(TIERS as readonly string[]).includes(tier)) return problem(`tier must be one of ${TIERS.join(', ')}`);
      if (!UUID.test(owner)) return problem('owner must be a uuid');
      const scopeList = scopes === undefined ? [...SCOPES] : scopes.split('|');
      const unknown = scopeList.filter((x) => !(SCOPES as readonly string[]).includes(x));
      if (unknown.length || scopeList.length === 0) return problem(`scopes must be |-separated among ${SCOPES.join(', ')}`);
      if (out.some((k) => k.prefix === parsed.prefix)) return problem('the same key prefix appears twice');
      out.push({ key: parsed.key, prefix: parsed.prefix, tier: tier as Tier, ownerId: owner.toLowerCase(), scopes: scopeList as Scope[] });
    });
    return out;
  });

/**
 * Every Worker var and secret, with its default. Parsed once per isolate so that a bad
 * deployment answers its first request with a clear configuration error instead of limping on.
 * With no Upstash or Supabase settings the gateway runs on in-memory stores.
 */
export const configSchema = z
  .object({
    /**
     * `production` (the default, so a deployment that forgets to say gets the strict checks) or
     * `local` (pnpm start, the local stack, tests): only local may run without API_KEY_PEPPER and
     * INFERENCE_TOKEN.
     */
    ENVIRONMENT: z.enum(['production', 'local']).default('production'),
    /** Comma-separated inference service base URLs; requests spread over the healthy ones. */
    INFERENCE_URLS: list('http://127.0.0.1:8081').pipe(z.array(z.url()).min(1)),
    INFERENCE_TIMEOUT_MS: int(30_000, 100),
    /** Extra attempts on another backend when a connection fails (never after a timeout). */
    INFERENCE_RETRIES: int(2, 0),
    /** Consecutive failures that open a backend's circuit. */
    BREAKER_FAILURES: int(3, 1),
    /** How long an open circuit stays open before a health probe may close it. */
    BREAKER_COOLDOWN_MS: int(10_000, 100),
    HEALTH_TIMEOUT_MS: int(2_000, 100),
    /**
     * How long a keyless /ready answer is reused: each one probes every backend, Redis and
     * Postgres, and /ready takes no key. 0 probes on every call.
     */
    READY_CACHE_MS: int(5_000, 0),
    /** Bearer token that shows /ready's backends and stores (and always probes afresh); unset: nobody sees them. */
    OPERATOR_TOKEN: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),
    /** Shared secret sent to the inference service as `Authorization: Bearer`; the service's own INFERENCE_TOKEN. */
    INFERENCE_TOKEN: z.string().min(32, 'must be at least 32 characters (openssl rand -hex 32)').optional(),

    UPSTASH_REDIS_REST_URL: z.url().optional(),
    UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
    REDIS_TIMEOUT_MS: int(1_000, 50),

    SUPABASE_URL: z.url().optional(),
    SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),

    /** HMAC key for API-key hashes (and, derived from it, history cursors); empty means plain sha256, allowed only with ENVIRONMENT=local. */
    API_KEY_PEPPER: z.string().default(''),
    /** Keys accepted without a database, `key:tier:owner[:scope|scope]` comma-separated (in-memory mode). */
    STATIC_API_KEYS: staticKeys,
    KEY_CACHE_TTL_MS: int(60_000, 0),
    /** How long the isolate remembers a key prefix the database does not have, so a repeated bad key is not looked up again. */
    KEY_MISS_CACHE_TTL_MS: int(10_000, 0),
    /** Well-formed keys that turn out not to exist, per client address and minute, before that address gets 429 too_many_auth_failures. */
    AUTH_FAILURES_PER_MINUTE: int(20, 1),

    RATE_FREE_PER_MINUTE: int(30, 1),
    RATE_FREE_PER_DAY: int(1_000, 1),
    RATE_PRO_PER_MINUTE: int(300, 1),
    RATE_PRO_PER_DAY: int(50_000, 1),
    RATE_ENTERPRISE_PER_MINUTE: int(3_000, 1),
    RATE_ENTERPRISE_PER_DAY: int(1_000_000, 1),
    /** Texts and tokens (characters / 4, before the model has seen them) per sliding minute, by tier. */
    RATE_FREE_TEXTS_PER_MINUTE: int(300, 1),
    RATE_FREE_TOKENS_PER_MINUTE: int(200_000, 1),
    RATE_PRO_TEXTS_PER_MINUTE: int(3_000, 1),
    RATE_PRO_TOKENS_PER_MINUTE: int(2_000_000, 1),
    RATE_ENTERPRISE_TEXTS_PER_MINUTE: int(30_000, 1),
    RATE_ENTERPRISE_TOKENS_PER_MINUTE: int(20_000_000, 1),
    DEMO_PER_IP_PER_MINUTE: int(10, 1),
    DEMO_PER_IP_PER_DAY: int(200, 1),
    /** Demo requests a minute from all addresses together: the most model time keyless traffic can take. */
    DEMO_GLOBAL_PER_MINUTE: int(120, 1),

    MAX_BODY_BYTES: int(1024 * 1024, 1024),
    MAX_EXTRACT_BYTES: int(10 * 1024 * 1024, 1024),
    DEMO_MAX_EXTRACT_BYTES: int(2 * 1024 * 1024, 1024),
    DEMO_MAX_TEXT_CHARS: int(10_000, 1),
    MAX_BATCH_TEXTS: int(DEFAULT_LIMITS.maxBatchTexts, 1),

    CACHE_TTL_SECONDS: int(86_400, 1),
    CACHE_LRU_SIZE: int(100, 0),
    /** Bump to invalidate every cached answer at once (a new detector release). */
    CACHE_NAMESPACE: z.string().default('v1'),

    /** Predictions moved from the Redis spool to Postgres per scheduled run. */
    SPOOL_FLUSH_BATCH: int(500, 1),
    /** How long an isolate gathers spooled predictions before writing them to Postgres in one call. */
    SPOOL_DRAIN_DELAY_MS: int(1_000, 0),
    /** How long an isolate gathers the writes after its answers (cache, spool) into one call to Redis; 0 sends each alone. */
    REDIS_WRITE_WINDOW_MS: int(5, 0),
    MEMORY_PREDICTIONS: int(1_000, 10),

    /**
     * Send a keyed caller's single text to the model while Redis checks its limits and the cache,
     * instead of after (detect/speculation.ts): a miss then costs one wait, not two. A refusal or a
     * cache hit cancels the call.
     */
    SPECULATIVE_INFERENCE: bool(true),
    /** Speculation stops while more than this share of Redis cache reads hit (each would cancel a model call). */
    SPECULATE_MAX_HIT_RATE: z.coerce.number().min(0).max(1).default(0.25),
    /** ...and for a caller whose tightest window had less than this share left at its last check. */
    SPECULATE_MIN_ROOM: z.coerce.number().min(0).max(1).default(0.2),
    /**
     * Answer a text the isolate holds in its cache before the caller's limits are checked, for a
     * caller with room; the charge follows the answer, summed with others' over REDIS_WRITE_WINDOW_MS.
     */
    UNCHECKED_CACHE_HITS: bool(true),

    /** Optional hosted classifiers; off unless a token is set. */
    HF_API_TOKEN: z.string().min(1).optional(),
    HF_API_URL: z.url().default('https://router.huggingface.co/hf-inference/models'),
    /** Models a caller may name as `detector: "hf:<model>"`. */
    HF_MODELS: list('openai-community/roberta-base-openai-detector'),
    /** Labels a hosted model uses for machine-written text. */
    HF_AI_LABELS: list('Fake,LABEL_1,AI,ai,machine,ChatGPT'),
    HF_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),

    /**
     * Origins whose pages may call the API from a browser (CORS), comma-separated. Unset: none in
     * production; with ENVIRONMENT=local, the page's dev server (LOCAL_DEV_ORIGINS).
     */
    CORS_ORIGINS: origins,

    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
    /** Take the client address from X-Forwarded-For (behind trusted proxies; the local stack) instead of CF-Connecting-IP. */
    TRUST_FORWARDED_FOR: bool(false),
    /**
     * Proxies in front of the gateway that append to X-Forwarded-For: the client is this many
     * entries from the right. Everything left of that was written by the client and proves nothing.
     */
    TRUSTED_PROXY_HOPS: int(1, 1),
  })
  .superRefine((c, ctx) => {
    if (c.ENVIRONMENT !== 'production') return;
    // Without a pepper a leaked key table can be checked offline; without a token anyone who can
    // reach the inference service can use it. Neither may be left out by accident.
    if (!c.API_KEY_PEPPER)
      ctx.addIssue({ code: 'custom', path: ['API_KEY_PEPPER'], message: 'required when ENVIRONMENT=production (wrangler secret put API_KEY_PEPPER)' });
    // A short pepper is guessable, and then so is every key hash and history cursor it keys.
    else if (new TextEncoder().encode(c.API_KEY_PEPPER).length < 32)
      ctx.addIssue({
        code: 'custom',
        path: ['API_KEY_PEPPER'],
        message: 'must be at least 32 bytes when ENVIRONMENT=production (openssl rand -hex 32)',
      });
    if (!c.INFERENCE_TOKEN)
      ctx.addIssue({
        code: 'custom',
        path: ['INFERENCE_TOKEN'],
        message: "required when ENVIRONMENT=production (wrangler secret put INFERENCE_TOKEN; the same value as the inference service's)",
      });
  });

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, unknown>): Config {
  // Worker bindings include non-string objects (assets, etc.); only strings are settings.
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''));
  const c = parseEnv(configSchema, vars, { error: (m) => new ConfigError(m) });
  if (Boolean(c.UPSTASH_REDIS_REST_URL) !== Boolean(c.UPSTASH_REDIS_REST_TOKEN)) {
    throw new ConfigError('invalid configuration: set both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or neither');
  }
  if (Boolean(c.SUPABASE_URL) !== Boolean(c.SUPABASE_SERVICE_ROLE_KEY)) {
    throw new ConfigError('invalid configuration: set both SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or neither');
  }
  return c;
}

export interface TierLimits {
  perMinute: number;
  perDay: number;
  textsPerMinute: number;
  tokensPerMinute: number;
}

export function tierLimits(c: Config, tier: Tier): TierLimits {
  switch (tier) {
    case 'free':
      return {
        perMinute: c.RATE_FREE_PER_MINUTE,
        perDay: c.RATE_FREE_PER_DAY,
        textsPerMinute: c.RATE_FREE_TEXTS_PER_MINUTE,
        tokensPerMinute: c.RATE_FREE_TOKENS_PER_MINUTE,
      };
    case 'pro':
      return {
        perMinute: c.RATE_PRO_PER_MINUTE,
        perDay: c.RATE_PRO_PER_DAY,
        textsPerMinute: c.RATE_PRO_TEXTS_PER_MINUTE,
        tokensPerMinute: c.RATE_PRO_TOKENS_PER_MINUTE,
      };
    case 'enterprise':
      return {
        perMinute: c.RATE_ENTERPRISE_PER_MINUTE,
        perDay: c.RATE_ENTERPRISE_PER_DAY,
        textsPerMinute: c.RATE_ENTERPRISE_TEXTS_PER_MINUTE,
        tokensPerMinute: c.RATE_ENTERPRISE_TOKENS_PER_MINUTE,
      };
  }
}
