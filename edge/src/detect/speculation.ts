import type { LimitResult, LimitRule } from '../limits/limiter.ts';

export interface SpeculationOptions {
  enabled: boolean;
  /** Answer a cached text before its limits are checked (charged after the answer). */
  uncheckedHits: boolean;
  /** Above this share of Redis reads that hit, speculation stops: most model calls would be thrown away. */
  maxHitRate: number;
  /** The caller's windows must each have had at least this share left at their last check. */
  minRoom: number;
}

interface Outlook {
  roomy: boolean;
  /** How many more requests like the last one its windows had room for. */
  fits: number;
  results: LimitResult[];
  /** Answers given unchecked whose charge has not landed yet. */
  unchecked: number;
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
 *
 * The same outlook lets a text the isolate itself has cached be answered before its limits are
 * checked (`admitsUnchecked`): nothing is computed, and the charge follows the answer (summed with
 * others' in DeferredCharges). A caller is let through this way only while its last check left
 * room for twice the answers given unchecked and not yet charged: one isolate never answers more
 * than its last check allowed, and n isolates at once at most n/2 times what was left, and only for
 * a caller with SPECULATE_MIN_ROOM of every window to spare. Near a limit every request waits for
 * its check again.
 */
export class SpeculationGate {
  private hitRate = 0;
  private room = new Map<string, Outlook>();

  constructor(private opts: SpeculationOptions) {}

  allows(identifier: string): boolean {
    return this.opts.enabled && this.hitRate <= this.opts.maxHitRate && this.room.get(identifier)?.roomy === true;
  }

  admitsUnchecked(identifier: string): boolean {
    const o = this.room.get(identifier);
    if (!this.opts.uncheckedHits || !o?.roomy) return false;
    return 2 * (o.unchecked + 1) <= o.fits;
  }

  /** Counts an answer given unchecked; returns the limits to show for it (the tightest, less what is uncharged). */
  beginUnchecked(identifier: string): LimitResult | null {
    const o = this.room.get(identifier);
    if (!o) return null;
    o.unchecked++;
    const tightest = o.results.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    return { ...tightest, remaining: Math.max(0, tightest.remaining - o.unchecked) };
  }

  /** `count` unchecked answers have been charged (or the charge failed): they no longer weigh on the outlook. */
  endUnchecked(identifier: string, count: number): void {
    const o = this.room.get(identifier);
    if (o) o.unchecked = Math.max(0, o.unchecked - count);
  }

  /** A read that went to Redis for one text: did it find the answer? */
  noteRead(hit: boolean): void {
    this.hitRate += EWMA_WEIGHT * ((hit ? 1 : 0) - this.hitRate);
  }

  /**
   * What a limit check left the caller: a refused window, or one nearly spent, stops speculation
   * for it. `rules` (the check's, with their costs) say how many more such requests fit.
   */
  noteLimits(identifier: string, results: LimitResult[], refused: boolean, rules?: LimitRule[]): void {
    if (this.room.size >= MAX_TRACKED && !this.room.has(identifier)) this.room.clear();
    const roomy = !refused && results.length > 0 && results.every((r) => r.limit > 0 && r.remaining / r.limit >= this.opts.minRoom);
    const fits = rules ? Math.min(...results.map((r, i) => Math.floor(r.remaining / Math.max(1, rules[i]?.cost ?? 1)))) : 0;
    const unchecked = this.room.get(identifier)?.unchecked ?? 0;
    this.room.set(identifier, { roomy, fits: roomy ? fits : 0, results, unchecked });
  }
}
