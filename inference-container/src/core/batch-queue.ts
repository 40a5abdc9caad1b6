import { ApiError } from '@detector/contract';
import type { PackOutput } from '@detector/detector-kit/pack-manifest.ts';
import type { SequenceOutputs } from '../backends/run-batch.ts';

export interface BatchQueueOptions {
  /** Padded tokens (batch size x longest sequence) one call may hold. */
  maxBatchTokens: number;
  /** How long the first waiting item may wait for company before its batch runs. */
  maxWaitMs: number;
  /** Items waiting before enqueue refuses with queue_full. */
  maxDepth: number;
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
  resolve: (o: SequenceOutputs) => void;
  reject: (e: unknown) => void;
}

/**
 * Groups sequences into model calls. One loop owns the model: it runs a batch, then takes the
 * next, so calls never overlap and a burst of requests becomes a few large calls. Items are only
 * batched with items that want the same outputs, so an embedding request never pays for the
 * vocabulary projection another request asked for.
 */
export class BatchQueue {
  private readonly waiting: Item[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly run: Runner,
    private readonly opts: BatchQueueOptions,
    private readonly onBatch: (s: BatchStats) => void = () => {},
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  /** Reserves room for n items at once so a request is taken whole or refused whole. */
  hasRoomFor(n: number): boolean {
    return this.waiting.length + n <= this.opts.maxDepth;
  }

  submit(seq: number[], outputs: readonly PackOutput[]): Promise<SequenceOutputs> {
    if (this.closed) return Promise.reject(new ApiError('not_ready', 'the service is shutting down', { retryAfter: 1 }));
    if (!this.hasRoomFor(1)) {
      return Promise.reject(new ApiError('queue_full', 'the inference queue is full; retry shortly', { retryAfter: 1 }));
    }
    const sorted = [...outputs].sort();
    return new Promise((resolve, reject) => {
      this.waiting.push({ seq, outputs: sorted, key: sorted.join(','), resolve, reject });
      this.schedule();
    });
  }

  /** Stops taking work and resolves once everything already queued has run. */
  async drain(): Promise<void> {
    this.closed = true;
    if (!this.running && this.waiting.length === 0) return;
    // Queued work need not wait out the batching delay any more.
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      void this.loop();
    }
    await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.running) return;
    const full = this.paddedTokens(this.takeCompatible(false)) >= this.opts.maxBatchTokens;
    if (full || this.opts.maxWaitMs === 0 || this.closed) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      void this.loop();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.loop();
      }, this.opts.maxWaitMs);
    }
  }

  private async loop(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.takeCompatible(true);
        const started = performance.now();
        try {
          const outs = await this.run(batch.map((i) => i.seq), batch[0]!.outputs);
          batch.forEach((item, k) => item.resolve(outs[k]!));
        } catch (err) {
          for (const item of batch) item.reject(err);
        }
        const realTokens = batch.reduce((n, i) => n + i.seq.length, 0);
        this.onBatch({
          size: batch.length,
          paddedTokens: this.paddedTokens(batch),
          realTokens,
          seconds: (performance.now() - started) / 1000,
          outputs: batch[0]!.key,
        });
      }
    } finally {
      this.running = false;
      for (const r of this.idleWaiters.splice(0)) r();
    }
  }

  /**
   * The oldest item and the compatible items after it, as many as fit the token budget.
   * Sequences of similar length are preferred so padding stays small.
   */
  private takeCompatible(remove: boolean): Item[] {
    const head = this.waiting[0];
    if (!head) return [];
    const candidates = this.waiting.filter((i) => i.key === head.key);
    // Head first (fairness), then the rest by closeness in length to the head.
    const rest = candidates.slice(1).sort((a, b) => Math.abs(a.seq.length - head.seq.length) - Math.abs(b.seq.length - head.seq.length));
    const chosen: Item[] = [head];
    let width = head.seq.length;
    for (const item of rest) {
      const w = Math.max(width, item.seq.length);
      if (w * (chosen.length + 1) > this.opts.maxBatchTokens) continue;
      chosen.push(item);
      width = w;
    }
    if (remove) {
      const set = new Set(chosen);
      for (let i = this.waiting.length - 1; i >= 0; i--) if (set.has(this.waiting[i]!)) this.waiting.splice(i, 1);
    }
    return chosen;
  }

  private paddedTokens(items: Item[]): number {
    return items.length === 0 ? 0 : items.length * Math.max(...items.map((i) => i.seq.length));
  }
}
