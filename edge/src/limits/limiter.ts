import type { Redis } from '@upstash/redis/cloudflare';
import { RoundTrip, type Reply } from '../cache/round-trip.ts';

export interface LimitRule {
  /** Names the counter: `key:minute`, `ip:day`, ... */
  name: string;
  tokens: number;
  window: 'minute' | 'day';
  /** What this request spends from the window: 1 per request, or its number of texts for the daily quota. */
  cost?: number;
}

export interface LimitResult {
  success: boolean;
  limit: number;
  remaining: number;
  /** Unix ms when the window frees up. */
  reset: number;
}

/**
 * What a check of all of a request's windows came to, as data (the style of @upstash/ratelimit):
 * `reason` says why it was decided without Redis, or that Redis could not be asked.
 */
export interface LimitOutcome {
  /** One per rule, in order; empty when Redis was unavailable. */
  results: LimitResult[];
  /** Index of the first rule that refused; -1 when every rule let the request through. */
  refused: number;
  reason?: 'cacheBlock' | 'unavailable';
  error?: string;
}

export interface Limiter {
  /**
   * Charges every rule or none: a request refused by one window spends nothing from the others
   * (a minute burst must not eat the day's quota), and a refused rule takes nothing either.
   */
  limitAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome>;
  /** Puts the check on a request's round trip to Redis instead of a call of its own, where there is one. */
  queue?(trip: RoundTrip, identifier: string, rules: LimitRule[]): QueuedLimit;
}

const WINDOW_MS = { minute: 60_000, day: 86_400_000 } as const;

/**
 * Fixed windows in isolate memory: exact for one isolate, which is what `pnpm start` runs and
 * what the Redis-backed limiter falls back to when Redis is down.
 */
export class MemoryLimiter implements Limiter {
  private windows = new Map<string, { start: number; used: number }>();
  constructor(private now: () => number = Date.now) {}

  async limitAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome> {
    const now = this.now();
    const windows = rules.map((rule) => {
      const size = WINDOW_MS[rule.window];
      const start = Math.floor(now / size) * size;
      const id = `${rule.name}:${identifier}`;
      let w = this.windows.get(id);
      if (!w || w.start !== start) {
        w = { start, used: 0 };
        this.windows.set(id, w);
        if (this.windows.size > 10_000) this.sweep(start);
      }
      return { w, reset: start + size };
    });
    const refused = rules.findIndex((rule, i) => windows[i]!.w.used + (rule.cost ?? 1) > rule.tokens);
    if (refused < 0) rules.forEach((rule, i) => (windows[i]!.w.used += rule.cost ?? 1));
    return {
      refused,
      results: rules.map((rule, i) => ({
        success: refused < 0 || i !== refused,
        limit: rule.tokens,
        remaining: Math.max(0, rule.tokens - windows[i]!.w.used),
        reset: windows[i]!.reset,
      })),
    };
  }

  private sweep(current: number): void {
    for (const [k, w] of this.windows) if (w.start < current - WINDOW_MS.day) this.windows.delete(k);
  }
}

/**
 * @upstash/ratelimit's sliding window (the minute: smooth bursts) and fixed window (the day: a quota
 * that resets at a predictable time), with the library's key layout and arithmetic, but all of a
 * request's windows in one script: checked together, charged together or not at all. The script
 * goes into the request's one Redis round trip beside the cache reads, which the library's own
 * calls (one script call each, then refunds) could not.
 */
const LIMIT_SCRIPT = `
local now = tonumber(ARGV[1])
local n = #KEYS / 2
local used, cost, kind, window = {}, {}, {}, {}
local refused = 0
for i = 1, n do
  local a = 2 + (i - 1) * 4
  kind[i] = ARGV[a]
  local tokens = tonumber(ARGV[a + 1])
  window[i] = tonumber(ARGV[a + 2])
  cost[i] = tonumber(ARGV[a + 3])
  local current = tonumber(redis.call("GET", KEYS[2 * i - 1]) or "0")
  local weighted = 0
  if kind[i] == "s" then
    -- the previous window's requests, weighted by how much of it the sliding window still covers
    local previous = tonumber(redis.call("GET", KEYS[2 * i]) or "0")
    weighted = math.floor((1 - (now % window[i]) / window[i]) * previous)
  end
  used[i] = current + weighted
  if refused == 0 and used[i] + cost[i] > tokens then refused = i end
end
if refused == 0 then
  for i = 1, n do
    local v = redis.call("INCRBY", KEYS[2 * i - 1], cost[i])
    if v == cost[i] then
      if kind[i] == "s" then redis.call("PEXPIRE", KEYS[2 * i - 1], window[i] * 2 + 1000)
      else redis.call("PEXPIRE", KEYS[2 * i - 1], window[i]) end
    end
    used[i] = used[i] + cost[i]
  end
end
used[n + 1] = refused
return used
`;

