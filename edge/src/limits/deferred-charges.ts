import type { Limiter, LimitOutcome, LimitRule } from './limiter.ts';

type Pending = { rules: Map<string, LimitRule>; answers: number };

/**
 * Charges for answers given before their limits were checked, summed per caller and rule over
 * `windowMs`, then sent as one charge per caller: under load that is one call to Redis for many
 * answers instead of one each. As with SharedWrites, the request that opens a window sends it from
 * its own waitUntil (the Workers runtime cancels a request whose waitUntil waits on I/O another
 * request started); later requests add to it and are done.
 */
export class DeferredCharges {
  private open: Map<string, Pending> | null = null;

  constructor(
    private limiter: Limiter,
    private windowMs: number,
    /** Hears how each caller stands after its charge, and how many answers it covered. */
    private settled: (identifier: string, answers: number, outcome: LimitOutcome, rules: LimitRule[]) => void,
  ) {}

  async add(identifier: string, rules: LimitRule[]): Promise<void> {
    const opener = this.open === null;
    if (opener) this.open = new Map();
    const batch = this.open!;
    const p = batch.get(identifier) ?? { rules: new Map<string, LimitRule>(), answers: 0 };
    p.answers++;
    for (const r of rules) {
      const sum = p.rules.get(r.name);
      p.rules.set(r.name, { ...r, cost: (sum?.cost ?? 0) + (r.cost ?? 1) });
    }
    batch.set(identifier, p);
    if (!opener) return;
    await new Promise((r) => setTimeout(r, this.windowMs));
    this.open = null;
    await Promise.all(
      [...batch].map(async ([id, { rules: summed, answers }]) => {
        const list = [...summed.values()];
        const outcome = await this.limiter
          .chargeAll(id, list)
          .catch((err: unknown): LimitOutcome => ({ refused: -1, results: [], reason: 'unavailable', error: String(err) }));
        // The outlook judges the next request by one request's costs, not the window's sum.
        const one = list.map((r) => ({ ...r, cost: Math.max(1, Math.round((r.cost ?? 1) / answers)) }));
        this.settled(id, answers, outcome, one);
      }),
    );
  }
}
