import { toScoredForm } from '@detector/contract';
import type { Redis } from '@upstash/redis/cloudflare';
import { sha256Hex } from '../auth/api-key.ts';
import type { Logger } from '../log/logger.ts';
import { withTimeout } from '../timeout.ts';
import { Lru } from './lru.ts';
import type { RoundTrip } from './round-trip.ts';

export interface CacheScope {
  /** The tenant: a key owner, or a hashed client address on the demo routes. */
  tenant: string;
  detector: string;
  /** Backend catalogue version: changes when a model or detector is redeployed. */
  version: string;
  options: Record<string, unknown>;
}

/** The tenant is part of the key so no tenant can learn whether another submitted a text. */
export async function cacheKey(namespace: string, scope: CacheScope, text: string): Promise<string> {
  const opts = Object.keys(scope.options)
    .sort()
    .map((k) => `${k}=${JSON.stringify(scope.options[k])}`)
    .join('&');
  const digest = await sha256Hex([scope.tenant, scope.detector, scope.version, opts, toScoredForm(text)].join('\u0000'));
  return `cache:${namespace}:${digest}`;
}

/** JSON answers by key; callers know what shape they stored under their keys. */
export interface ResponseCache {
  get<T>(key: string): Promise<T | null>;
  set(key: string, value: unknown): Promise<void>;
  /**
   * Reads several keys: the isolate's LRU answers what it holds, the rest go to Redis in the
   * caller's tick, so they join whatever else that tick sends (the rate-limit scripts).
   */
  getMany<T>(keys: string[]): Promise<Map<string, T>>;
  /** Stores in the isolate at once, and queues the Redis write on `trip` (sent after the answer). */
  queueWrite(trip: RoundTrip, key: string, value: unknown): void;
  /** The answer the isolate itself holds for `key`, if any: a read that needs no Redis. */
  local<T>(key: string): T | undefined;
}

/**
 * Redis behind a small in-isolate LRU. Fails open: a Redis error costs a recomputation, never an
 * answer.
 */
export class TieredCache implements ResponseCache {
  private lru: Lru<unknown>;
  constructor(
    private redis: Redis | null,
    private ttlSeconds: number,
    lruSize: number,
    private timeoutMs: number,
    private log: Logger,
  ) {
    // Without Redis the LRU is the whole cache, so keep it at least modestly sized.
    this.lru = new Lru(redis ? lruSize : Math.max(lruSize, 1000));
  }

  async get<T>(key: string): Promise<T | null> {
    const local = this.lru.get(key);
    if (local !== undefined) return local as T;
    if (!this.redis) return null;
    try {
      const raw = await withTimeout(this.redis.get<string>(key), this.timeoutMs, 'cache read');
      if (typeof raw !== 'string') return null;
      const value = JSON.parse(raw) as T;
      this.lru.set(key, value, this.ttlSeconds * 1000);
      return value;
    } catch (err) {
      this.log.warn('cache read failed; answering without cache', { error: String(err) });
      return null;
    }
  }

  async getMany<T>(keys: string[]): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const remote: string[] = [];
    for (const key of new Set(keys)) {
      const local = this.lru.get(key);
      if (local !== undefined) found.set(key, local as T);
      else remote.push(key);
    }
    if (!this.redis || remote.length === 0) return found;
    const redis = this.redis;
    // GETEX without options is GET, but the client's auto-pipelining sends reads and writes as
    // separate pipelines and the rate-limit scripts are writes: as a write, the read rides in the
    // scripts' call instead of making one of its own. Every command is issued before the first
    // await, in the caller's tick.
    const settled = await Promise.allSettled(remote.map((k) => withTimeout(redis.getex<string>(k), this.timeoutMs, 'cache read')));
    settled.forEach((r, i) => {
      if (r.status === 'rejected') {
        this.log.warn('cache read failed; answering without cache', { error: String(r.reason) });
        return;
      }
      if (typeof r.value !== 'string') return;
      try {
        const value = JSON.parse(r.value) as T;
        this.lru.set(remote[i]!, value, this.ttlSeconds * 1000);
        found.set(remote[i]!, value);
      } catch {
        // an entry that does not parse is a miss; the answer computed now replaces it
      }
    });
    return found;
  }

  local<T>(key: string): T | undefined {
    return this.lru.get(key) as T | undefined;
  }

  queueWrite(trip: RoundTrip, key: string, value: unknown): void {
    this.lru.set(key, value, this.ttlSeconds * 1000);
    trip.add((p) => p.set(key, JSON.stringify(value), { ex: this.ttlSeconds }), 1);
  }

  async set(key: string, value: unknown): Promise<void> {
    this.lru.set(key, value, this.ttlSeconds * 1000);
    if (!this.redis) return;
    try {
      await withTimeout(this.redis.set(key, JSON.stringify(value), { ex: this.ttlSeconds }), this.timeoutMs, 'cache write');
    } catch (err) {
      this.log.warn('cache write failed', { error: String(err) });
    }
  }
}
