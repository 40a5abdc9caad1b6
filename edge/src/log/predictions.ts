import type { SupabaseClient } from '@supabase/supabase-js';
import type { Redis } from '@upstash/redis/cloudflare';
import { withTimeout } from '../timeout.ts';
import type { Logger } from './logger.ts';

/** One answered detection; column names match supabase/migrations. */
export interface PredictionRow {
  request_id: string;
  item_index: number;
  key_id: string | null;
  owner_id: string | null;
  route: string;
  text_sha256: string;
  text_length: number;
  detector: string;
  detector_version: string;
  label: string;
  probability: number;
  latency_ms: number;
  cached: boolean;
  created_at: string;
}

/** One answered request: its prediction rows and, for keyed calls, what it adds to usage. */
export interface LogBatch {
  request_id: string;
  rows: PredictionRow[];
  usage: { key_id: string; day: string; texts: number } | null;
}

export interface UsageRow {
  day: string;
  requests: number;
  texts: number;
}

export interface HistoryPage {
  data: PredictionRow[];
  next_cursor: string | null;
}

/** Where predictions and usage end up (Postgres through PostgREST, or isolate memory). */
export interface PredictionStore {
  /** Writes batches idempotently: a batch delivered twice is stored and counted once. */
  write(batches: LogBatch[]): Promise<void>;
  history(ownerId: string, limit: number, before?: string): Promise<HistoryPage>;
  usage(keyId: string, sinceDay: string): Promise<UsageRow[]>;
}

// Cursors are "<created_at>|<request_id>|<item_index>": stable under inserts, unlike offsets.
const encodeCursor = (r: PredictionRow) => btoa(`${r.created_at}|${r.request_id}|${r.item_index}`);
export function decodeCursor(cursor: string): { created_at: string; request_id: string; item_index: number } | null {
  try {
    const [created_at, request_id, idx] = atob(cursor).split('|');
    if (!created_at || !request_id || idx === undefined || Number.isNaN(Date.parse(created_at))) return null;
    return { created_at, request_id, item_index: Number(idx) };
  } catch {
    return null;
  }
}

export class SupabasePredictionStore implements PredictionStore {
  constructor(
    private db: SupabaseClient,
    private timeoutMs: number,
  ) {}

  async write(batches: LogBatch[]): Promise<void> {
    // One round trip for rows and usage together (supabase/migrations: log_requests).
    const q = this.db.rpc('log_requests', { p_batches: batches });
    const { error } = await withTimeout(Promise.resolve(q), this.timeoutMs, 'prediction log write');
    if (error) throw new Error(`prediction log write failed: ${error.message}`);
  }

