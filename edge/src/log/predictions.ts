import type { SupabaseClient } from '@supabase/supabase-js';
import type { Redis } from '@upstash/redis/cloudflare';
import { withTimeout } from '../timeout.ts';
import type { CursorPosition } from './cursor.ts';
import type { Logger } from './logger.ts';

/** One answered detection; column names match supabase/migrations. */
export interface PredictionRow {
  /** Made by the gateway for every request; the key records are de-duplicated on. */
  request_id: string;
  /** The caller's own X-Request-Id, kept for their correlation only. */
  client_request_id: string | null;
  item_index: number;
  key_id: string | null;
  owner_id: string | null;
  route: string;
  text_sha256: string;
  text_length: number;
  detector: string;
  detector_version: string;
  label: string;
  /** The answer's warning codes: why the service abstained (too_short...), what it normalised. */
  warnings: string[];
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
  /** The last row's position when more rows follow; the route turns it into a signed cursor. */
  next: CursorPosition | null;
}

/** What a write did: batches stored (or already stored), and batches the database refused and set aside. */
export interface WriteResult {
  written: number;
  dead_lettered: number;
}

/**
 * A spooled entry is normally a LogBatch; one that no longer parses is passed on as its raw text
 * so that the database sets it aside instead of it blocking the spool.
 */
export type SpoolEntry = LogBatch | string;

/** Where predictions and usage end up (Postgres through PostgREST, or isolate memory). */
export interface PredictionStore {
  /**
   * Writes batches idempotently (a batch delivered twice is stored and counted once). A batch the
   * database refuses (a deleted key, a malformed row) goes to the dead-letter table with the
   * reason and does not fail the others; only an unreachable store throws.
   */
  write(batches: SpoolEntry[]): Promise<WriteResult>;
  history(ownerId: string, limit: number, before?: CursorPosition): Promise<HistoryPage>;
  usage(keyId: string, sinceDay: string): Promise<UsageRow[]>;
}

const positionOf = (r: PredictionRow): CursorPosition => ({ created_at: r.created_at, request_id: r.request_id, item_index: r.item_index });

/**
 * A value inside a PostgREST logic-tree filter (`or=(...)`): quoted, with quotes and backslashes
 * escaped, so that no value can end the condition and start another.
 */
export const filterValue = (v: string | number) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export class SupabasePredictionStore implements PredictionStore {
  constructor(
    private db: SupabaseClient,
    private timeoutMs: number,
  ) {}

  async write(batches: SpoolEntry[]): Promise<WriteResult> {
    // One round trip for rows and usage together (supabase/migrations: log_requests).
    const q = this.db.rpc('log_requests', { p_batches: batches });
    const { data, error } = await withTimeout(Promise.resolve(q), this.timeoutMs, 'prediction log write');
    if (error) throw new Error(`prediction log write failed: ${error.message}`);
    const r = data as Partial<WriteResult> | null;
    return { written: Number(r?.written ?? batches.length), dead_lettered: Number(r?.dead_lettered ?? 0) };
  }

  async history(ownerId: string, limit: number, cur?: CursorPosition): Promise<HistoryPage> {
    let q = this.db
      .from('predictions')
      .select('request_id,client_request_id,item_index,key_id,owner_id,route,text_sha256,text_length,detector,detector_version,label,warnings,probability,latency_ms,cached,created_at')
      .eq('owner_id', ownerId)
      .order('created_at', { ascending: false })
      .order('request_id', { ascending: false })
      .order('item_index', { ascending: false })
      .limit(limit + 1);
    if (cur) {
      // The cursor was signed by this gateway, and every value is quoted besides.
      const [t, r, i] = [filterValue(cur.created_at), filterValue(cur.request_id), filterValue(cur.item_index)];
      q = q.or(`created_at.lt.${t},and(created_at.eq.${t},request_id.lt.${r}),and(created_at.eq.${t},request_id.eq.${r},item_index.lt.${i})`);
    }
    const { data, error } = await withTimeout(Promise.resolve(q), this.timeoutMs, 'history read');
    if (error) throw new Error(`history read failed: ${error.message}`);
    const rows = (data ?? []) as PredictionRow[];
    const page = rows.slice(0, limit);
    return { data: page, next: rows.length > limit ? positionOf(page[page.length - 1]!) : null };
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

  async write(batches: SpoolEntry[]): Promise<WriteResult> {
    let written = 0;
    for (const b of batches) {
      // Nothing is spooled without Redis, so only LogBatches reach memory.
      if (typeof b === 'string') continue;
      written += 1;
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
    return { written, dead_lettered: 0 };
  }

  async history(ownerId: string, limit: number, cur?: CursorPosition): Promise<HistoryPage> {
    const cmp = (a: CursorPosition, b: CursorPosition) =>
      a.created_at.localeCompare(b.created_at) || a.request_id.localeCompare(b.request_id) || a.item_index - b.item_index;
    const mine = this.rows
      .filter((r) => r.owner_id === ownerId && (!cur || cmp(r, cur) < 0))
      .sort((a, b) => -cmp(a, b));
    const page = mine.slice(0, limit);
    return { data: page, next: mine.length > limit ? positionOf(page[page.length - 1]!) : null };
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
      const r = await this.store.write([batch]);
      if (r.dead_lettered > 0) this.log.warn('the database refused a prediction record; it is in prediction_dead_letters', { request_id: batch.request_id });
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

  /**
   * Moves up to `batch` spooled entries into the store; returns how many left the spool and how
   * many of those the database set aside as dead letters. Refused entries do not stop the flush:
   * they are written to the dead-letter table with the reason, and the spool moves on.
   */
  async flush(batch: number): Promise<{ flushed: number; dead_lettered: number; remaining: number }> {
    if (!this.spool) return { flushed: 0, dead_lettered: 0, remaining: 0 };
    const token = crypto.randomUUID();
    // One flusher at a time: two would write the same rows (harmless) and trim each other's work.
    const locked = await this.spool.set(LOCK_KEY, token, { nx: true, ex: 60 });
    if (locked !== 'OK') return { flushed: 0, dead_lettered: 0, remaining: await this.spool.llen(SPOOL_KEY) };
    try {
      const raw = await this.spool.lrange<string>(SPOOL_KEY, 0, batch - 1);
      if (raw.length === 0) return { flushed: 0, dead_lettered: 0, remaining: 0 };
      const entries = raw.map(parseSpoolEntry);
      const r = await this.store.write(entries);
      if (r.dead_lettered > 0) this.log.warn('spool flush: the database refused records; they are in prediction_dead_letters', { dead_lettered: r.dead_lettered });
      // Trim only after the store took everything (written or set aside): an unreachable store
      // leaves the spool intact, and writing it again later is harmless (idempotent on request id).
      await this.spool.ltrim(SPOOL_KEY, raw.length, -1);
      return { flushed: raw.length, dead_lettered: r.dead_lettered, remaining: await this.spool.llen(SPOOL_KEY) };
    } finally {
      if ((await this.spool.get(LOCK_KEY)) === token) await this.spool.del(LOCK_KEY);
    }
  }
}

/** A spooled entry as a LogBatch, or its raw text when it does not parse as one (set aside by the store). */
export function parseSpoolEntry(raw: unknown): SpoolEntry {
  if (typeof raw !== 'string') return typeof raw === 'object' && raw !== null ? (raw as LogBatch) : String(raw);
  try {
    const v: unknown = JSON.parse(raw);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as LogBatch) : raw;
  } catch {
    return raw;
  }
}
