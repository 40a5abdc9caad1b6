import type { LogprobStats } from '@detector/contract';

/** Per-token values of a whole text, one entry per token (BOS excluded). */
export interface TokenSeries {
  logprob: Float64Array;
  expected: Float64Array;
  variance: Float64Array;
}

export function logprobStats(s: TokenSeries): LogprobStats {
  const n = s.logprob.length;
  let sumLp = 0,
    sumE = 0,
    sumVar = 0,
    sumLp2 = 0,
    sumNorm = 0;
  for (let i = 0; i < n; i++) {
    const lp = s.logprob[i]!,
      e = s.expected[i]!,
      v = s.variance[i]!;
    sumLp += lp;
    sumLp2 += lp * lp;
    sumE += e;
    sumVar += v;
    sumNorm += (lp - e) / Math.sqrt(v + 1e-6);
  }
  const mean = n ? sumLp / n : 0;
  return {
    scored_tokens: n,
    mean_logprob: mean,
    perplexity: Math.exp(-mean),
    mean_entropy: n ? -sumE / n : 0,
    fast_detectgpt: n ? (sumLp - sumE) / Math.sqrt(sumVar + 1e-6) : 0,
    std_logprob: n ? Math.sqrt(Math.max(0, sumLp2 / n - mean * mean)) : 0,
    mean_normalized_logprob: n ? sumNorm / n : 0,
  };
}
