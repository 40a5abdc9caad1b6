import type { Redis } from '@upstash/redis/cloudflare';
import { withTimeout } from '../timeout.ts';

/** One command's reply in a pipeline: its value, or the error Redis gave for that command alone. */
export type Reply = { ok: true; value: unknown } | { ok: false; error: string };

type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * Commands from several parts of a request (rate limits, cache reads; cache writes and the log
 * spool after the answer) sent to Upstash as one `/pipeline` call: each round trip to Redis is a
 * sub-request that sits on the request's time. Every part reads its own replies by position; a
 * failed call (Redis unreachable, timeout) gives every part the same error, as data, so that each
 * decides for itself whether to fail open or closed.
 */
export class RoundTrip {
  private pipeline: Pipeline | null = null;
  private count = 0;
  constructor(private redis: Redis | null) {}

  /** Adds commands; returns the position of the first. Null without Redis. */
  add(build: (p: Pipeline) => void, commands: number): number | null {
    if (!this.redis) return null;
    this.pipeline ??= this.redis.pipeline();
    const at = this.count;
    build(this.pipeline);
    this.count += commands;
    return at;
  }

  get size(): number {
    return this.count;
  }

  /** The replies in order, or the reason the whole call failed. Never throws. */
  async exec(timeoutMs: number, what: string): Promise<Reply[] | { failed: string }> {
    if (!this.pipeline || this.count === 0) return [];
    const p = this.pipeline;
    this.pipeline = null;
    this.count = 0;
    try {
      const raw = await withTimeout(p.exec<unknown[]>({ keepErrors: true }), timeoutMs, what);
      return (raw as Array<{ result: unknown; error?: string }>).map((r) => (r.error ? { ok: false, error: r.error } : { ok: true, value: r.result }));
    } catch (err) {
      return { failed: String(err) };
    }
  }
}
