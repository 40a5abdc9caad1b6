import type { SupabaseClient } from '@supabase/supabase-js';
import { SCOPES, TIERS, type Scope, type StaticKey, type Tier } from '../config.ts';
import { ApiError } from '../errors.ts';
import { constantTimeEqual, hashApiKey, parseApiKey, sha256Hex } from './api-key.ts';

export { SCOPES, type Scope };

export interface KeyRecord {
  id: string;
  prefix: string;
  keyHash: string;
  ownerId: string;
  tier: Tier;
  scopes: Scope[];
  revoked: boolean;
}

export interface KeyStore {
  /** The key with this visible prefix, or null; throws ApiError when the store is unreachable. */
  byPrefix(prefix: string): Promise<KeyRecord | null>;
  /** Whether byPrefix would answer a known key from memory, without a query. */
  holds?(prefix: string): boolean;
}

export type AuthResult = { ok: true; key: KeyRecord } | { ok: false; reason: 'unknown' | 'revoked' };

/** Checks a presented key against its stored hash; the prefix only finds the row. */
export async function verifyKey(store: KeyStore, raw: string, pepper: string): Promise<AuthResult> {
  const parsed = parseApiKey(raw);
  if (!parsed) return { ok: false, reason: 'unknown' };
  const record = await store.byPrefix(parsed.prefix);
  if (!record) return { ok: false, reason: 'unknown' };
  const hash = await hashApiKey(parsed.key, pepper);
  if (!constantTimeEqual(hash, record.keyHash)) return { ok: false, reason: 'unknown' };
  return record.revoked ? { ok: false, reason: 'revoked' } : { ok: true, key: record };
}

/**
 * Short-lived per-isolate cache: a key lookup per request would double every request's latency.
 * Prefixes the store does not have are kept apart, for their own (shorter) time: a flood of
 * made-up keys then fills only the misses and evicts no real key, and a key created meanwhile is
 * accepted soon.
 */
export class CachedKeyStore implements KeyStore {
  private hits = new Map<string, { at: number; record: KeyRecord }>();
  private misses = new Map<string, number>();
  private missTtlMs: number;
  private maxEntries: number;
  private maxMisses: number;

  constructor(
    private inner: KeyStore,
    private ttlMs: number,
    private now: () => number = Date.now,
    opts: { missTtlMs?: number; maxEntries?: number; maxMisses?: number } = {},
  ) {
    this.missTtlMs = opts.missTtlMs ?? ttlMs;
    this.maxEntries = opts.maxEntries ?? 1000;
    this.maxMisses = opts.maxMisses ?? 10_000;
  }

  holds(prefix: string): boolean {
    const hit = this.hits.get(prefix);
    return hit !== undefined && this.now() - hit.at < this.ttlMs;
  }

  async byPrefix(prefix: string): Promise<KeyRecord | null> {
    if (this.holds(prefix)) return this.hits.get(prefix)!.record;
    const missedAt = this.misses.get(prefix);
    if (missedAt !== undefined && this.now() - missedAt < this.missTtlMs) return null;
    const record = await this.inner.byPrefix(prefix);
    if (record) {
      this.misses.delete(prefix);
      remember(this.hits, prefix, { at: this.now(), record }, this.maxEntries);
    } else {
      this.hits.delete(prefix);
      remember(this.misses, prefix, this.now(), this.maxMisses);
    }
    return record;
  }
}

/** Sets `key`, first dropping the oldest entry when the map is full. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

interface ApiKeyRow {
  id: string;
  prefix: string;
  key_hash: string;
  owner_id: string;
  tier: string;
  scopes: string[];
  revoked_at: string | null;
}

export class SupabaseKeyStore implements KeyStore {
  constructor(private db: SupabaseClient) {}

  async byPrefix(prefix: string): Promise<KeyRecord | null> {
    const { data, error } = await this.db
      .from('api_keys')
      .select('id,prefix,key_hash,owner_id,tier,scopes,revoked_at')
      .eq('prefix', prefix)
      .maybeSingle<ApiKeyRow>();
    // Without the key table nobody can be authenticated: fail closed.
    if (error) throw new ApiError('backend_unavailable', 'the key store is unreachable', { retryAfter: 5 });
    if (!data) return null;
    return {
      id: data.id,
      prefix: data.prefix,
      keyHash: data.key_hash,
      ownerId: data.owner_id,
      tier: (TIERS as readonly string[]).includes(data.tier) ? (data.tier as Tier) : 'free',
      scopes: data.scopes.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s)),
      revoked: data.revoked_at !== null,
    };
  }
}

/**
 * Keys given in configuration (STATIC_API_KEYS, already validated by the config schema), for
 * running without a database. Hashed once at start-up like stored keys, so the same verification
 * path applies.
 */
export async function staticKeyStore(keys: StaticKey[], pepper: string): Promise<Required<KeyStore>> {
  const records = new Map<string, KeyRecord>();
  for (const k of keys) {
    const h = await sha256Hex(`static-key:${k.prefix}`);
    records.set(k.prefix, {
      // A uuid, like stored keys' ids, so predictions and usage rows look the same either way.
      id: `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`,
      prefix: k.prefix,
      keyHash: await hashApiKey(k.key, pepper),
      ownerId: k.ownerId,
      tier: k.tier,
      scopes: k.scopes,
      revoked: false,
    });
  }
  return { byPrefix: async (prefix) => records.get(prefix) ?? null, holds: (prefix) => records.has(prefix) };
}
