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

type Part = { builds: Array<(p: Pipeline) => void>; count: number; then: (replies: Reply[] | { failed: string }) => Promise<void> };

/**
 * What answers leave behind (cache writes, spooled records), gathered from the requests an isolate
 * answers within `windowMs` into one pipeline: under load that is one call to Redis for many
 * answers. The request that opens a batch sends it, from its own waitUntil, and runs every part's
 * `then` (a fallback write, a drain) there too: the Workers runtime cancels a request whose
 * waitUntil waits on I/O that another request started, so later requests hand their part over and
 * are done. Their commands are as safe as the opener's: its waitUntil holds until all are sent.
 */
export class SharedWrites {
  private open: { parts: Part[]; count: number } | null = null;

  constructor(
    private redis: Redis | null,
    private timeoutMs: number,
    private windowMs: number,
    /** A batch this large is closed, and the next answer opens another. */
    private maxCommands = 256,
  ) {}

  /** Sends `trip`'s commands with the others', then hands `then` this trip's replies. */
  async send(trip: RoundTrip, then: Part['then']): Promise<void> {
    if (!this.redis || trip.size === 0) return then([]);
    if (this.windowMs <= 0) return then(await trip.exec(this.timeoutMs, 'writes after the answer'));
    const part = { ...trip.take(), then };
    if (this.open && this.open.count < this.maxCommands) {
      this.open.parts.push(part);
      this.open.count += part.count;
      return;
    }
    const batch = { parts: [part], count: part.count };
    this.open = batch;
    await new Promise((r) => setTimeout(r, this.windowMs));
    if (this.open === batch) this.open = null;
    const all = new RoundTrip(this.redis);
    const offsets = batch.parts.map((p) => all.add((pipe) => p.builds.forEach((b) => b(pipe)), p.count)!);
    const replies = await all.exec(this.timeoutMs, 'writes after the answer');
    await Promise.all(
      batch.parts.map((p, i) => p.then(Array.isArray(replies) ? replies.slice(offsets[i], offsets[i]! + p.count) : replies).catch(() => undefined)),
    );
  }
}
