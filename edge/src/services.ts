import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { Redis } from '@upstash/redis/cloudflare';
import { CachedKeyStore, staticKeyStore, SupabaseKeyStore, type KeyStore } from './auth/key-store.ts';
import { TieredCache, type ResponseCache } from './cache/response-cache.ts';
import { SharedWrites } from './cache/round-trip.ts';
import type { Config } from './config.ts';
import { MemoryLimiter, RedisLimiter, type Limiter } from './limits/limiter.ts';
import { CursorCodec } from './log/cursor.ts';
import { createLogger, type Logger } from './log/logger.ts';
import { MemoryPredictionStore, PredictionLog, SupabasePredictionStore, type PredictionStore } from './log/predictions.ts';
import { BackendPool } from './backends/backend-pool.ts';
import { SpeculationGate } from './detect/speculation.ts';
import { DeferredCharges } from './limits/deferred-charges.ts';
import type { HfOptions } from './backends/hf-backend.ts';

/** Everything a request handler needs, built once per isolate from the validated config. */
export interface Services {
  config: Config;
  log: Logger;
  keys: KeyStore;
  /** Redis-backed when configured; `fallbackLimiter` covers the paths that fail open. */
  limiter: Limiter;
  fallbackLimiter: Limiter;
  cache: ResponseCache;
  pool: BackendPool;
  predictions: PredictionStore;
  predictionLog: PredictionLog;
  cursors: CursorCodec;
  hf: HfOptions | null;
  fetch: typeof fetch;
  redis: Redis | null;
  supabase: SupabaseClient | null;
  /** Last detector version each requested detector answered with, to drop stale cache entries. */
  detectorVersions: Map<string, string>;
  /** Background work when there is no ExecutionContext (in-process tests). */
  pending: Set<Promise<unknown>>;
  /** When a miss may go to the model before Redis has answered, and a cached text be answered before its check. */
  speculation: SpeculationGate;
  /** Charges for answers given before their check, summed and sent after. */
  deferredCharges: DeferredCharges;
  mode: { redis: 'upstash' | 'memory'; database: 'supabase' | 'memory' };
  /** Client addresses refused for failed key lookups, and until when (ms): refused again without a lookup or a limiter call. */
  authBlocks: Map<string, number>;
}

export interface ServiceOverrides {
  fetch?: typeof fetch;
  now?: () => number;
}

export async function buildServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const log = createLogger(config.LOG_LEVEL);
  const fetchImpl = overrides.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const pending = new Set<Promise<unknown>>();

  const redis =
    config.UPSTASH_REDIS_REST_URL && config.UPSTASH_REDIS_REST_TOKEN
      ? new Redis({
          url: config.UPSTASH_REDIS_REST_URL,
          token: config.UPSTASH_REDIS_REST_TOKEN,
          // Our own timeouts decide what an outage means; retrying inside a request only adds latency.
          retry: false,
          automaticDeserialization: false,
          enableTelemetry: false,
          // Commands issued in the same tick leave as one `/pipeline` call: the rate-limit scripts
          // and the cache reads before an answer are one round trip.
          enableAutoPipelining: true,
        })
      : null;
  const supabase =
    config.SUPABASE_URL && config.SUPABASE_SERVICE_ROLE_KEY
      ? createClient(config.SUPABASE_URL, config.SUPABASE_SERVICE_ROLE_KEY, {
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          global: { fetch: fetchImpl },
        })
      : null;

  const staticKeys = await staticKeyStore(config.STATIC_API_KEYS, config.API_KEY_PEPPER);
  const dbKeys = supabase
    ? new CachedKeyStore(new SupabaseKeyStore(supabase), config.KEY_CACHE_TTL_MS, overrides.now, { missTtlMs: config.KEY_MISS_CACHE_TTL_MS })
    : null;
  const keys: KeyStore = {
    byPrefix: async (prefix) => (await staticKeys.byPrefix(prefix)) ?? (dbKeys ? dbKeys.byPrefix(prefix) : null),
    holds: (prefix) => staticKeys.holds(prefix) || (dbKeys?.holds(prefix) ?? false),
  };

  const fallbackLimiter = new MemoryLimiter(overrides.now);
  const speculation = new SpeculationGate({
    // Without Redis the checks are in isolate memory and cost nothing to wait for.
    enabled: config.SPECULATIVE_INFERENCE && redis !== null,
    uncheckedHits: config.UNCHECKED_CACHE_HITS && redis !== null,
    maxHitRate: config.SPECULATE_MAX_HIT_RATE,
    minRoom: config.SPECULATE_MIN_ROOM,
  });
  const limiter = redis ? new RedisLimiter(redis, config.REDIS_TIMEOUT_MS, overrides.now) : fallbackLimiter;
  const predictions = supabase ? new SupabasePredictionStore(supabase, config.REDIS_TIMEOUT_MS * 5) : new MemoryPredictionStore(config.MEMORY_PREDICTIONS);

  return {
    config,
    log,
    keys,
    limiter,
    fallbackLimiter,
    cache: new TieredCache(redis, config.CACHE_TTL_SECONDS, config.CACHE_LRU_SIZE, config.REDIS_TIMEOUT_MS, log),
    pool: new BackendPool(
      {
        urls: config.INFERENCE_URLS,
        timeoutMs: config.INFERENCE_TIMEOUT_MS,
        retries: config.INFERENCE_RETRIES,
        breakerFailures: config.BREAKER_FAILURES,
        breakerCooldownMs: config.BREAKER_COOLDOWN_MS,
        healthTimeoutMs: config.HEALTH_TIMEOUT_MS,
        token: config.INFERENCE_TOKEN,
        fetch: fetchImpl,
        now: overrides.now,
      },
      log,
    ),
    predictions,
    predictionLog: new PredictionLog(predictions, redis, config.REDIS_TIMEOUT_MS, log, {
      spoolFirst: redis !== null && supabase !== null,
      drainDelayMs: config.SPOOL_DRAIN_DELAY_MS,
      drainBatch: config.SPOOL_FLUSH_BATCH,
      writes: new SharedWrites(redis, config.REDIS_TIMEOUT_MS, config.REDIS_WRITE_WINDOW_MS),
    }),
    cursors: new CursorCodec(config.API_KEY_PEPPER),
    hf: config.HF_API_TOKEN
      ? { apiUrl: config.HF_API_URL, token: config.HF_API_TOKEN, models: config.HF_MODELS, aiLabels: config.HF_AI_LABELS, threshold: config.HF_THRESHOLD }
      : null,
    fetch: fetchImpl,
    redis,
    supabase,
    detectorVersions: new Map(),
    pending,
    speculation,
    deferredCharges: new DeferredCharges(limiter, config.REDIS_WRITE_WINDOW_MS, (id, answers, outcome, rules) => {
      speculation.endUnchecked(id, answers);
      if (outcome.reason === 'unavailable') {
        // As the keyed checks fail open: counted in the isolate's own counters, and until a check
        // gets through to Redis this caller's requests wait for their check again.
        log.warn('charging answers given before their check failed; counted in the isolate', { answers, error: outcome.error });
        void fallbackLimiter.chargeAll(
          id,
          rules.map((r) => ({ ...r, cost: (r.cost ?? 1) * answers })),
        );
        speculation.noteLimits(id, [], true);
        return;
      }
      speculation.noteLimits(id, outcome.results, outcome.refused >= 0, rules);
    }),
    mode: { redis: redis ? 'upstash' : 'memory', database: supabase ? 'supabase' : 'memory' },
    authBlocks: new Map(),
  };
}
