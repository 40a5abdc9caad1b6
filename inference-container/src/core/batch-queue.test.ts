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
});
