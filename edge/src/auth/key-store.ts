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

/** Short-lived per-isolate cache: a key lookup per request would double every request's latency. */
export class CachedKeyStore implements KeyStore {
  private entries = new Map<string, { at: number; record: KeyRecord | null }>();
  constructor(
    private inner: KeyStore,
    private ttlMs: number,
    private now: () => number = Date.now,
    private maxEntries = 1000,
  ) {}

  async byPrefix(prefix: string): Promise<KeyRecord | null> {
    const hit = this.entries.get(prefix);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.record;
    const record = await this.inner.byPrefix(prefix);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(prefix, { at: this.now(), record });
    return record;
  }
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
export async function staticKeyStore(keys: StaticKey[], pepper: string): Promise<KeyStore> {
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
  return { byPrefix: async (prefix) => records.get(prefix) ?? null };
}
