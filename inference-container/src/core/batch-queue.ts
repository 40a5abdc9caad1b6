import { ApiError } from '@detector/contract';
import type { PackOutput } from '@detector/detector-kit/pack-manifest.ts';
import type { SequenceOutputs } from '../backends/run-batch.ts';
import { LOCAL_TENANT, type Work } from './work.ts';

export interface BatchQueueOptions {
  /** Padded tokens (batch size x longest sequence) one call may hold. */
  maxBatchTokens: number;
  /** How long the first item to reach an idle model may wait for company (0: it runs at once,
   *  and what arrives while a call runs makes up the next batch). */
  maxWaitMs: number;
  /**
   * Items waiting before a tenant that already has work queued is refused with queue_full. A
   * tenant with nothing queued may go up to twice this, so one tenant filling the queue cannot
   * turn everyone else away.
   */
  maxDepth: number;
  /** Tokens one tenant may have waiting; a tenant with nothing waiting may always queue one request. */
  maxTenantTokens?: number;
  /**
   * Tenants served only while no other tenant has work waiting (the gateway's keyless demo), and the
   * padded tokens one of their calls may hold. A keyed request then waits for at most one such small
   * call, whatever the keyless load: fair share alone would give keyless traffic half the model.
   */
  lowPriority?: {
    tenants: readonly string[];
    maxBatchTokens: number;
    /**
     * The most of the model's time low-priority work may take while it alone waits: after one of
     * its calls the model stays free for the rest of that share, so a keyed request arriving then
     * runs at once instead of behind the call in flight.
     */
    maxShare: number;
  };
}

export interface BatchStats {
  size: number;
  paddedTokens: number;
  realTokens: number;
  seconds: number;
  outputs: string;
}

type Runner = (seqs: number[][], outputs: readonly PackOutput[]) => Promise<SequenceOutputs[]>;

interface Item {
  seq: number[];
  outputs: readonly PackOutput[];
  key: string;
  deadline: number | undefined;
  signal: AbortSignal | undefined;
  resolve: (o: SequenceOutputs) => void;
  reject: (e: unknown) => void;
}

interface Tenant {
  items: Item[];
  tokens: number;
  /** Tokens this tenant has had run while it had work waiting: the fair-share clock. */
  served: number;
}

/** Give up on a deadline this close: the answer would still have to travel back. */
const DEADLINE_MARGIN_MS = 50;

/**
 * Groups sequences into model calls. One loop owns the model: it runs a batch, then takes the
 * next, so calls never overlap and a burst of requests becomes a few large calls. Items are only
 * batched with items that want the same outputs, so an embedding request never pays for the
 * vocabulary projection another request asked for.
 *
 * Model time is shared between tenants by tokens: each batch is filled from the tenant that has
 * been served the fewest tokens while waiting, so a newcomer's short text rides in the next batch
 * however many windows another tenant has queued. Work whose caller has gone (disconnected, or
 * past its deadline) is dropped before it reaches the model.
 */
export class BatchQueue {
  private readonly tenants = new Map<string, Tenant>();
  private readonly watched = new WeakMap<AbortSignal, Array<[string, Item]>>();
  private waitingCount = 0;
  private running = false;
  private runningTokens = 0;
  /** Cancels the pending start of the loop, when one is scheduled. */
  private timer: (() => void) | null = null;
  /** Low-priority work may not start a call before this (performance.now() ms), while it alone waits. */
  private lowResumeAt = 0;
  private resumeTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /**
   * Recent model throughput, as decayed sums so larger batches weigh by their size: over all
   * batches, and over batches at least half full. A backlog runs in full batches, and a few short
   * texts alone would make the rate look several times slower than a backlog actually drains.
   */
  private recent = { tokens: 0, seconds: 0 };
  private recentFull = { tokens: 0, seconds: 0 };

  constructor(
    private readonly run: Runner,
    private readonly opts: BatchQueueOptions,
    private readonly onBatch: (s: BatchStats) => void = () => {},
  ) {}

  get depth(): number {
    return this.waitingCount;
  }

  /** Measured real tokens per second of model time; null before the first batch. */
  get tokensPerSecond(): number | null {
    const r = this.recentFull.seconds > 0 ? this.recentFull : this.recent;
    return r.seconds > 0 ? r.tokens / r.seconds : null;
  }

