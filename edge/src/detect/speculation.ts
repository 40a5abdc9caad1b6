import type { LimitResult } from '../limits/limiter.ts';

export interface SpeculationOptions {
  enabled: boolean;
  /** Above this share of Redis reads that hit, speculation stops: most model calls would be thrown away. */
  maxHitRate: number;
  /** The caller's windows must each have had at least this share left at their last check. */
  minRoom: number;
}

/** How fast the hit rate follows new reads: about the last 20 reads count. */
const EWMA_WEIGHT = 0.05;
const MAX_TRACKED = 10_000;

/**
 * Whether a single text may go to the model while Redis is still being asked about it.
 *
 * A miss otherwise waits for two round trips in turn: Redis (limits and the cache read, one
 * pipeline), then the model. Sent together, it waits for the slower of the two, which is the
 * model. Redis still decides: a refusal or a cache hit cancels the call, and the inference service
 * drops queued work whose caller has gone. What a cancelled call already computed is wasted, so
 * this is done only where that stays rare and cheap:
 *  - for keyed callers, who pay for what they use, never on the keyless demo routes;
 *  - when the caller's windows had room at their last check in this isolate (a caller near or
 *    over a limit gets the ordinary order, where a refusal costs the model nothing);
 *  - while few reads in this isolate find their answer in Redis (each hit would cancel a call).
 * State is per isolate and starts pessimistic: a key unseen here is not speculated on.
 */
export class SpeculationGate {
  private hitRate = 0;
  private room = new Map<string, boolean>();

  constructor(private opts: SpeculationOptions) {}

  allows(identifier: string): boolean {
    return this.opts.enabled && this.hitRate <= this.opts.maxHitRate && this.room.get(identifier) === true;
  }

  /** A read that went to Redis for one text: did it find the answer? */
  noteRead(hit: boolean): void {
    this.hitRate += EWMA_WEIGHT * ((hit ? 1 : 0) - this.hitRate);
  }

  /** What a limit check left the caller: a refused window, or one nearly spent, stops speculation for it. */
  noteLimits(identifier: string, results: LimitResult[], refused: boolean): void {
    if (this.room.size >= MAX_TRACKED && !this.room.has(identifier)) this.room.clear();
    const roomy = !refused && results.length > 0 && results.every((r) => r.limit > 0 && r.remaining / r.limit >= this.opts.minRoom);
    this.room.set(identifier, roomy);
  }

  get observedHitRate(): number {
    return this.hitRate;
  }
}
