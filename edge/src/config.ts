import { z } from 'zod';

const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');
const list = (def: string) =>
  z
    .string()
    .default(def)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

export const TIERS = ['free', 'pro', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

/**
 * Every Worker var and secret, with its default. Parsed once per isolate so that a bad
 * deployment answers its first request with a clear configuration error instead of limping on.
 * With no Upstash or Supabase settings the gateway runs on in-memory stores (`pnpm start`).
 */
export const configSchema = z.object({
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

  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  REDIS_TIMEOUT_MS: int(1_000, 50),

  SUPABASE_URL: z.url().optional(),
  SUPABASE_SERVICE_ROLE_KEY: z.string().min(1).optional(),

  /** HMAC key for API-key hashes; empty means plain sha256 (local use only). */
  API_KEY_PEPPER: z.string().default(''),
  /** Keys accepted without a database, `key:tier:owner[:scope|scope]` comma-separated (in-memory mode). */
  STATIC_API_KEYS: z.string().default(''),
  KEY_CACHE_TTL_MS: int(60_000, 0),

  RATE_FREE_PER_MINUTE: int(30, 1),
  RATE_FREE_PER_DAY: int(1_000, 1),
  RATE_PRO_PER_MINUTE: int(300, 1),
  RATE_PRO_PER_DAY: int(50_000, 1),
  RATE_ENTERPRISE_PER_MINUTE: int(3_000, 1),
  RATE_ENTERPRISE_PER_DAY: int(1_000_000, 1),
  DEMO_PER_IP_PER_MINUTE: int(10, 1),
  DEMO_PER_IP_PER_DAY: int(200, 1),

  MAX_BODY_BYTES: int(1024 * 1024, 1024),
  MAX_EXTRACT_BYTES: int(10 * 1024 * 1024, 1024),
  DEMO_MAX_EXTRACT_BYTES: int(2 * 1024 * 1024, 1024),
  DEMO_MAX_TEXT_CHARS: int(10_000, 1),
  MAX_BATCH_TEXTS: int(64, 1),

  CACHE_TTL_SECONDS: int(86_400, 1),
  CACHE_LRU_SIZE: int(100, 0),
  /** Bump to invalidate every cached answer at once (a new detector release). */
  CACHE_NAMESPACE: z.string().default('v1'),

  /** Predictions moved from the Redis spool to Postgres per scheduled run. */
  SPOOL_FLUSH_BATCH: int(500, 1),
  MEMORY_PREDICTIONS: int(1_000, 10),

  /** Optional hosted classifiers; off unless a token is set. */
  HF_API_TOKEN: z.string().min(1).optional(),
  HF_API_URL: z.url().default('https://router.huggingface.co/hf-inference/models'),
  /** Models a caller may name as `detector: "hf:<model>"`. */
  HF_MODELS: list('openai-community/roberta-base-openai-detector'),
  /** Labels a hosted model uses for machine-written text. */
  HF_AI_LABELS: list('Fake,LABEL_1,AI,ai,machine,ChatGPT'),
  HF_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),

  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Take the client address from X-Forwarded-For's first hop (behind a trusted proxy; the local stack). */
  TRUST_FORWARDED_FOR: bool(false),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, unknown>): Config {
  // Worker bindings include non-string objects (assets, etc.); only strings are settings.
  const vars = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''));
  const parsed = configSchema.safeParse(vars);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (Boolean(c.UPSTASH_REDIS_REST_URL) !== Boolean(c.UPSTASH_REDIS_REST_TOKEN)) {
    throw new ConfigError('invalid configuration: set both UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or neither');
  }
  if (Boolean(c.SUPABASE_URL) !== Boolean(c.SUPABASE_SERVICE_ROLE_KEY)) {
    throw new ConfigError('invalid configuration: set both SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY, or neither');
  }
  return c;
}

export function tierLimits(c: Config, tier: Tier): { perMinute: number; perDay: number } {
  switch (tier) {
    case 'free':
      return { perMinute: c.RATE_FREE_PER_MINUTE, perDay: c.RATE_FREE_PER_DAY };
    case 'pro':
      return { perMinute: c.RATE_PRO_PER_MINUTE, perDay: c.RATE_PRO_PER_DAY };
    case 'enterprise':
      return { perMinute: c.RATE_ENTERPRISE_PER_MINUTE, perDay: c.RATE_ENTERPRISE_PER_DAY };
  }
}