  /** Reserves room for n items at once so a request is taken whole or refused whole. */
  hasRoomFor(n: number, tenant = LOCAL_TENANT): boolean {
    const t = this.tenants.get(tenant);
    const limit = t && t.items.length > 0 ? this.opts.maxDepth : 2 * this.opts.maxDepth;
    return this.waitingCount + n <= limit;
  }

  /**
   * Admits a whole request of `windows` sequences holding `tokens` tokens, or throws: queue_full
   * when the queue or the tenant's budget is full, deadline_unmeetable when the work ahead of it
   * (under fair share) cannot run before its deadline.
   */
  admit(windows: number, tokens: number, work: Work): void {
    if (this.closed) throw new ApiError('not_ready', 'the service is shutting down', { retryAfter: 1 });
    if (!this.hasRoomFor(windows, work.tenant)) {
      throw new ApiError('queue_full', 'the inference queue is full; retry shortly', { retryAfter: this.retryAfterFor(this.queuedTokens() / 2) });
    }
    const mine = this.tenants.get(work.tenant)?.tokens ?? 0;
    const budget = this.opts.maxTenantTokens;
    if (budget !== undefined && mine > 0 && mine + tokens > budget) {
      throw new ApiError('queue_full', `this caller already has ${mine} tokens waiting for the model; retry once they have run`, {
        retryAfter: this.retryAfterFor(mine),
      });
    }
    this.checkDeadline(tokens, work);
  }

  /**
   * Throws deadline_unmeetable when `tokens` more from this tenant cannot run before its deadline,
   * and text_too_large_for_deadline when they could not even on an idle model within the caller's
   * whole budget: a Retry-After would only bring the same request back to the same refusal.
   */
  checkDeadline(tokens: number, work: Work): void {
    if (work.deadline === undefined) return;
    const rate = this.tokensPerSecond;
    if (rate !== null && work.budgetMs !== undefined) {
      const alone = (tokens / rate) * 1000;
      if (alone > work.budgetMs - DEADLINE_MARGIN_MS) {
        throw new ApiError(
          'text_too_large_for_deadline',
          `this work needs about ${Math.ceil(alone)} ms of model time on its own; the request allows ${work.budgetMs} ms. Send shorter texts or fewer at once`,
        );
      }
    }
    const wait = this.estimateWaitMs(work.tenant, tokens);
    if (wait === null) return;
    const left = work.deadline - Date.now() - DEADLINE_MARGIN_MS;
    if (wait > left) {
      throw new ApiError(
        'deadline_unmeetable',
        `the work queued ahead needs about ${Math.ceil(wait)} ms; the request allows ${Math.max(0, Math.round(left))} ms`,
        {
          retryAfter: Math.max(1, Math.ceil((wait - Math.max(0, left)) / 1000)),
        },
      );
    }
  }

  /**
   * How long until `tokens` more from `tenant` would have run. Under fair share every other
   * tenant runs at most as many tokens as this tenant has waiting (these included) before this
   * tenant's last one, so that is what is counted from each.
   */
  estimateWaitMs(tenant: string, tokens: number): number | null {
    const rate = this.tokensPerSecond;
    if (rate === null) return null;
    const mine = (this.tenants.get(tenant)?.tokens ?? 0) + tokens;
    let ahead = this.runningTokens + mine;
    for (const [name, t] of this.tenants) if (name !== tenant) ahead += Math.min(t.tokens, mine);
    return (ahead / rate) * 1000;
  }

  submit(seq: number[], outputs: readonly PackOutput[], work?: Work): Promise<SequenceOutputs> {
    if (this.closed) return Promise.reject(new ApiError('not_ready', 'the service is shutting down', { retryAfter: 1 }));
    const tenantName = work?.tenant ?? LOCAL_TENANT;
    if (!this.hasRoomFor(1, tenantName)) {
      return Promise.reject(new ApiError('queue_full', 'the inference queue is full; retry shortly', { retryAfter: 1 }));
    }
    const sorted = [...outputs].sort();
    return new Promise((resolve, reject) => {
      const item: Item = { seq, outputs: sorted, key: sorted.join(','), deadline: work?.deadline, signal: work?.signal, resolve, reject };
      let t = this.tenants.get(tenantName);
      if (!t) {
        // A tenant joining (or coming back) starts level with the least-served one waiting: it
        // can neither bank model time while idle nor be charged for what it had before.
        t = { items: [], tokens: 0, served: this.leastServed() };
        this.tenants.set(tenantName, t);
      }
      t.items.push(item);
      t.tokens += seq.length;
      this.waitingCount++;
      if (item.signal) this.watch(item.signal, tenantName, item);
      this.schedule();
    });
  }

