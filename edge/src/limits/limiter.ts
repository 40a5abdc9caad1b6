import type { Redis } from '@upstash/redis/cloudflare';
import { Ratelimit } from '@upstash/ratelimit';
import { withTimeout } from '../timeout.ts';

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
 * What a check of all of a request's windows came to, as data (as @upstash/ratelimit answers):
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
  /**
   * Charges every rule for work already done (answers given before their check): nothing is
   * refunded when a window is over, since the answers were given; the outcome says how it stands.
   */
  chargeAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome>;
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
    return this.apply(identifier, rules, false);
  }

  async chargeAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome> {
    return this.apply(identifier, rules, true);
  }

  private apply(identifier: string, rules: LimitRule[], always: boolean): LimitOutcome {
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
    if (refused < 0 || always) rules.forEach((rule, i) => (windows[i]!.w.used += rule.cost ?? 1));
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
 * Rules that charge more than one per request (texts, tokens, the daily quota) use fixed windows:
 * the library's sliding window takes a request that overshoots the limit into its count, and its
 * answer cannot tell that apart from one it refused untouched, so no exact refund is possible.
 */
function fixedWindow(rule: LimitRule): boolean {
  return rule.window === 'day' || rule.cost !== undefined;
}

/**
 * @upstash/ratelimit over Upstash Redis: a sliding minute for requests (smooth bursts), fixed
 * windows for what costs more than one (texts and tokens per minute, the day's quota), each one
 * atomic script of the library's, so concurrent requests cannot overshoot a limit. A request's windows are charged together: every `limit()` is
 * issued in the same tick, and the client's auto-pipelining sends their scripts, with the cache
 * reads issued beside them, as one `/pipeline` call. All or nothing is kept by refunds: when one
 * window refuses, what the others took is given back with the library's negative rate (on refusals
 * only, so an answered request still makes one call). Until the refund lands, a concurrent request
 * sees the refused one's charge: the error is on the side of refusing, never of letting through.
 */
export class RedisLimiter implements Limiter {
  private limiters = new Map<string, Ratelimit>();
  /**
   * The library's ephemeral cache for the minute windows (full key -> reset ms): a window that
   * refused is refused in the isolate until it resets, so a caller hammering past the limit costs
   * no Redis calls. Shared with the library so the check below can skip the other windows too.
   */
  private blocked = new Map<string, number>();
  constructor(
    private redis: Redis,
    private timeoutMs: number,
    private now: () => number = Date.now,
  ) {}

  /** Issues every window's script before its first await, so they share the tick's pipeline. */
  async limitAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome> {
    const now = this.now();
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (fixedWindow(rule)) continue;
      const until = this.blocked.get(`${this.prefix(rule)}:${identifier}`);
      if (until === undefined) continue;
      if (until > now) {
        return {
          refused: i,
          reason: 'cacheBlock',
          results: rules.map((r, j) => ({ success: j !== i, limit: r.tokens, remaining: j === i ? 0 : r.tokens, reset: j === i ? until : now })),
        };
      }
      this.blocked.delete(`${this.prefix(rule)}:${identifier}`);
    }
    if (this.blocked.size > 10_000) this.blocked.clear();
    const responses = await this.chargeEach(identifier, rules, 'rate limit check');
    if (!Array.isArray(responses)) return responses;
    const refused = responses.findIndex((r) => !r.success);
    if (refused >= 0) {
      // Give back what the others took, and what a fixed window took while refusing (its script
      // adds the cost before it compares); a sliding window that refused took nothing.
      const refunds = rules.filter((rule, i) => responses[i]!.success || fixedWindow(rule));
      try {
        await withTimeout(
          Promise.all(refunds.map((rule) => this.limiterFor(rule).limit(identifier, { rate: -(rule.cost ?? 1) }))),
          this.timeoutMs,
          'rate limit refund',
        );
      } catch {
        // The refusal stands; the windows over-count until they reset, the safe side.
      }
    }
    return {
      refused,
      results: responses.map((r) => ({ success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset })),
    };
  }

  async chargeAll(identifier: string, rules: LimitRule[]): Promise<LimitOutcome> {
    const charged = await this.chargeEach(identifier, rules, 'rate limit charge');
    if (!Array.isArray(charged)) return charged;
    return {
      refused: charged.findIndex((r) => !r.success),
      results: charged.map((r) => ({ success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset })),
    };
  }

  /** Every rule's script issued in this tick (one pipeline); the library's answers, or why Redis could not give them. */
  private async chargeEach(identifier: string, rules: LimitRule[], what: string): Promise<Array<Awaited<ReturnType<Ratelimit['limit']>>> | LimitOutcome> {
    const settled = await Promise.allSettled(
      rules.map((rule) => withTimeout(this.limiterFor(rule).limit(identifier, { rate: rule.cost ?? 1 }), this.timeoutMs, what)),
    );
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) return { refused: -1, results: [], reason: 'unavailable', error: String((failed as PromiseRejectedResult).reason) };
    return settled.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<Ratelimit['limit']>>>).value);
  }

  private prefix(rule: LimitRule): string {
    return `rl:${rule.name}`;
  }

  private limiterFor(rule: LimitRule): Ratelimit {
    const id = `${rule.name}:${rule.tokens}`;
    let rl = this.limiters.get(id);
    if (!rl) {
      rl = new Ratelimit({
        redis: this.redis,
        limiter: fixedWindow(rule) ? Ratelimit.fixedWindow(rule.tokens, rule.window === 'day' ? '1 d' : '60 s') : Ratelimit.slidingWindow(rule.tokens, '60 s'),
        prefix: this.prefix(rule),
        // Timeouts are ours to judge (fail open or closed per path), not the library's.
        timeout: 0,
        analytics: false,
        // A fixed window blocked in the isolate would refuse a one-text request for the rest of the
        // day after a large batch was refused, though the quota still has room for it.
        ephemeralCache: fixedWindow(rule) ? false : this.blocked,
      });
      this.limiters.set(id, rl);
    }
    return rl;
  }
}
