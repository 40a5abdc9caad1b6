import { describe, expect, it } from 'vitest';
import type { SequenceOutputs } from '../backends/run-batch.ts';
import type { PackOutput } from '@detector/detector-kit/pack-manifest.ts';
import { BatchQueue, type BatchStats } from './batch-queue.ts';

/** A runner that records each call and answers each sequence with its own length. */
function recorder(delayMs = 0) {
  const calls: Array<{ seqs: number[][]; outputs: readonly PackOutput[] }> = [];
  const run = async (seqs: number[][], outputs: readonly PackOutput[]): Promise<SequenceOutputs[]> => {
    calls.push({ seqs, outputs });
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    return seqs.map((s) => ({ token_logprob: new Float32Array(s.length) }));
  };
  return { calls, run };
}
const seq = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('BatchQueue', () => {
  it('with no wait, starts a call for an idle model at once and batches what arrives while it runs', async () => {
    const calls: number[][] = [];
    const gates: Array<() => void> = [];
    const run = async (seqs: number[][]): Promise<SequenceOutputs[]> => {
      calls.push(seqs.map((s) => s.length));
      await new Promise<void>((r) => gates.push(r));
      return seqs.map(() => ({}));
    };
    const q = new BatchQueue(run, { maxBatchTokens: 1000, maxWaitMs: 0, maxDepth: 100 });
    // Two windows submitted in the same turn (one request's) share the first call.
    const first = [q.submit(seq(2), ['mean_pooled']), q.submit(seq(3), ['mean_pooled'])];
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[2, 3]]);
    // Arrivals during that call wait for it, then go together.
    const later = [4, 5, 6].map((n) => q.submit(seq(n), ['mean_pooled']));
    await new Promise((r) => setImmediate(r));
    expect(calls).toHaveLength(1);
    gates.shift()!();
    await Promise.all(first);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([
      [2, 3],
      [4, 5, 6],
    ]);
    gates.shift()!();
    await Promise.all(later);
  });

  it('groups concurrent requests into one call and answers each with its own result', async () => {
    const r = recorder();
    const q = new BatchQueue(r.run, { maxBatchTokens: 1000, maxWaitMs: 20, maxDepth: 100 });
    const outs = await Promise.all([3, 5, 7].map((n) => q.submit(seq(n), ['token_logprob'])));
    expect(r.calls).toHaveLength(1);
    expect(outs.map((o) => o.token_logprob!.length)).toEqual([3, 5, 7]);
  });

  it('never puts more padded tokens in a call than the budget', async () => {
    const r = recorder();
    const stats: BatchStats[] = [];
    const q = new BatchQueue(r.run, { maxBatchTokens: 40, maxWaitMs: 20, maxDepth: 100 }, (s) => stats.push(s));
    await Promise.all(Array.from({ length: 10 }, () => q.submit(seq(10), ['mean_pooled'])));
    expect(r.calls.length).toBe(3);
    for (const c of r.calls) expect(c.seqs.length * Math.max(...c.seqs.map((s) => s.length))).toBeLessThanOrEqual(40);
    expect(stats.reduce((n, s) => n + s.size, 0)).toBe(10);
  });

  it('keeps requests for different outputs in different calls', async () => {
    const r = recorder();
    const q = new BatchQueue(r.run, { maxBatchTokens: 1000, maxWaitMs: 20, maxDepth: 100 });
    await Promise.all([q.submit(seq(4), ['mean_pooled']), q.submit(seq(4), ['token_logprob', 'expected_logprob']), q.submit(seq(4), ['mean_pooled'])]);
    expect(r.calls.map((c) => c.outputs.join(','))).toEqual(['mean_pooled', 'expected_logprob,token_logprob']);
    expect(r.calls[0]!.seqs).toHaveLength(2);
  });

  it('refuses work past its depth with queue_full and a retry hint', async () => {
    const r = recorder(50);
    const q = new BatchQueue(r.run, { maxBatchTokens: 1000, maxWaitMs: 1000, maxDepth: 2 });
    const a = q.submit(seq(3), ['mean_pooled']);
    const b = q.submit(seq(3), ['mean_pooled']);
    await expect(q.submit(seq(3), ['mean_pooled'])).rejects.toMatchObject({ code: 'queue_full', retryAfter: 1 });
    await q.drain();
    await expect(Promise.all([a, b])).resolves.toHaveLength(2);
  });

  it('fails every item of a call whose model run throws, and keeps serving', async () => {
    let fail = true;
    const q = new BatchQueue(
      async (seqs) => {
        if (fail) {
          fail = false;
          throw new Error('boom');
        }
        return seqs.map(() => ({}));
      },
      { maxBatchTokens: 1000, maxWaitMs: 10, maxDepth: 10 },
    );
    const failed = await Promise.allSettled([q.submit(seq(2), ['mean_pooled']), q.submit(seq(2), ['mean_pooled'])]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    await expect(q.submit(seq(2), ['mean_pooled'])).resolves.toEqual({});
  });

  it('drain finishes queued work and then refuses new work', async () => {
    const r = recorder(10);
    const q = new BatchQueue(r.run, { maxBatchTokens: 1000, maxWaitMs: 500, maxDepth: 10 });
    const pending = q.submit(seq(3), ['mean_pooled']);
    await q.drain();
    await expect(pending).resolves.toBeDefined();
    await expect(q.submit(seq(3), ['mean_pooled'])).rejects.toMatchObject({ code: 'not_ready' });
  });

  it("serves a newcomer before the rest of another tenant's backlog", async () => {
    const r = recorder(5);
    const q = new BatchQueue(r.run, { maxBatchTokens: 20, maxWaitMs: 0, maxDepth: 1000 });
    const order: string[] = [];
    const big = ['a', 'b', 'c'].flatMap((t) =>
      Array.from({ length: 10 }, (_, i) => q.submit(seq(10), ['mean_pooled'], { tenant: t }).then(() => order.push(`${t}${i}`))),
    );
    const short = q.submit(seq(3), ['mean_pooled'], { tenant: 'd' }).then(() => order.push('d'));
    await Promise.all([...big, short]);
    // The first batch was already running when d arrived; d rides in the next one or the one after.
    expect(order.indexOf('d')).toBeLessThan(6);
    // Each tenant's backlog is interleaved, not run one tenant after another.
    expect(order.slice(0, 9).filter((o) => o.startsWith('c')).length).toBeGreaterThan(0);
  });

  it('serves keyless demo work only when no keyed work waits, in small calls', async () => {
    const r = recorder(5);
    const q = new BatchQueue(r.run, { maxBatchTokens: 200, maxWaitMs: 0, maxDepth: 1000, lowPriority: { tenants: ['demo'], maxBatchTokens: 20, maxShare: 1 } });
    const order: string[] = [];
    const demo = Array.from({ length: 12 }, (_, i) => q.submit(seq(10), ['mean_pooled'], { tenant: 'demo' }).then(() => order.push(`demo${i}`)));
    // Arrives while the first demo call runs: it must go next, not after a fair half of the backlog.
    await new Promise((res) => setTimeout(res, 1));
    const keyed = q.submit(seq(10), ['mean_pooled'], { tenant: 'k' }).then(() => order.push('k'));
    await Promise.all([...demo, keyed]);
    expect(order.indexOf('k')).toBeLessThanOrEqual(2);
    // Demo calls hold at most 20 padded tokens: two 10-token windows.
    const demoCalls = r.calls.filter((c) => c.seqs.length > 0);
    expect(Math.max(...demoCalls.map((c) => c.seqs.length * Math.max(...c.seqs.map((x) => x.length))))).toBeLessThanOrEqual(20);
  });

  it('leaves the model free for the rest of its share after a keyless call, so keyed work arriving then runs at once', async () => {
    const r = recorder(50);
    const q = new BatchQueue(r.run, {
      maxBatchTokens: 200,
      maxWaitMs: 0,
      maxDepth: 1000,
      lowPriority: { tenants: ['demo'], maxBatchTokens: 10, maxShare: 0.1 },
    });
    const order: string[] = [];
    const demo = Array.from({ length: 3 }, (_, i) => q.submit(seq(10), ['mean_pooled'], { tenant: 'demo' }).then(() => order.push(`demo${i}`)));
    // The first keyless call runs for 50 ms; at a 10% share the model then stays free for 450 ms.
    await new Promise((res) => setTimeout(res, 120));
    await q.submit(seq(10), ['mean_pooled'], { tenant: 'k' }).then(() => order.push('k'));
    await Promise.all(demo);
    expect(order).toEqual(['demo0', 'k', 'demo1', 'demo2']);
  });

  it('drops work whose caller has gone before it reaches the model', async () => {
    const r = recorder(20);
    const q = new BatchQueue(r.run, { maxBatchTokens: 10, maxWaitMs: 0, maxDepth: 100 });
    const first = q.submit(seq(10), ['mean_pooled']);
    const ac = new AbortController();
    const abandoned = q.submit(seq(10), ['mean_pooled'], { tenant: 'x', signal: ac.signal });
    const late = q.submit(seq(10), ['mean_pooled'], { tenant: 'y', deadline: Date.now() + 5 });
    ac.abort();
    await expect(abandoned).rejects.toMatchObject({ code: 'timeout' });
    await expect(late).rejects.toMatchObject({ code: 'timeout' });
    await first;
    await q.drain();
    expect(r.calls).toHaveLength(1);
  });

  it('refuses work it cannot finish by the deadline with deadline_unmeetable and a retry hint', async () => {
    const r = recorder(50);
    const q = new BatchQueue(r.run, { maxBatchTokens: 10, maxWaitMs: 0, maxDepth: 1000 });
    await q.submit(seq(10), ['mean_pooled']); // one measured batch: about 200 tokens a second
    const backlog = Array.from({ length: 20 }, () => q.submit(seq(10), ['mean_pooled'], { tenant: 'a' }));
    expect(() => q.admit(20, 200, { tenant: 'a', deadline: Date.now() + 200 })).toThrow(expect.objectContaining({ code: 'deadline_unmeetable' }));
    try {
      q.admit(20, 200, { tenant: 'a', deadline: Date.now() + 200 });
    } catch (e) {
      expect((e as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
    }
    // Another tenant's short text only waits behind its fair share of the backlog.
    expect(() => q.admit(1, 10, { tenant: 'b', deadline: Date.now() + 1000 })).not.toThrow();
    await Promise.all(backlog);
  });

  it('refuses work that alone needs longer than its whole budget as too large, with no retry hint', async () => {
    const r = recorder(50);
    const q = new BatchQueue(r.run, { maxBatchTokens: 10, maxWaitMs: 0, maxDepth: 1000 });
    await q.submit(seq(10), ['mean_pooled']); // one measured batch: at most about 200 tokens a second
    // 1000 tokens take about 5 s on an idle model: a 1 s budget can never be met, so waiting is no use.
    let refusal: unknown;
    try {
      q.admit(100, 1000, { tenant: 'a', deadline: Date.now() + 1000, budgetMs: 1000 });
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toMatchObject({ code: 'text_too_large_for_deadline', status: 413 });
    expect((refusal as { retryAfter?: number }).retryAfter).toBeUndefined();
    // What fits in the budget on an idle model is admitted.
    expect(() => q.admit(1, 10, { tenant: 'a', deadline: Date.now() + 10_000, budgetMs: 10_000 })).not.toThrow();
  });

  it('holds a tenant to its token budget but always admits a tenant with nothing waiting', async () => {
    const r = recorder(20);
    const q = new BatchQueue(r.run, { maxBatchTokens: 10, maxWaitMs: 0, maxDepth: 1000, maxTenantTokens: 50 });
    q.admit(10, 100, { tenant: 'a' });
    const pending = Array.from({ length: 10 }, () => q.submit(seq(10), ['mean_pooled'], { tenant: 'a' }));
    expect(() => q.admit(1, 10, { tenant: 'a' })).toThrow(expect.objectContaining({ code: 'queue_full' }));
    expect(() => q.admit(1, 10, { tenant: 'b' })).not.toThrow();
    await Promise.all(pending);
  });
});