/** Reads a script's reply: what each window has used, then the 1-based index of the refusing rule (0: none). */
function decodeLimitReply(rules: LimitRule[], resets: number[], reply: unknown): LimitOutcome {
  if (!Array.isArray(reply) || reply.length !== rules.length + 1) throw new Error('rate limit script answered in an unexpected shape');
  const refused = Number(reply[rules.length]) - 1;
  return {
    refused,
    results: rules.map((rule, i) => ({
      success: refused < 0 || i !== refused,
      limit: rule.tokens,
      remaining: Math.max(0, rule.tokens - Number(reply[i])),
      reset: resets[i]!,
    })),
  };
}

/** A limit check queued on a request's round trip; `read` turns the replies into the outcome. */
export interface QueuedLimit {
  read(replies: Reply[] | { failed: string }): LimitOutcome;
}

/**
 * The windows in Redis, checked in one atomic script per request, so concurrent requests cannot
 * overshoot a limit. Like the library, a minute window that refused is remembered in the isolate
 * until it resets (`cacheBlock`), so a caller hammering past the limit costs no Redis calls.
 */
export class RedisLimiter implements Limiter {
  private blocked = new Map<string, number>();
  constructor(
    private redis: Redis,
    private timeoutMs: number,
    private now: () => number = Date.now,
  ) {}

  async limitAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome> {
    const trip = new RoundTrip(this.redis);
    const queued = this.queue(trip, identifier, rules);
    return queued.read(await trip.exec(this.timeoutMs, 'rate limit check'));
  }

  /** Puts the check on `trip`; decided locally (nothing queued) when a minute window is known to be full. */
  queue(trip: RoundTrip, identifier: string, rules: LimitRule[]): QueuedLimit {
    const now = this.now();
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (rule.window !== 'minute') continue;
      const until = this.blocked.get(`${rule.name}:${identifier}`);
      if (until === undefined) continue;
      if (until > now) {
        const refusal: LimitOutcome = {
          refused: i,
          reason: 'cacheBlock',
          results: rules.map((r, j) => ({ success: j !== i, limit: r.tokens, remaining: j === i ? 0 : r.tokens, reset: j === i ? until : now })),
        };
        return { read: () => refusal };
      }
      this.blocked.delete(`${rule.name}:${identifier}`);
    }
    const keys: string[] = [];
    const args: Array<string | number> = [now];
    const resets: number[] = [];
    for (const rule of rules) {
      const size = WINDOW_MS[rule.window];
      const bucket = Math.floor(now / size);
      // @upstash/ratelimit's keys (prefix, identifier, bucket), so counters carry over from it.
      const base = `rl:${rule.name}:${identifier}`;
      keys.push(`${base}:${bucket}`, `${base}:${bucket - 1}`);
      args.push(rule.window === 'minute' ? 's' : 'f', rule.tokens, size, rule.cost ?? 1);
      resets.push((bucket + 1) * size);
    }
    const at = trip.add((p) => p.eval(LIMIT_SCRIPT, keys, args), 1)!;
    return {
      read: (replies) => {
        if (!Array.isArray(replies)) return { refused: -1, results: [], reason: 'unavailable', error: replies.failed };
        const r = replies[at];
        if (!r || !r.ok) return { refused: -1, results: [], reason: 'unavailable', error: r ? r.error : 'no reply' };
        let outcome: LimitOutcome;
        try {
          outcome = decodeLimitReply(rules, resets, r.value);
        } catch (err) {
          return { refused: -1, results: [], reason: 'unavailable', error: String(err) };
        }
        const rule = rules[outcome.refused];
        if (rule?.window === 'minute') {
          if (this.blocked.size > 10_000) this.blocked.clear();
          this.blocked.set(`${rule.name}:${identifier}`, outcome.results[outcome.refused]!.reset);
        }
        return outcome;
      },
    };
  }
}
