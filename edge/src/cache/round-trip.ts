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
  private builds: Array<(p: Pipeline) => void> = [];
  private count = 0;
  constructor(private redis: Redis | null) {}

  /** Adds commands; returns the position of the first. Null without Redis. */
  add(build: (p: Pipeline) => void, commands: number): number | null {
    if (!this.redis) return null;
    const at = this.count;
    this.builds.push(build);
    this.count += commands;
    return at;
  }

  get size(): number {
    return this.count;
  }

  /** Hands the queued commands over (to a pipeline shared with other requests) and empties this one. */
  take(): { builds: Array<(p: Pipeline) => void>; count: number } {
    const taken = { builds: this.builds, count: this.count };
    this.builds = [];
    this.count = 0;
    return taken;
  }

  /** The replies in order, or the reason the whole call failed. Never throws. */
  async exec(timeoutMs: number, what: string): Promise<Reply[] | { failed: string }> {
    if (!this.redis || this.count === 0) return [];
    const p = this.redis.pipeline();
    for (const build of this.take().builds) build(p);
    try {
      const raw = await withTimeout(p.exec<unknown[]>({ keepErrors: true }), timeoutMs, what);
      return (raw as Array<{ result: unknown; error?: string }>).map((r) => (r.error ? { ok: false, error: r.error } : { ok: true, value: r.result }));
    } catch (err) {
      return { failed: String(err) };
    }
  }
}

/**
 * What answers leave behind (cache writes, spooled records), gathered from the requests an isolate
 * answers within `windowMs` into one pipeline: under load that is one call to Redis for many
 * answers. Each request's own promise (held open by its waitUntil) settles only when its commands
 * are in Redis, so nothing is acknowledged before it is stored.
 */
export class SharedWrites {
  private queue: Array<{ builds: Array<(p: Pipeline) => void>; count: number; resolve: (r: Reply[] | { failed: string }) => void }> = [];
  private queued = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private redis: Redis | null,
    private timeoutMs: number,
    private windowMs: number,
    /** Sent at once when this many commands are waiting. */
    private maxCommands = 256,
  ) {}

  /** Sends `trip`'s commands, with whatever else is waiting; resolves with this trip's replies. */
  send(trip: RoundTrip, what: string): Promise<Reply[] | { failed: string }> {
    if (!this.redis || trip.size === 0) return Promise.resolve([]);
    if (this.windowMs <= 0) return trip.exec(this.timeoutMs, what);
    return new Promise((resolve) => {
      const taken = trip.take();
      this.queue.push({ ...taken, resolve });
      this.queued += taken.count;
      if (this.queued >= this.maxCommands) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const parts = this.queue;
    this.queue = [];
    this.queued = 0;
    const all = new RoundTrip(this.redis);
    const offsets = parts.map((part) => all.add((p) => part.builds.forEach((b) => b(p)), part.count)!);
    const replies = await all.exec(this.timeoutMs, 'writes after the answer');
    parts.forEach((part, i) => part.resolve(Array.isArray(replies) ? replies.slice(offsets[i], offsets[i]! + part.count) : replies));
  }
}
