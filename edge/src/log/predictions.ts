import type { SupabaseClient } from '@supabase/supabase-js';
import type { Redis } from '@upstash/redis/cloudflare';
import { RoundTrip, type Reply, type SharedWrites } from '../cache/round-trip.ts';
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
      .select(
        'request_id,client_request_id,item_index,key_id,owner_id,route,text_sha256,text_length,detector,detector_version,label,warnings,probability,latency_ms,cached,created_at',
      )
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
    const mine = this.rows.filter((r) => r.owner_id === ownerId && (!cur || cmp(r, cur) < 0)).sort((a, b) => -cmp(a, b));
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
// Deletes the flush lock only while it is still ours (it may have expired and been taken since).
const RELEASE_SCRIPT = 'if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end';

export interface PredictionLogOptions {
  /**
   * Records go to the Redis spool first (in the same call as the request's cache writes) and the
   * isolate moves them to the store in batches: set when both Redis and a remote store exist.
   */
  spoolFirst: boolean;
  /** How long a drain waits for more records before it moves what the spool holds. */
  drainDelayMs: number;
  /** Spooled records per store write. */
  drainBatch: number;
  /** Where the isolate's writes after the answer are gathered; each record is sent on its own without it. */
  writes?: SharedWrites;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes predictions and usage to the store. With Redis, a record is in the spool (durable) before
 * anything else happens to it, and a drain in the isolate writes the spool to the store one batch
 * per call instead of one call per answer; the scheduled handler drains whatever an isolate left
 * (it died, or the store was down). Without Redis, records go straight to the store. Only when
 * Redis and the store both fail is a record lost, and that is logged.
 */
export class PredictionLog {
  private draining = false;
  /** Records were spooled since the drain last read the spool. */
  private dirty = false;

  constructor(
    private store: PredictionStore,
    private spool: Redis | null,
    private redisTimeoutMs: number,
    private log: Logger,
    private opts: PredictionLogOptions = { spoolFirst: false, drainDelayMs: 0, drainBatch: 500 },
  ) {}

  /**
   * Records one request; `trip` carries the request's other writes (cache entries), which leave in
   * the same call to Redis as the spooled record.
   */
  async record(batch: LogBatch, trip: RoundTrip = new RoundTrip(this.spool)): Promise<void> {
    const empty = batch.rows.length === 0 && !batch.usage;
    const cacheWrites = trip.size;
    const at = !empty && this.opts.spoolFirst ? trip.add((p) => p.rpush(SPOOL_KEY, JSON.stringify(batch)), 1) : null;
    const then = async (replies: Reply[] | { failed: string }): Promise<void> => {
      if (!Array.isArray(replies) && cacheWrites > 0) this.log.warn('cache write failed', { error: replies.failed });
      if (empty) return;
      if (at !== null) {
        const r = Array.isArray(replies) ? replies[at] : undefined;
        if (r?.ok) {
          this.dirty = true;
          return this.drainSoon();
        }
        this.log.warn('spool write failed; writing the record straight to the store', { error: r ? r.error : (replies as { failed: string }).failed });
        return this.writeDirect(batch, false);
      }
      return this.writeDirect(batch, true);
    };
    if (this.opts.writes) return this.opts.writes.send(trip, then);
    return then(await trip.exec(this.redisTimeoutMs, at === null ? 'cache write' : 'cache write and spool'));
  }

  private async writeDirect(batch: LogBatch, spoolOnFailure: boolean): Promise<void> {
    try {
      const r = await this.store.write([batch]);
      if (r.dead_lettered > 0) this.log.warn('the database refused a prediction record; it is in prediction_dead_letters', { request_id: batch.request_id });
    } catch (err) {
      if (!spoolOnFailure || !this.spool) {
        this.log.error('prediction records lost: store and spool both failed', { error: String(err), entries: 1 });
        return;
      }
      this.log.warn('prediction store failed; spooling', { error: String(err), rows: batch.rows.length });
      await this.toSpool([batch]);
    }
  }

  /**
   * One drain per isolate at a time: it waits `drainDelayMs` for more records, then moves the spool
   * to the store until nothing new was spooled meanwhile. Runs after the answer (waitUntil); a drain
   * that fails or is cut short leaves the records in the spool for the next one or the cron.
   */
  private async drainSoon(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      await sleep(this.opts.drainDelayMs);
      for (let i = 0; i < 50 && this.dirty; i++) {
        this.dirty = false;
        const r = await this.flush(this.opts.drainBatch);
        // Another isolate (or the cron) holds the lock: it may have read the spool before our
        // records landed, so try again shortly rather than leave them for the cron.
        if (r.locked || r.remaining > 0) this.dirty = true;
        if (r.locked) await sleep(Math.max(50, this.opts.drainDelayMs));
      }
    } catch (err) {
      this.log.warn('spool drain failed; the records stay in the spool for the next drain or the scheduled run', { error: String(err) });
    } finally {
      this.draining = false;
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
   * Moves up to `batch` spooled entries into the store; returns how many left the spool, how many
   * of those the database set aside as dead letters, and whether another flusher held the lock.
   * Refused entries do not stop the flush: they are written to the dead-letter table with the
   * reason, and the spool moves on. Two calls to Redis around the store write.
   */
  async flush(batch: number): Promise<{ flushed: number; dead_lettered: number; remaining: number; locked?: boolean }> {
    if (!this.spool) return { flushed: 0, dead_lettered: 0, remaining: 0 };
    const token = crypto.randomUUID();
    // One flusher at a time: two would write the same rows (harmless) and trim each other's work.
    // The read rides along with the lock attempt; it is used only when the lock was taken, and
    // only the lock holder trims, so what it read is still at the head of the list.
    const first = this.spool.pipeline();
    first.set(LOCK_KEY, token, { nx: true, ex: 60 });
    first.lrange(SPOOL_KEY, 0, batch - 1);
    first.llen(SPOOL_KEY);
    const [locked, raw, length] = (await withTimeout(first.exec(), this.redisTimeoutMs, 'spool read')) as [unknown, string[], number];
    if (locked !== 'OK') return { flushed: 0, dead_lettered: 0, remaining: Number(length), locked: true };
    let trimmed = false;
    try {
      if (raw.length === 0) return { flushed: 0, dead_lettered: 0, remaining: 0 };
      const entries = raw.map(parseSpoolEntry);
      const r = await this.store.write(entries);
      if (r.dead_lettered > 0)
        this.log.warn('spool flush: the database refused records; they are in prediction_dead_letters', { dead_lettered: r.dead_lettered });
      // Trim only after the store took everything (written or set aside): an unreachable store
      // leaves the spool intact, and writing it again later is harmless (idempotent on request id).
      const last = this.spool.pipeline();
      last.ltrim(SPOOL_KEY, raw.length, -1);
      last.llen(SPOOL_KEY);
      last.eval(RELEASE_SCRIPT, [LOCK_KEY], [token]);
      const [, remaining] = (await withTimeout(last.exec(), this.redisTimeoutMs, 'spool trim')) as [unknown, number, unknown];
      trimmed = true;
      return { flushed: raw.length, dead_lettered: r.dead_lettered, remaining: Number(remaining) };
    } finally {
      if (!trimmed) await withTimeout(this.spool.eval(RELEASE_SCRIPT, [LOCK_KEY], [token]), this.redisTimeoutMs, 'spool unlock').catch(() => undefined);
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
