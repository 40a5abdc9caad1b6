import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '@upstash/redis/cloudflare';
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

export interface Limiter {
  limit(identifier: string, rule: LimitRule): Promise<LimitResult>;
  /**
   * Gives back what a request took (its rule's cost) when another rule then refused it. A refused
   * rule has taken nothing.
   */
  refund(identifier: string, rule: LimitRule): Promise<void>;
}

const WINDOW_MS = { minute: 60_000, day: 86_400_000 } as const;

/**
 * Fixed windows in isolate memory: exact for one isolate, which is what `pnpm start` runs and
 * what the Redis-backed limiter falls back to when Redis is down.
 */
export class MemoryLimiter implements Limiter {
  private windows = new Map<string, { start: number; used: number }>();
  constructor(private now: () => number = Date.now) {}

  async limit(identifier: string, rule: LimitRule): Promise<LimitResult> {
    const size = WINDOW_MS[rule.window];
    const start = Math.floor(this.now() / size) * size;
    const id = `${rule.name}:${identifier}`;
    let w = this.windows.get(id);
    if (!w || w.start !== start) {
      w = { start, used: 0 };
      this.windows.set(id, w);
      if (this.windows.size > 10_000) this.sweep(start);
    }
    const cost = rule.cost ?? 1;
    const success = w.used + cost <= rule.tokens;
    if (success) w.used += cost;
    return { success, limit: rule.tokens, remaining: Math.max(0, rule.tokens - w.used), reset: start + size };
  }

  async refund(identifier: string, rule: LimitRule): Promise<void> {
    const w = this.windows.get(`${rule.name}:${identifier}`);
    if (w) w.used = Math.max(0, w.used - (rule.cost ?? 1));
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
 * @upstash/ratelimit over Upstash Redis: a sliding minute (smooth bursts) and a fixed day (a
 * quota that resets at a predictable time). Each check is one atomic Lua script, so concurrent
 * requests cannot overshoot a limit.
 */
export class RedisLimiter implements Limiter {
  private limiters = new Map<string, Ratelimit>();
  constructor(
    private redis: Redis,
    private timeoutMs: number,
    private defer: (p: Promise<unknown>) => void,
  ) {}

  async limit(identifier: string, rule: LimitRule): Promise<LimitResult> {
    const cost = rule.cost ?? 1;
    const r = await withTimeout(this.limiterFor(rule).limit(identifier, { rate: cost }), this.timeoutMs, 'rate limit check');
    this.defer(r.pending);
    // The fixed-window script adds the cost even when it refuses. With costs above one that would
    // spend the rest of the day on a request that was never served (a 64-text batch with 10 texts
    // left), so a refusal gives its cost straight back.
    if (!r.success && fixedWindow(rule)) await this.refund(identifier, rule);
    return { success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
  }

  async refund(identifier: string, rule: LimitRule): Promise<void> {
    // A negative rate is the library's refund: the scripts skip the limit check for it.
    const r = await withTimeout(this.limiterFor(rule).limit(identifier, { rate: -(rule.cost ?? 1) }), this.timeoutMs, 'rate limit refund');
    this.defer(r.pending);
  }

  private limiterFor(rule: LimitRule): Ratelimit {
    const id = `${rule.name}:${rule.tokens}`;
    let rl = this.limiters.get(id);
    if (!rl) {
      rl = new Ratelimit({
        redis: this.redis,
        limiter: fixedWindow(rule) ? Ratelimit.fixedWindow(rule.tokens, rule.window === 'day' ? '1 d' : '60 s') : Ratelimit.slidingWindow(rule.tokens, '60 s'),
        prefix: `rl:${rule.name}`,
        // Timeouts are ours to judge (fail open or closed per path), not the library's.
        timeout: 0,
        analytics: false,
        // The library's in-isolate block list would refuse a one-text request for the rest of the
        // day after a large batch was refused, though the quota still has room for it.
        ephemeralCache: fixedWindow(rule) ? false : undefined,
      });
      this.limiters.set(id, rl);
    }
    return rl;
  }
}