  async history(ownerId: string, limit: number, before?: string): Promise<HistoryPage> {
    let q = this.db
      .from('predictions')
      .select('request_id,item_index,key_id,owner_id,route,text_sha256,text_length,detector,detector_version,label,probability,latency_ms,cached,created_at')
      .eq('owner_id', ownerId)
      .order('created_at', { ascending: false })
      .order('request_id', { ascending: false })
      .order('item_index', { ascending: false })
      .limit(limit + 1);
    const cur = before ? decodeCursor(before) : null;
    if (cur) {
      q = q.or(
        `created_at.lt.${cur.created_at},and(created_at.eq.${cur.created_at},request_id.lt.${cur.request_id}),and(created_at.eq.${cur.created_at},request_id.eq.${cur.request_id},item_index.lt.${cur.item_index})`,
      );
    }
    const { data, error } = await withTimeout(Promise.resolve(q), this.timeoutMs, 'history read');
    if (error) throw new Error(`history read failed: ${error.message}`);
    const rows = (data ?? []) as PredictionRow[];
    const page = rows.slice(0, limit);
    return { data: page, next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  async usage(keyId: string, sinceDay: string): Promise<UsageRow[]> {
    const q = this.db.from('usage').select('day,requests,texts').eq('key_id', keyId).gte('day', sinceDay).order('day', { ascending: false });
    const { data, error } = await withTimeout(Promise.resolve(q), this.timeoutMs, 'usage read');
    if (error) throw new Error(`usage read failed: ${error.message}`);
    return (data ?? []) as UsageRow[];
  }
}

/** Recent predictions in isolate memory, for running with nothing installed. */
export class MemoryPredictionStore implements PredictionStore {
  private rows: PredictionRow[] = [];
  private usageRows = new Map<string, UsageRow>();
  private counted = new Set<string>();
  constructor(private capacity: number) {}

  async write(batches: LogBatch[]): Promise<void> {
    for (const b of batches) {
      if (this.counted.has(b.request_id)) continue;
      this.counted.add(b.request_id);
      this.rows.push(...b.rows);
      if (b.usage) {
        const id = `${b.usage.key_id}|${b.usage.day}`;
        const u = this.usageRows.get(id) ?? { day: b.usage.day, requests: 0, texts: 0 };
        u.requests += 1;
        u.texts += b.usage.texts;
        this.usageRows.set(id, u);
      }
    }
    if (this.rows.length > this.capacity) this.rows.splice(0, this.rows.length - this.capacity);
    if (this.counted.size > this.capacity * 10) this.counted.clear();
  }

  async history(ownerId: string, limit: number, before?: string): Promise<HistoryPage> {
    const cmp = (a: PredictionRow, b: { created_at: string; request_id: string; item_index: number }) =>
      a.created_at.localeCompare(b.created_at) || a.request_id.localeCompare(b.request_id) || a.item_index - b.item_index;
    const cur = before ? decodeCursor(before) : null;
    const mine = this.rows
      .filter((r) => r.owner_id === ownerId && (!cur || cmp(r, cur) < 0))
      .sort((a, b) => -cmp(a, b));
    const page = mine.slice(0, limit);
    return { data: page, next_cursor: mine.length > limit ? encodeCursor(page[page.length - 1]!) : null };
  }

  async usage(keyId: string, sinceDay: string): Promise<UsageRow[]> {
    return [...this.usageRows.entries()]
      .filter(([id, u]) => id.startsWith(`${keyId}|`) && u.day >= sinceDay)
      .map(([, u]) => u)
      .sort((a, b) => b.day.localeCompare(a.day));
  }
}

const SPOOL_KEY = 'spool:predictions';
const LOCK_KEY = 'spool:flush-lock';

/**
 * Writes predictions and usage to the store; when the store fails, parks them in a Redis list that
 * the scheduled handler drains. Only when Redis fails too is a record lost, and that is logged.
 */
export class PredictionLog {
  constructor(
    private store: PredictionStore,
    private spool: Redis | null,
    private redisTimeoutMs: number,
    private log: Logger,
  ) {}

  async record(batch: LogBatch): Promise<void> {
    if (batch.rows.length === 0 && !batch.usage) return;
    try {
      await this.store.write([batch]);
    } catch (err) {
      this.log.warn('prediction store failed; spooling', { error: String(err), rows: batch.rows.length });
      await this.toSpool([batch]);
    }
  }

  private async toSpool(entries: LogBatch[]): Promise<void> {
    if (!this.spool) {
      this.log.error('prediction records lost: store failed and no spool is configured', { entries: entries.length });
      return;
    }
    try {
      await withTimeout(this.spool.rpush(SPOOL_KEY, ...entries.map((e) => JSON.stringify(e))), this.redisTimeoutMs, 'spool write');
    } catch (err) {
      this.log.error('prediction records lost: store and spool both failed', { error: String(err), entries: entries.length });
    }
  }

  /** Moves up to `batch` spooled entries into the store; returns how many were written. */
  async flush(batch: number): Promise<{ flushed: number; remaining: number }> {
    if (!this.spool) return { flushed: 0, remaining: 0 };
    const token = crypto.randomUUID();
    // One flusher at a time: two would write the same rows (harmless) and trim each other's work.
    const locked = await this.spool.set(LOCK_KEY, token, { nx: true, ex: 60 });
    if (locked !== 'OK') return { flushed: 0, remaining: await this.spool.llen(SPOOL_KEY) };
    try {
      const raw = await this.spool.lrange<string>(SPOOL_KEY, 0, batch - 1);
      if (raw.length === 0) return { flushed: 0, remaining: 0 };
      const entries = raw.map((r) => (typeof r === 'string' ? JSON.parse(r) : r) as LogBatch);
      await this.store.write(entries);
      // Trim only after the store took everything: a failure above leaves the spool intact, and
      // writing it again later is harmless (idempotent on request id).
      await this.spool.ltrim(SPOOL_KEY, raw.length, -1);
      return { flushed: raw.length, remaining: await this.spool.llen(SPOOL_KEY) };
    } finally {
      if ((await this.spool.get(LOCK_KEY)) === token) await this.spool.del(LOCK_KEY);
    }
  }
}