  /** Stops taking work and resolves once everything already queued has run. */
  async drain(): Promise<void> {
    this.closed = true;
    if (!this.running && this.waitingCount === 0) return;
    // Queued work need not wait out the batching delay any more.
    if (this.timer) {
      this.timer();
      this.timer = null;
      void this.loop();
    }
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  /** A caller that hangs up frees its places at once rather than when their turn comes; one listener per request. */
  private watch(signal: AbortSignal, tenant: string, item: Item): void {
    let items = this.watched.get(signal);
    if (!items) {
      const list: Array<[string, Item]> = [];
      this.watched.set(signal, list);
      signal.addEventListener(
        'abort',
        () => {
          for (const [t, i] of list) this.remove(t, i, gone(i));
        },
        { once: true },
      );
      items = list;
    }
    items.push([tenant, item]);
  }

  /** True when every waiting item belongs to a low-priority tenant. */
  private lowPriorityOnly(): boolean {
    const low = this.opts.lowPriority?.tenants;
    if (!low) return false;
    for (const [name, t] of this.tenants) if (t.items.length > 0 && !low.includes(name)) return false;
    return true;
  }

  /** Starts the loop again when low-priority work may run next (or sooner, if other work arrives). */
  private resumeAt(at: number): void {
    if (this.resumeTimer) return;
    this.resumeTimer = setTimeout(
      () => {
        this.resumeTimer = null;
        this.schedule();
      },
      Math.max(1, at - performance.now()),
    );
  }

  private queuedTokens(): number {
    let n = 0;
    for (const t of this.tenants.values()) n += t.tokens;
    return n;
  }

  private retryAfterFor(tokens: number): number {
    const rate = this.tokensPerSecond;
    return rate === null ? 1 : Math.max(1, Math.ceil(tokens / rate));
  }

  private leastServed(): number {
    let min = Infinity;
    for (const t of this.tenants.values()) min = Math.min(min, t.served);
    return min === Infinity ? 0 : min;
  }

  private remove(tenantName: string, item: Item, err: ApiError): void {
    const t = this.tenants.get(tenantName);
    const i = t ? t.items.indexOf(item) : -1;
    if (!t || i < 0) return; // already taken into a batch
    t.items.splice(i, 1);
    t.tokens -= item.seq.length;
    this.waitingCount--;
    if (t.items.length === 0) this.tenants.delete(tenantName);
    item.reject(err);
  }

  /** Rejects work nobody waits for any more, so it never takes model time. */
  private dropGone(): void {
    const now = Date.now();
    for (const [name, t] of [...this.tenants]) {
      for (const item of [...t.items]) {
        if (item.signal?.aborted || (item.deadline !== undefined && item.deadline <= now)) this.remove(name, item, gone(item));
      }
    }
  }

  private schedule(): void {
    if (this.running) return;
    const full = this.paddedTokens(this.takeBatch(false)) >= this.opts.maxBatchTokens;
    if (full || this.closed) {
      this.timer?.();
      this.timer = null;
      void this.loop();
    } else if (!this.timer) {
      // With no wait the call still starts after the current turn of the event loop, so the
      // windows one request submits together go into the same call.
      const start = () => {
        this.timer = null;
        void this.loop();
      };
      if (this.opts.maxWaitMs === 0) {
        const t = setImmediate(start);
        this.timer = () => clearImmediate(t);
      } else {
        const t = setTimeout(start, this.opts.maxWaitMs);
        this.timer = () => clearTimeout(t);
      }
    }
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        this.dropGone();
        if (this.waitingCount === 0) break;
        const lowOnly = this.lowPriorityOnly();
        const batch = this.takeBatch(true);
        if (batch.length === 0) {
          this.resumeAt(this.lowResumeAt);
          break;
        }
        const realTokens = batch.reduce((n, i) => n + i.seq.length, 0);
        this.runningTokens = realTokens;
        const started = performance.now();
        try {
          const outs = await this.run(
            batch.map((i) => i.seq),
            batch[0]!.outputs,
          );
          batch.forEach((item, k) => item.resolve(outs[k]!));
        } catch (err) {
          for (const item of batch) item.reject(err);
        }
        const seconds = (performance.now() - started) / 1000;
        if (lowOnly && this.opts.lowPriority) this.lowResumeAt = performance.now() + seconds * 1000 * (1 / this.opts.lowPriority.maxShare - 1);
        this.runningTokens = 0;
        const paddedTokens = this.paddedTokens(batch);
        for (const r of paddedTokens * 2 >= this.opts.maxBatchTokens ? [this.recent, this.recentFull] : [this.recent]) {
          r.tokens = r.tokens * 0.8 + realTokens;
          r.seconds = r.seconds * 0.8 + seconds;
        }
        this.onBatch({ size: batch.length, paddedTokens, realTokens, seconds, outputs: batch[0]!.key });
      }
    } finally {
      this.running = false;
      for (const r of this.idleWaiters.splice(0)) r();
    }
  }

  /**
   * The next batch: the least-served tenant's oldest item sets the outputs, then the batch is
   * filled one item at a time from whichever tenant (counting this batch) has been served least,
   * taking each tenant's oldest compatible item that still fits the token budget.
   */
  private takeBatch(remove: boolean): Item[] {
    const waiting = [...this.tenants.entries()].filter(([, t]) => t.items.length > 0);
    const low = new Set(this.opts.lowPriority?.tenants ?? []);
    const keyed = waiting.filter(([name]) => !low.has(name));
    // Low-priority work runs only when nothing else waits, and then in small calls.
    // While low-priority work alone waits, it takes at most its share of the model's time.
    if (keyed.length === 0 && this.opts.lowPriority && !this.closed && performance.now() < this.lowResumeAt) return [];
    const order = keyed.length > 0 ? keyed : waiting;
    const budget = keyed.length > 0 || !this.opts.lowPriority ? this.opts.maxBatchTokens : this.opts.lowPriority.maxBatchTokens;
    if (order.length === 0) return [];
    const served = new Map(order.map(([name, t]) => [name, t.served]));
    const first = order.reduce((a, b) => (served.get(b[0])! < served.get(a[0])! ? b : a));
    const key = first[1].items[0]!.key;
    const taken = new Set<Item>();
    const chosen: Array<{ tenant: string; item: Item }> = [];
    const done = new Set<string>();
    let width = 0;
    for (;;) {
      let pick: [string, Tenant] | null = null;
      for (const entry of order) {
        if (done.has(entry[0])) continue;
        if (!pick || served.get(entry[0])! < served.get(pick[0])!) pick = entry;
      }
      if (!pick) break;
      const [name, t] = pick;
      const next = t.items.find((i) => !taken.has(i) && i.key === key && Math.max(width, i.seq.length) * (chosen.length + 1) <= budget);
      // The first item always goes, even past the budget: a lone window has nowhere else to run.
      const item = next ?? (chosen.length === 0 ? t.items[0] : undefined);
      if (!item) {
        done.add(name);
        continue;
      }
      taken.add(item);
      chosen.push({ tenant: name, item });
      served.set(name, served.get(name)! + item.seq.length);
      width = Math.max(width, item.seq.length);
    }
    if (remove) {
      for (const { tenant, item } of chosen) {
        const t = this.tenants.get(tenant)!;
        t.items.splice(t.items.indexOf(item), 1);
        t.tokens -= item.seq.length;
        t.served += item.seq.length;
        this.waitingCount--;
      }
      for (const [name, t] of waiting) if (t.items.length === 0) this.tenants.delete(name);
    }
    return chosen.map((c) => c.item);
  }

  private paddedTokens(items: Item[]): number {
    return items.length === 0 ? 0 : items.length * Math.max(...items.map((i) => i.seq.length));
  }
}

function gone(item: Item): ApiError {
  return item.signal?.aborted
    ? new ApiError('timeout', 'the caller disconnected before this work reached the model')
    : new ApiError('timeout', "the caller's deadline passed before this work reached the model");
}
